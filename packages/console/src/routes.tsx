/**
 * Every page of the console, in menu order. A route with `nav` gets a menu entry; `sandboxOnly`
 * routes appear only while the server runs its WeChat sandbox. Paths are inside `/console`.
 */
import type { ComponentType, ReactNode } from 'react';
import type { MessageKey } from './i18n/index.ts';
import { AccountPage } from './pages/account/account-page.tsx';
import { ApplicationPage, NewApplicationPage } from './pages/applications/application-pages.tsx';
import { ApplicationsPage } from './pages/applications/applications-page.tsx';
import { AuditPage } from './pages/audit/audit-page.tsx';
import { ConnectionPage, NewConnectionPage } from './pages/connections/connection-pages.tsx';
import { ConnectionsPage } from './pages/connections/connections-page.tsx';
import { MergeSuggestionsPage } from './pages/merges/merge-suggestions-page.tsx';
import { OverviewPage } from './pages/overview/overview-page.tsx';
import { PeoplePage } from './pages/people/people-page.tsx';
import { PersonPage } from './pages/people/person-page.tsx';
import { SandboxPage } from './pages/sandbox/sandbox-page.tsx';
import { IconApp, IconChart, IconFlask, IconKey, IconList, IconMerge, IconPeople, IconUser } from './ui/icons.tsx';

export interface RouteProps {
  /** The `:name` parts of the path. */
  params: Record<string, string>;
}

export interface ConsoleRoute {
  path: string;
  component: ComponentType<RouteProps>;
  nav?: { label: MessageKey; icon: ReactNode };
  sandboxOnly?: boolean;
}

export const routes: ConsoleRoute[] = [
  { path: '/', component: OverviewPage, nav: { label: 'nav.overview', icon: <IconChart /> } },
  { path: '/people', component: PeoplePage, nav: { label: 'nav.people', icon: <IconPeople /> } },
  { path: '/people/:id', component: PersonPage },
  { path: '/merges', component: MergeSuggestionsPage, nav: { label: 'nav.merges', icon: <IconMerge /> } },
  { path: '/audit', component: AuditPage, nav: { label: 'nav.audit', icon: <IconList /> } },
  { path: '/connections', component: ConnectionsPage, nav: { label: 'nav.connections', icon: <IconApp /> } },
  { path: '/connections/new', component: NewConnectionPage },
  { path: '/connections/:id', component: ConnectionPage },
  { path: '/applications', component: ApplicationsPage, nav: { label: 'nav.applications', icon: <IconKey /> } },
  { path: '/applications/new', component: NewApplicationPage },
  { path: '/applications/:id', component: ApplicationPage },
  { path: '/sandbox', component: SandboxPage, nav: { label: 'nav.sandbox', icon: <IconFlask /> }, sandboxOnly: true },
  { path: '/account', component: AccountPage, nav: { label: 'nav.account', icon: <IconUser /> } },
];

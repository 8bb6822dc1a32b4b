/**
 * Every page of the console, in menu order. A route with `nav` gets a menu entry; `sandboxOnly`
 * routes appear only while the server runs its WeChat sandbox. Paths are inside `/console`.
 */
import type { ComponentType, ReactNode } from 'react';
import type { MessageKey } from './i18n/index.ts';
import { AuditPage } from './pages/audit/audit-page.tsx';
import { MergeSuggestionsPage } from './pages/merges/merge-suggestions-page.tsx';
import { OverviewPage } from './pages/overview/overview-page.tsx';
import { PeoplePage } from './pages/people/people-page.tsx';
import { PersonPage } from './pages/people/person-page.tsx';
import { IconChart, IconList, IconMerge, IconPeople } from './ui/icons.tsx';

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
];

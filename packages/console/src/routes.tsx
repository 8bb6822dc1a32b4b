/**
 * Every page of the console, in menu order. A route with `nav` gets a menu entry; `sandboxOnly`
 * routes appear only while the server runs its WeChat sandbox. Paths are inside `/console`.
 *
 * Pages are loaded when first opened (`lazyPage`), so signing in downloads only the shell and the
 * sign-in page; the shell shows a loading state meanwhile (app.tsx).
 */
import { type ComponentType, lazy, type ReactNode } from 'react';
import type { MessageKey } from './i18n/index.ts';
import type { RouteProps } from './route-props.ts';
import { IconApp, IconChart, IconFlask, IconKey, IconList, IconMerge, IconPeople, IconSend, IconUser } from './ui/icons.tsx';

export type { RouteProps } from './route-props.ts';

export interface ConsoleRoute {
  path: string;
  component: ComponentType<RouteProps>;
  nav?: { label: MessageKey; icon: ReactNode };
  sandboxOnly?: boolean;
}

/** `lazyPage(() => import('./pages/x/x-page.tsx'), 'XPage')`: the named export, in its own chunk. */
function lazyPage<Name extends string>(
  load: () => Promise<Record<Name, ComponentType<RouteProps>>>,
  name: Name,
): ComponentType<RouteProps> {
  return lazy<ComponentType<RouteProps>>(async () => {
    const page: ComponentType<RouteProps> = (await load())[name];
    return { default: page };
  });
}

const OverviewPage = lazyPage(() => import('./pages/overview/overview-page.tsx'), 'OverviewPage');
const PeoplePage = lazyPage(() => import('./pages/people/people-page.tsx'), 'PeoplePage');
const PersonPage = lazyPage(() => import('./pages/people/person-page.tsx'), 'PersonPage');
const ImportPage = lazyPage(() => import('./pages/people/import-page.tsx'), 'ImportPage');
const MergeSuggestionsPage = lazyPage(() => import('./pages/merges/merge-suggestions-page.tsx'), 'MergeSuggestionsPage');
const LoginsPage = lazyPage(() => import('./pages/logins/logins-page.tsx'), 'LoginsPage');
const AuditPage = lazyPage(() => import('./pages/audit/audit-page.tsx'), 'AuditPage');
const ConnectionsPage = lazyPage(() => import('./pages/connections/connections-page.tsx'), 'ConnectionsPage');
const NewConnectionPage = lazyPage(() => import('./pages/connections/connection-pages.tsx'), 'NewConnectionPage');
const ConnectionPage = lazyPage(() => import('./pages/connections/connection-pages.tsx'), 'ConnectionPage');
const ApplicationsPage = lazyPage(() => import('./pages/applications/applications-page.tsx'), 'ApplicationsPage');
const NewApplicationPage = lazyPage(() => import('./pages/applications/application-pages.tsx'), 'NewApplicationPage');
const ApplicationPage = lazyPage(() => import('./pages/applications/application-pages.tsx'), 'ApplicationPage');
const ApiKeysPage = lazyPage(() => import('./pages/api-keys/api-keys-page.tsx'), 'ApiKeysPage');
const WebhooksPage = lazyPage(() => import('./pages/webhooks/webhooks-page.tsx'), 'WebhooksPage');
const WebhookPage = lazyPage(() => import('./pages/webhooks/webhook-page.tsx'), 'WebhookPage');
const SandboxPage = lazyPage(() => import('./pages/sandbox/sandbox-page.tsx'), 'SandboxPage');
const AccountPage = lazyPage(() => import('./pages/account/account-page.tsx'), 'AccountPage');

export const routes: ConsoleRoute[] = [
  { path: '/', component: OverviewPage, nav: { label: 'nav.overview', icon: <IconChart /> } },
  { path: '/people', component: PeoplePage, nav: { label: 'nav.people', icon: <IconPeople /> } },
  { path: '/people/import', component: ImportPage },
  { path: '/people/:id', component: PersonPage },
  { path: '/merges', component: MergeSuggestionsPage, nav: { label: 'nav.merges', icon: <IconMerge /> } },
  { path: '/logins', component: LoginsPage, nav: { label: 'nav.logins', icon: <IconList /> } },
  { path: '/audit', component: AuditPage, nav: { label: 'nav.audit', icon: <IconList /> } },
  { path: '/connections', component: ConnectionsPage, nav: { label: 'nav.connections', icon: <IconApp /> } },
  { path: '/connections/new', component: NewConnectionPage },
  { path: '/connections/:id', component: ConnectionPage },
  { path: '/applications', component: ApplicationsPage, nav: { label: 'nav.applications', icon: <IconKey /> } },
  { path: '/applications/new', component: NewApplicationPage },
  { path: '/applications/:id', component: ApplicationPage },
  { path: '/api-keys', component: ApiKeysPage, nav: { label: 'nav.apiKeys', icon: <IconKey /> } },
  { path: '/webhooks', component: WebhooksPage, nav: { label: 'nav.webhooks', icon: <IconSend /> } },
  { path: '/webhooks/:id', component: WebhookPage },
  { path: '/sandbox', component: SandboxPage, nav: { label: 'nav.sandbox', icon: <IconFlask /> }, sandboxOnly: true },
  { path: '/account', component: AccountPage, nav: { label: 'nav.account', icon: <IconUser /> } },
];

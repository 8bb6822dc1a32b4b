/**
 * The shell: a sidebar menu (a top bar with a menu button under ~800 px), the language switch, the
 * signed-in admin with sign-out, a skip link, and the page for the current path.
 */
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { I18nProvider, useT } from './i18n/index.ts';
import { SignInPage } from './pages/sign-in/sign-in-page.tsx';
import { WebhookAlert } from './pages/webhooks/webhook-alert.tsx';
import { Link, matchPath, usePath } from './router.tsx';
import { type ConsoleRoute, routes } from './routes.tsx';
import { SessionProvider, useAdmin, useSession } from './session.tsx';
import { ConfirmProvider } from './ui/confirm-dialog.tsx';
import { useErrorMessage } from './ui/errors.ts';
import { IconMenu } from './ui/icons.tsx';
import { LanguageSwitch } from './ui/language-switch.tsx';
import { NoticeProvider } from './ui/notice.tsx';
import { PageLoader } from './ui/page-loader.tsx';
import { WrongOriginNotice } from './ui/wrong-origin.tsx';

export function App(): ReactNode {
  return (
    <I18nProvider>
      <NoticeProvider>
        <ConfirmProvider>
          <SessionProvider fallback={(error) => <BootScreen error={error} />}>
            <SignedInOrNot />
          </SessionProvider>
        </ConfirmProvider>
      </NoticeProvider>
    </I18nProvider>
  );
}

function BootScreen({ error }: { error: unknown }): ReactNode {
  const t = useT();
  const errorMessage = useErrorMessage();
  return (
    <main className="boot">{error === null ? <p role="status">{t('common.loading')}</p> : <p role="alert">{errorMessage(error)}</p>}</main>
  );
}

function SignedInOrNot(): ReactNode {
  const { session } = useSession();
  return session === null ? <SignInPage /> : <Shell />;
}

function findRoute(visible: ConsoleRoute[], path: string): { route: ConsoleRoute; params: Record<string, string> } | null {
  for (const route of visible) {
    const params = matchPath(route.path, path);
    if (params !== null) return { route, params };
  }
  return null;
}

/** The menu entry for a path: the route itself or the one whose path it extends (`/people/usr_1` → People). */
function isCurrentSection(routePath: string, path: string): boolean {
  if (routePath === '/') return path === '/';
  return path === routePath || path.startsWith(`${routePath}/`);
}

function Shell(): ReactNode {
  const t = useT();
  const { setup, signOut } = useSession();
  const session = useAdmin();
  const path = usePath();
  const [menuOpen, setMenuOpen] = useState(false);
  const mainRef = useRef<HTMLElement>(null);
  const visible = routes.filter((route) => route.sandboxOnly !== true || setup.sandbox);
  const found = findRoute(visible, path);

  // A new page: close the small-screen menu and start reading at the new page, not the menu.
  const previousPath = useRef(path);
  useEffect(() => {
    if (previousPath.current === path) return;
    previousPath.current = path;
    setMenuOpen(false);
    mainRef.current?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [path]);

  const Component = found?.route.component;
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {t('shell.skip')}
      </a>
      <header className="topbar">
        <button
          type="button"
          className="icon-button menu-button"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((open) => !open)}
        >
          <IconMenu />
          <span className="visually-hidden">{t('shell.menu')}</span>
        </button>
        <Link to="/" className="brand">
          weunion
        </Link>
        {setup.sandbox ? <span className="badge badge-sandbox">{t('shell.sandboxOn')}</span> : null}
        <div className="topbar-end">
          <LanguageSwitch />
          <span className="admin-name">{t('shell.signedInAs', { name: session.admin.displayName ?? session.admin.username })}</span>
          <button type="button" className="button button-ghost button-small" onClick={() => void signOut()}>
            {t('shell.signOut')}
          </button>
        </div>
      </header>
      <nav id="main-nav" className={menuOpen ? 'sidebar open' : 'sidebar'} aria-label={t('shell.nav')}>
        <ul>
          {visible
            .filter((route) => route.nav !== undefined)
            .map((route) => {
              const current = isCurrentSection(route.path, path);
              return (
                <li key={route.path}>
                  <Link to={route.path} aria-current={current ? 'page' : undefined} className="nav-link">
                    {route.nav?.icon}
                    <span>{route.nav ? t(route.nav.label) : null}</span>
                  </Link>
                </li>
              );
            })}
        </ul>
      </nav>
      <main id="main" ref={mainRef} tabIndex={-1} className="main">
        <WrongOriginNotice />
        <WebhookAlert />
        {Component && found ? (
          <PageLoader key={found.route.path}>
            <Component params={found.params} />
          </PageLoader>
        ) : (
          <NotFound />
        )}
      </main>
    </div>
  );
}

function NotFound(): ReactNode {
  const t = useT();
  return (
    <div className="page">
      <h1>{t('common.notFound')}</h1>
      <Link to="/">{t('nav.overview')}</Link>
    </div>
  );
}

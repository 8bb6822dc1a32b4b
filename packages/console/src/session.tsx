/** Who is signed in (contract §1): loaded once, replaced by sign-in, cleared by sign-out or any 401. */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { ApiError, api, noContent, onUnauthorized, type Session, type Setup, sessionSchema, setCsrfToken, setupSchema } from './api.ts';

interface SessionValue {
  setup: Setup;
  session: Session | null;
  signedIn: (session: Session) => void;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

type Boot = { state: 'loading' } | { state: 'error'; error: unknown } | { state: 'ready'; setup: Setup; session: Session | null };

async function boot(): Promise<{ setup: Setup; session: Session | null }> {
  const [setup, session] = await Promise.all([
    api.get('/console/api/setup', setupSchema),
    api.get('/console/api/session', sessionSchema).catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 401) return null;
      throw error;
    }),
  ]);
  return { setup, session };
}

export function SessionProvider({
  children,
  fallback,
}: {
  children: ReactNode;
  fallback: (error: unknown | null) => ReactNode;
}): ReactNode {
  const [state, setState] = useState<Boot>({ state: 'loading' });
  useEffect(() => {
    boot().then(
      ({ setup, session }) => {
        setCsrfToken(session?.csrfToken ?? null);
        setState({ state: 'ready', setup, session });
      },
      (error: unknown) => setState({ state: 'error', error }),
    );
  }, []);
  useEffect(
    () =>
      onUnauthorized(() => {
        setCsrfToken(null);
        setState((current) => (current.state === 'ready' ? { ...current, session: null } : current));
      }),
    [],
  );
  const signedIn = useCallback((session: Session) => {
    setCsrfToken(session.csrfToken);
    setState((current) => (current.state === 'ready' ? { ...current, session, setup: { ...current.setup, needsAdmin: false } } : current));
  }, []);
  const signOut = useCallback(async () => {
    await api.post('/console/api/logout', noContent).catch(() => undefined);
    setCsrfToken(null);
    setState((current) => (current.state === 'ready' ? { ...current, session: null } : current));
  }, []);
  if (state.state === 'loading') return fallback(null);
  if (state.state === 'error') return fallback(state.error);
  return (
    <SessionContext.Provider value={{ setup: state.setup, session: state.session, signedIn, signOut }}>{children}</SessionContext.Provider>
  );
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (value === null) throw new Error('useSession outside <SessionProvider>');
  return value;
}

/** The signed-in admin's session; only for pages inside the shell. */
export function useAdmin(): Session {
  const { session } = useSession();
  if (session === null) throw new Error('useAdmin while signed out');
  return session;
}

/**
 * The server refuses sign-in and every change whose `Origin` is not PUBLIC_URL's origin (CSRF
 * defence), so a console opened at another name of the same server (127.0.0.1 for localhost) cannot
 * sign in and would not say why. This notice says it, and where to go instead. It never redirects:
 * behind a proxy the address in the browser may legitimately differ from the one the server sees.
 */
import type { ReactNode } from 'react';
import { useT } from '../i18n/index.ts';
import { useSession } from '../session.tsx';
import { Notice } from './notice.tsx';

/** PUBLIC_URL's origin, or null when it is not a URL (then there is nothing to compare). */
export function publicOrigin(publicUrl: string): string | null {
  try {
    return new URL(publicUrl).origin;
  } catch {
    return null;
  }
}

/** Whether this page is open at another origin than PUBLIC_URL's. */
export function useWrongOrigin(): boolean {
  const { setup } = useSession();
  const expected = publicOrigin(setup.publicUrl);
  return expected !== null && expected !== window.location.origin;
}

/**
 * `refused`: the server has just refused something for this reason (shown as an error, even when
 * the origins look alike — a proxy may have rewritten what the server sees).
 */
export function WrongOriginNotice({ refused = false }: { refused?: boolean }): ReactNode {
  const t = useT();
  const { setup } = useSession();
  const wrong = useWrongOrigin();
  if (!wrong && !refused) return null;
  const base = setup.publicUrl.replace(/\/+$/, '');
  const consoleUrl = `${base}/console/`;
  const vars = { here: window.location.origin, publicUrl: base };
  return (
    <Notice kind={refused ? 'error' : 'warning'}>
      <p>{t(!wrong ? 'origin.refusedProxy' : refused ? 'origin.refused' : 'origin.wrong', vars)}</p>
      <p>
        {t('origin.openAt')} <a href={consoleUrl}>{consoleUrl}</a>
      </p>
      <p>{t('origin.setPublicUrl', vars)}</p>
    </Notice>
  );
}

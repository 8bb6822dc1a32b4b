import type { KoaContextWithOIDC } from 'oidc-provider';
import { SESSION_COOKIE } from '../login/sessions.ts';

/** The weunion session id in this request (the cookie is weunion's, not signed by the provider). */
export function sessionCookieOf(ctx: KoaContextWithOIDC): string | undefined {
  return ctx.cookies.get(SESSION_COOKIE, { signed: false }) ?? undefined;
}

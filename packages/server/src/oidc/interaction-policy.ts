/**
 * oidc-provider's interaction policy with one check added to its `login` prompt: the provider's own
 * session counts only while the person's weunion login session (cookie `wu_session`) is alive and
 * is the same person's. Logging out of weunion, the session expiring, or another person logging in
 * in this browser ends single sign-on for every application — `prompt=none` then answers
 * `login_required` instead of handing out tokens for someone no longer signed in.
 */
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { LoginSessions } from '../login/sessions.ts';
import { SESSION_COOKIE } from '../login/sessions.ts';

const { base, Check } = interactionPolicy;

/** The weunion session id in this request (the cookie is weunion's, not signed by the provider). */
export function sessionCookieOf(ctx: KoaContextWithOIDC): string | undefined {
  return ctx.cookies.get(SESSION_COOKIE, { signed: false }) ?? undefined;
}

export function weunionInteractionPolicy(sessions: LoginSessions): interactionPolicy.DefaultPolicy {
  const policy = base();
  const login = policy.get('login');
  if (login === undefined) throw new Error('oidc-provider has no login prompt');
  login.checks.add(
    new Check('weunion_session', 'the weunion login session has ended', 'login_required', async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      // No provider session: `no_session` asks for the login already.
      if (accountId === undefined) return Check.NO_NEED_TO_PROMPT;
      const session = await sessions.get(sessionCookieOf(ctx));
      return session?.userId === accountId ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}

/**
 * oidc-provider's interaction policy with a `select_account` prompt and one check added to its
 * `login` prompt: the provider's own session counts only while the person's weunion login session
 * (cookie `wu_session`) is alive and is the same person's. Logging out of weunion, the session expiring, or another person logging in
 * in this browser ends single sign-on for every application — `prompt=none` then answers
 * `login_required` instead of handing out tokens for someone no longer signed in.
 */
import { interactionPolicy } from 'oidc-provider';
import type { LoginSessions } from '../login/sessions.ts';
import { sessionCookieOf } from './session-cookie.ts';

const { base, Check, Prompt } = interactionPolicy;

/** The `sub` an application sees for an account (identity/subject.ts). */
export type SubjectOf = (clientId: string, accountId: string) => Promise<string>;

export function weunionInteractionPolicy(sessions: LoginSessions, subjectOf: SubjectOf): interactionPolicy.DefaultPolicy {
  const policy = base();
  const login = policy.get('login');
  if (login === undefined) throw new Error('oidc-provider has no login prompt');
  // An `id_token_hint` names the subject the application saw, which is an imported person's old id
  // for `subjectType: 'external'`: compare with that, not with the account id.
  const hintIndex = login.checks.findIndex((check) => check.reason === 'id_token_hint');
  if (hintIndex === -1) throw new Error('oidc-provider has no id_token_hint check');
  login.checks.splice(
    hintIndex,
    1,
    new Check('id_token_hint', 'id_token_hint and authenticated subject do not match', 'login_required', async (ctx) => {
      const hint = ctx.oidc.entities.IdTokenHint as { payload: { sub?: unknown } } | undefined;
      if (hint === undefined) return Check.NO_NEED_TO_PROMPT;
      const accountId = ctx.oidc.session?.accountId;
      const clientId = ctx.oidc.client?.clientId;
      if (accountId === undefined || clientId === undefined) return Check.REQUEST_PROMPT;
      return hint.payload.sub === (await subjectOf(clientId, accountId)) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  login.checks.add(
    new Check('weunion_session', 'the weunion login session has ended', 'login_required', async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      // No provider session: `no_session` asks for the login already.
      if (accountId === undefined) return Check.NO_NEED_TO_PROMPT;
      const session = await sessions.get(sessionCookieOf(ctx));
      return session?.userId === accountId ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  // `prompt=select_account` (OIDC Core 3.1.2.1): the person picks the account to go on with — on
  // the hosted login page, as a login made for this interaction (interaction-routes.ts). First in
  // the policy, so that one interaction answers it and a missing login together.
  policy.add(new Prompt({ name: 'select_account', requestable: true }), 0);
  return policy;
}

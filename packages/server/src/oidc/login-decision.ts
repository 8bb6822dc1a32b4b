/**
 * How the provider's `login` prompt is answered from weunion's login session (cookie `wu_session`),
 * one rule per reason oidc-provider gives for asking (see interaction-policy.ts):
 * - `no_session`, `weunion_session`: any live login session of this browser will do;
 * - `login_prompt` (`prompt=login`, `max_age=0`): only a login made after this request — the person
 *   goes through WeChat again, whatever session they have;
 * - `max_age`: a session whose WeChat authentication is younger than `max_age` seconds;
 * - `id_token_hint`, `claims_id_token_sub_value`: a session of the hinted subject;
 * - `essential_acr(s)`: weunion authenticates with one ACR (`wechat`); any other is refused, since
 *   no login here can ever produce it (looping through the login page would not help).
 * A login made for this very interaction (a new session since weunion sent the person to log in)
 * answers every reason but the ACR one: it is as fresh as a login can be.
 *
 * `auth_time` is the time of that WeChat authentication (the session's `createdAt`), never the
 * time the provider happened to resume the request.
 */
import { z } from 'zod';
import type { LoginSession } from '../login/sessions.ts';

/** The one authentication context class weunion logins satisfy: a person authenticated by WeChat. */
export const WECHAT_ACR = 'wechat';

export type LoginDecision =
  | { kind: 'finish'; login: { accountId: string; ts: number; amr: string[]; acr: string } }
  | { kind: 'login' }
  | { kind: 'refuse'; error: 'access_denied'; description: string };

export interface LoginPrompt {
  reasons: readonly string[];
  details: Record<string, unknown>;
}

/** `amr` of an ID token: the login scenario (`s1`–`s4`, as app-scenario tokens say `s5`) and the method. */
export function amrOf(session: LoginSession): string[] {
  return [...new Set([...session.methods, 'wechat'])];
}

const hintPayload = z.object({ sub: z.string() }).loose();

/** The subject an `id_token_hint` names. The provider verified the hint's signature before asking. */
function hintedSubject(idTokenHint: unknown): string | undefined {
  if (typeof idTokenHint !== 'string') return undefined;
  const [, payload] = idTokenHint.split('.');
  if (payload === undefined) return undefined;
  try {
    const parsed = hintPayload.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data.sub : undefined;
  } catch {
    return undefined;
  }
}

const acrRequest = z
  .object({ essential: z.boolean().optional(), value: z.string().optional(), values: z.array(z.string()).optional() })
  .loose();
const subRequest = z.object({ value: z.string() }).loose();

/** Whether the requested essential ACR(s) include the one weunion gives. */
function acrSatisfiable(details: Record<string, unknown>): boolean {
  const parsed = acrRequest.safeParse(details.acr);
  if (!parsed.success) return false;
  const wanted = parsed.data.values ?? (parsed.data.value === undefined ? [] : [parsed.data.value]);
  return wanted.includes(WECHAT_ACR);
}

/**
 * Decides the `login` prompt. `freshForInteraction`: the session was made after weunion sent this
 * browser to log in for this interaction. `now` in milliseconds.
 */
export function decideLogin(
  prompt: LoginPrompt,
  session: LoginSession | null,
  options: {
    freshForInteraction: boolean;
    servesApplication: boolean;
    now: number;
    /** The `sub` the application sees for the session's person (an imported id for `subjectType: 'external'`). */
    subject?: string;
  },
): LoginDecision {
  const reasons = new Set(prompt.reasons);
  if ((reasons.has('essential_acr') || reasons.has('essential_acrs')) && !acrSatisfiable(prompt.details)) {
    return {
      kind: 'refuse',
      error: 'access_denied',
      description: `the requested ACR cannot be obtained; weunion logins are ${WECHAT_ACR}`,
    };
  }
  if (session === null || !options.servesApplication) return { kind: 'login' };
  const finish: LoginDecision = {
    kind: 'finish',
    login: { accountId: session.userId, ts: Math.floor(session.createdAt / 1000), amr: amrOf(session), acr: WECHAT_ACR },
  };
  if (options.freshForInteraction) return finish;
  for (const reason of reasons) {
    switch (reason) {
      case 'no_session':
      case 'weunion_session':
      case 'essential_acr':
      case 'essential_acrs':
        break;
      case 'max_age': {
        const maxAge = Number(prompt.details.max_age);
        if (!Number.isSafeInteger(maxAge) || options.now - session.createdAt > maxAge * 1000) return { kind: 'login' };
        break;
      }
      case 'id_token_hint':
        if (hintedSubject(prompt.details.id_token_hint) !== (options.subject ?? session.userId)) return { kind: 'login' };
        break;
      case 'claims_id_token_sub_value': {
        const wanted = subRequest.safeParse(prompt.details.sub);
        if (!wanted.success || wanted.data.value !== (options.subject ?? session.userId)) return { kind: 'login' };
        break;
      }
      default:
        // `login_prompt`, and any reason this code does not know: only a new login answers it.
        return { kind: 'login' };
    }
  }
  return finish;
}

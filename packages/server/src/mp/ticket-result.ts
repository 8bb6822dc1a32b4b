/**
 * What a mini-program-confirmed ticket (S3: a PC shows a mini program code; S7: an app opens the
 * mini program) holds once confirmed, i.e. what `app.tickets.redeem(id, secret)` hands its holder.
 * Parse it with `ticketLoginResultSchema` (never cast):
 *
 * ```ts
 * const { record, result } = await app.tickets.redeem(id, secret);
 * const login = parseTicketLoginResult(result);
 * switch (login.outcome) {
 *   case 'signed_in': // login.userId, login.authTime (ms), login.scenario ('s3' | 's7'), login.appid
 *   case 'select':    // login.pendingId + login.candidates → completeSelection(ctx, pendingId, userId)
 *   case 'bind':      // login.pendingId, login.methods, login.mayCreateInstead → completeBinding…
 *   case 'refused':   // login.reason ('registration_closed', 'account_blocked', …), login.message
 * }
 * ```
 *
 * Every variant carries `scenario`, `connectionId` and `appid` (the mini program the person
 * confirmed in) and `authTime`. Pending ids are the identity core's (10 minutes, once).
 * It is a superset of the common ticket result (`login/ticket-result.ts` `ticketResultSchema`),
 * so code that only knows the common shape parses it too.
 */
import { z } from 'zod';
import type { SignInOutcome } from '../identity/pending-sign-in.ts';
import { BINDING_METHODS } from '../identity/policy.ts';
import { ticketResultFromOutcome } from '../login/ticket-result.ts';

const base = {
  scenario: z.enum(['s3', 's7']),
  connectionId: z.string(),
  appid: z.string(),
  /** When the person confirmed, ms since the epoch (the tokens' `auth_time`). */
  authTime: z.number(),
};

const candidateSchema = z.object({
  userId: z.string(),
  via: z.array(z.enum(['openid', 'unionid', 'phone', 'email'])),
  nickname: z.string().nullable(),
  picture: z.string().nullable(),
  maskedPhone: z.string().nullable(),
  maskedEmail: z.string().nullable(),
  lastLoginAt: z.number().nullable(),
  // Absent in results confirmed by an older instance during a rolling upgrade.
  lastLoginApp: z.string().nullable().default(null),
});

export const ticketLoginResultSchema = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('signed_in'), userId: z.string(), ...base }),
  z.object({ outcome: z.literal('select'), pendingId: z.string(), candidates: z.array(candidateSchema), ...base }),
  z.object({
    outcome: z.literal('bind'),
    pendingId: z.string(),
    methods: z.array(z.enum(BINDING_METHODS)),
    mayCreateInstead: z.boolean(),
    ...base,
  }),
  z.object({ outcome: z.literal('refused'), reason: z.string(), message: z.string(), ...base }),
]);
export type TicketLoginResult = z.output<typeof ticketLoginResultSchema>;

export function parseTicketLoginResult(result: Record<string, unknown>): TicketLoginResult {
  return ticketLoginResultSchema.parse(result);
}

/**
 * The ticket result for a sign-in outcome: the common shape every confirming side hands its
 * holder (`login/ticket-result.ts`, which this extends), plus what app logins need.
 */
export function ticketLoginResult(
  outcome: SignInOutcome,
  origin: { scenario: 's3' | 's7'; connectionId: string; appid: string; authTime: number },
): TicketLoginResult {
  const common = ticketResultFromOutcome(outcome, { appid: origin.appid, scenario: origin.scenario });
  const extra = { scenario: origin.scenario, connectionId: origin.connectionId, authTime: origin.authTime };
  switch (outcome.kind) {
    case 'signed_in':
      return { ...common, outcome: 'signed_in', userId: outcome.userId, ...extra };
    case 'select':
      return { ...common, outcome: 'select', pendingId: outcome.pendingId, candidates: outcome.candidates, ...extra };
    case 'bind':
      return {
        ...common,
        outcome: 'bind',
        pendingId: outcome.pendingId,
        methods: outcome.methods,
        mayCreateInstead: outcome.mayCreateInstead,
        ...extra,
      };
    case 'refused':
      return { ...common, outcome: 'refused', reason: outcome.reason, message: outcome.message, ...extra };
  }
}

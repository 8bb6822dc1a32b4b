/**
 * What a confirmed QR ticket (S1, S3, S7) carries to its holder: the sign-in outcome, already
 * decided on the confirming side (WeChat callback, mini program). The holder redeems it once and
 * turns it into a session (browser) or tokens (app). One shape for every confirming side, so the
 * redeeming side never guesses; parsed with a schema on redeem, never cast.
 *
 * Confirming code builds it with `ticketResultFromOutcome(outcome, { appid, scenario })`.
 */
import { z } from 'zod';
import type { SignInOutcome } from '../identity/index.ts';

export const ticketResultSchema = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('signed_in'), userId: z.string().min(1), appid: z.string(), scenario: z.string() }),
  z.object({ outcome: z.literal('select'), pendingId: z.string().min(1), appid: z.string(), scenario: z.string() }),
  z.object({ outcome: z.literal('bind'), pendingId: z.string().min(1), appid: z.string(), scenario: z.string() }),
  /** Refused by policy (`reason` from identity) or failed on the way (`reason` an error code). */
  z.object({ outcome: z.literal('refused'), reason: z.string(), message: z.string(), appid: z.string(), scenario: z.string() }),
]);
export type TicketResult = z.output<typeof ticketResultSchema>;

export function ticketResultFromOutcome(outcome: SignInOutcome, source: { appid: string; scenario: string }): TicketResult {
  switch (outcome.kind) {
    case 'signed_in':
      return { outcome: 'signed_in', userId: outcome.userId, ...source };
    case 'select':
      return { outcome: 'select', pendingId: outcome.pendingId, ...source };
    case 'bind':
      return { outcome: 'bind', pendingId: outcome.pendingId, ...source };
    case 'refused':
      return { outcome: 'refused', reason: outcome.reason, message: outcome.message, ...source };
  }
}

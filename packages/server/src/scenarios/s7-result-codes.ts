/**
 * S7's `extMsg` path: when the mini program confirms an S7 ticket it gets a one-time result code
 * and hands it back to the app (button `open-type="launchApp"`, `app-parameter` → the app's
 * `extMsg`). The code only names the ticket; redeeming still needs the ticket's secret, which
 * only the app that created the ticket holds, so a code that leaks (another app reading extMsg,
 * a log) is worth nothing. Stored hashed, in shared state, for the ticket's remaining life.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '@weunion/errors';
import type { SharedState } from '@weunion/state';

const key = (code: string) => `s7:result-code:${createHash('sha256').update(code).digest('base64url')}`;
const CODE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A new result code for a confirmed S7 ticket. */
export async function createResultCode(state: SharedState, ticketId: string, ttlMs: number): Promise<string> {
  const code = randomBytes(32).toString('base64url');
  await state.set(key(code), ticketId, { ttlMs: Math.max(1_000, ttlMs) });
  return code;
}

/** The ticket a result code names (the code stays valid until the ticket is redeemed). */
export async function ticketOfResultCode(state: SharedState, code: string): Promise<string> {
  const ticketId = CODE_PATTERN.test(code) ? await state.get(key(code)) : null;
  if (ticketId === null) throw new AppError('login_expired', 'This result code is unknown, expired or already used');
  return ticketId;
}

/** Forgets a result code once its ticket was redeemed. */
export async function forgetResultCode(state: SharedState, code: string): Promise<void> {
  await state.delete(key(code));
}

/**
 * How an app login (S5–S7) answers once identity has decided: tokens when the person is signed
 * in; a `pendingId` when they must choose an account (`select`) or prove one (`bind`), which the
 * app completes through `/api/app/pending/:pendingId/…` (pending-routes.ts) to get its tokens;
 * `login_refused` (403, `reason` in the problem) when the policy says no.
 *
 * ```jsonc
 * { "outcome": "signed_in", "userId": "u_…", "tokens": { "token_type": "Bearer", "access_token": "…", "id_token": "…", "refresh_token": "…", "expires_in": 3600, "scope": "…" } }
 * { "outcome": "select", "pendingId": "…", "candidates": [{ "userId", "via", "nickname", "picture", "maskedPhone", "maskedEmail", "lastLoginAt", "lastLoginApp" }] }
 * { "outcome": "bind", "pendingId": "…", "methods": ["password", "sms"], "mayCreateInstead": true }
 * ```
 */
import { AppError } from '@weunion/errors';
import type { SharedState } from '@weunion/state';
import { z } from 'zod';
import type { AccountCandidate } from '../identity/pending-sign-in.ts';
import type { BindingMethod } from '../identity/policy.ts';
import type { AppTokens, TokenResponse } from '../tokens/app-tokens.ts';

export type AppLoginResponse =
  | { outcome: 'signed_in'; userId: string; tokens: TokenResponse }
  | { outcome: 'select'; pendingId: string; candidates: AccountCandidate[] }
  | { outcome: 'bind'; pendingId: string; methods: BindingMethod[]; mayCreateInstead: boolean };

/** Which app a pending sign-in will give tokens to, once completed. */
const pendingAppSchema = z.object({ clientId: z.string(), method: z.string(), authTime: z.number() });
export type PendingApp = z.output<typeof pendingAppSchema>;

/** As long as the identity core keeps a pending sign-in. */
const PENDING_TTL_MS = 10 * 60_000;
const pendingKey = (pendingId: string) => `app-login:pending:${pendingId}`;

export interface AppSignInDeps {
  state: SharedState;
  tokens: AppTokens;
}

export function refusedError(result: { reason: string; message: string }): AppError {
  return new AppError('login_refused', result.message, { details: { reason: result.reason } });
}

/** A sign-in outcome as identity (`SignInOutcome`, `SignInResult`) or a redeemed ticket gives it. */
export type AppOutcome =
  | { kind: 'signed_in'; userId: string }
  | { kind: 'refused'; reason: string; message: string }
  | { kind: 'select'; pendingId: string; candidates: AccountCandidate[] }
  | { kind: 'bind'; pendingId: string; methods: BindingMethod[]; mayCreateInstead: boolean }
  /** `SignInResult`'s choices before a pending id exists: never reaches an app. */
  | { kind: 'select' | 'bind'; pendingId?: undefined };

/** The answer to an app for a sign-in outcome; `select`/`bind` remember which app to give tokens to. */
export async function answerApp(deps: AppSignInDeps, outcome: AppOutcome, app: PendingApp): Promise<AppLoginResponse> {
  switch (outcome.kind) {
    case 'signed_in': {
      const tokens = await deps.tokens.issue({
        userId: outcome.userId,
        clientId: app.clientId,
        method: app.method,
        authTime: app.authTime,
      });
      return { outcome: 'signed_in', userId: outcome.userId, tokens };
    }
    case 'refused':
      throw refusedError(outcome);
    case 'select':
    case 'bind': {
      if (outcome.pendingId === undefined) throw new AppError('internal', 'a pending outcome without a pending id');
      await deps.state.set(pendingKey(outcome.pendingId), JSON.stringify(app), { ttlMs: PENDING_TTL_MS });
      return outcome.kind === 'select'
        ? { outcome: 'select', pendingId: outcome.pendingId, candidates: outcome.candidates }
        : { outcome: 'bind', pendingId: outcome.pendingId, methods: outcome.methods, mayCreateInstead: outcome.mayCreateInstead };
    }
  }
}

/** The app a pending sign-in was started for; pending sign-ins of browser logins are not found here. */
export async function pendingApp(state: SharedState, pendingId: string): Promise<PendingApp> {
  const raw = await state.get(pendingKey(pendingId));
  if (raw === null) throw new AppError('login_expired');
  return pendingAppSchema.parse(JSON.parse(raw));
}

export async function forgetPendingApp(state: SharedState, pendingId: string): Promise<void> {
  await state.delete(pendingKey(pendingId));
}

/**
 * Completing an app login that needs the person (S5–S7 `select` / `bind` outcomes), as JSON for
 * the app's own screens. Every binding method a policy may offer works here, as it does on the
 * hosted pages. Each completion answers like the login itself (app-sign-in.ts): tokens once
 * signed in. The identity core limits wrong answers (five per pending sign-in, and per account and
 * per WeChat identity across sign-ins: `binding_locked`) and completes a pending sign-in once.
 *
 * - `GET  /api/app/pending/:pendingId` → `{kind: 'select', candidates} | {kind: 'bind', methods, mayCreateInstead}`
 * - `POST /api/app/pending/:pendingId/select {userId}`
 * - `POST /api/app/pending/:pendingId/bind/password {login, password}` (`login`: E.164 phone or email)
 * - `POST /api/app/pending/:pendingId/bind/code/send {channel: 'sms'|'email', destination}` → `{expiresInMs}`
 * - `POST /api/app/pending/:pendingId/bind/code {channel, destination, code}`
 * - `POST /api/app/pending/:pendingId/create` (when `mayCreateInstead`)
 * - `POST /api/app/pending/:pendingId/cancel` → `{outcome: 'cancelled'}`: the person declined; the id is dead
 *
 * The pending id was handed only to the app that logged in (in its login answer); it is the
 * bearer of the pending sign-in, so apps keep it in memory, not in URLs or logs.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseInput } from '../http/problem.ts';
import type { RateLimiter } from '../http/rate-limit.ts';
import {
  cancelPendingSignIn,
  completeBindingWithCode,
  completeBindingWithPassword,
  completeSelection,
  createInsteadOfBinding,
  describePendingSignIn,
  sendBindingCode,
} from '../identity/pending-sign-in.ts';
import { VerificationCodes } from '../identity/verification-codes.ts';
import { CODE_SEND_PER_IP } from '../login/rate-rules.ts';
import { allowedCountryCode } from '../login/sms-login.ts';
import type { AppTokens } from '../tokens/app-tokens.ts';
import { answerApp, forgetPendingApp, pendingApp } from './app-sign-in.ts';
import { APP_LOGIN_LIMITS } from './limits.ts';

const paramsSchema = z.object({ pendingId: z.string().min(16).max(64) });
const selectSchema = z.object({ userId: z.string().min(1).max(64) }).strict();
const passwordSchema = z.object({ login: z.string().min(3).max(320), password: z.string().min(1).max(1024) }).strict();
const codeTargetSchema = z.object({ channel: z.enum(['sms', 'email']), destination: z.string().min(3).max(320) }).strict();
const codeAnswerSchema = z
  .object({ channel: z.enum(['sms', 'email']), destination: z.string().min(3).max(320), code: z.string().regex(/^\d{4,8}$/) })
  .strict();

export function registerPendingRoutes(app: FastifyInstance, tokens: AppTokens, limiter: RateLimiter): void {
  const ctx = app.ctx;
  const deps = { state: ctx.state, tokens };
  // The same code store as the hosted pages' (shared state): a code is good on any instance.
  const codes = new VerificationCodes(ctx.state, app.messages);

  app.get('/api/app/pending/:pendingId', async (request) => {
    const { pendingId } = parseInput(paramsSchema, request.params);
    await pendingApp(ctx.state, pendingId);
    return describePendingSignIn(ctx, pendingId);
  });

  app.post('/api/app/pending/:pendingId/select', async (request) => {
    const { pendingId } = parseInput(paramsSchema, request.params);
    const body = parseInput(selectSchema, request.body);
    const target = await pendingApp(ctx.state, pendingId);
    const result = await completeSelection(ctx, pendingId, body.userId);
    await forgetPendingApp(ctx.state, pendingId);
    return answerApp(deps, result, target);
  });

  app.post('/api/app/pending/:pendingId/bind/password', async (request) => {
    await limiter.consume(APP_LOGIN_LIMITS.perIp, request.ip);
    const { pendingId } = parseInput(paramsSchema, request.params);
    const body = parseInput(passwordSchema, request.body);
    const target = await pendingApp(ctx.state, pendingId);
    const result = await completeBindingWithPassword(ctx, pendingId, body);
    await forgetPendingApp(ctx.state, pendingId);
    return answerApp(deps, result, target);
  });

  app.post('/api/app/pending/:pendingId/bind/code/send', async (request) => {
    const { pendingId } = parseInput(paramsSchema, request.params);
    const body = parseInput(codeTargetSchema, request.body);
    await pendingApp(ctx.state, pendingId);
    if (body.channel === 'sms') allowedCountryCode(body.destination, ctx.config.smsLoginCountryCodes);
    // Each code costs an SMS/email: limited per client besides the per-destination resend wait.
    await limiter.consume(CODE_SEND_PER_IP, request.ip);
    return sendBindingCode(ctx, codes, pendingId, body);
  });

  app.post('/api/app/pending/:pendingId/bind/code', async (request) => {
    await limiter.consume(APP_LOGIN_LIMITS.perIp, request.ip);
    const { pendingId } = parseInput(paramsSchema, request.params);
    const body = parseInput(codeAnswerSchema, request.body);
    const target = await pendingApp(ctx.state, pendingId);
    const result = await completeBindingWithCode(ctx, codes, pendingId, body);
    await forgetPendingApp(ctx.state, pendingId);
    return answerApp(deps, result, target);
  });

  app.post('/api/app/pending/:pendingId/create', async (request) => {
    const { pendingId } = parseInput(paramsSchema, request.params);
    const target = await pendingApp(ctx.state, pendingId);
    const outcome = await createInsteadOfBinding(ctx, pendingId);
    await forgetPendingApp(ctx.state, pendingId);
    return answerApp(deps, outcome, target);
  });

  app.post('/api/app/pending/:pendingId/cancel', async (request) => {
    const { pendingId } = parseInput(paramsSchema, request.params);
    await pendingApp(ctx.state, pendingId);
    await forgetPendingApp(ctx.state, pendingId);
    await cancelPendingSignIn(ctx, pendingId);
    return { outcome: 'cancelled' };
  });
}

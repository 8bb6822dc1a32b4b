/**
 * Completing an app login that needs the person (S5–S7 `select` / `bind` outcomes), as JSON for
 * the app's own screens. Each answers like the login itself (app-sign-in.ts): tokens once signed
 * in. The identity core limits wrong answers (five) and completes a pending sign-in once.
 *
 * - `GET  /api/app/pending/:pendingId` → `{kind: 'select', candidates} | {kind: 'bind', methods, mayCreateInstead}`
 * - `POST /api/app/pending/:pendingId/select {userId}`
 * - `POST /api/app/pending/:pendingId/bind/password {login, password}` (`login`: E.164 phone or email)
 * - `POST /api/app/pending/:pendingId/create` (when `mayCreateInstead`)
 *
 * Binding by SMS or email code is the hosted pages' (it needs a code sender); an app that offers
 * it sends the person there.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseInput } from '../http/problem.ts';
import type { RateLimiter } from '../http/rate-limit.ts';
import {
  completeBindingWithPassword,
  completeSelection,
  createInsteadOfBinding,
  describePendingSignIn,
} from '../identity/pending-sign-in.ts';
import type { AppTokens } from '../tokens/app-tokens.ts';
import { answerApp, forgetPendingApp, pendingApp } from './app-sign-in.ts';
import { APP_LOGIN_LIMITS } from './limits.ts';

const paramsSchema = z.object({ pendingId: z.string().min(16).max(64) });
const selectSchema = z.object({ userId: z.string().min(1).max(64) }).strict();
const passwordSchema = z.object({ login: z.string().min(3).max(320), password: z.string().min(1).max(1024) }).strict();

export function registerPendingRoutes(app: FastifyInstance, tokens: AppTokens, limiter: RateLimiter): void {
  const ctx = app.ctx;
  const deps = { state: ctx.state, tokens };

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

  app.post('/api/app/pending/:pendingId/create', async (request) => {
    const { pendingId } = parseInput(paramsSchema, request.params);
    const target = await pendingApp(ctx.state, pendingId);
    const outcome = await createInsteadOfBinding(ctx, pendingId);
    await forgetPendingApp(ctx.state, pendingId);
    return answerApp(deps, outcome, target);
  });
}

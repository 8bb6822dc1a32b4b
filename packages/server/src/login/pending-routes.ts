/**
 * The JSON endpoints behind the hosted `/login/select` and `/login/bind` pages: describe the
 * pending sign-in, choose an account, prove an existing one (password or a code), or create a new
 * account when the policy allows. Each reads the pending sign-in from this browser's httpOnly
 * cookie only — a pending id seen elsewhere is worth nothing without the cookie — and each
 * success ends the same way as a direct sign-in: a session and the flow's `returnTo`. Cancel ends
 * the pending sign-in (nothing is linked or created) and sends the browser to `/login/cancelled`.
 */
import { AppError } from '@weunion/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { languageOf } from '../hosted/html.ts';
import { parseInput } from '../http/problem.ts';
import { RateLimiter, type RateRule } from '../http/rate-limit.ts';
import { interactionOf } from '../http/return-to.ts';
import {
  completeBindingWithCode,
  completeBindingWithPassword,
  completeSelection,
  createInsteadOfBinding,
  describePendingSignIn,
  type SignInOutcome,
  type SignInResult,
  sendBindingCode,
  VerificationCodes,
} from '../identity/index.ts';
import { cancelPendingSignIn } from '../identity/pending-sign-in.ts';
import { clientIp } from './browser.ts';
import { CANCELLED_PAGE, finishOutcome, forgetPending, pendingOfBrowser } from './finish.ts';
import { CODE_SEND_PER_IP } from './rate-rules.ts';
import { allowedCountryCode } from './sms-login.ts';

/**
 * Password and code answers per client address: each password check is a deliberate scrypt, so
 * one address cannot keep the CPU busy. Guessing itself is limited per account and per WeChat
 * identity by the identity core, whatever the address.
 */
const BIND_ANSWER_PER_IP: RateRule = { name: 'login-bind-ip', limit: 60, windowMs: 60_000 };

const selectSchema = z.object({ userId: z.string().min(1).max(64) }).strict();
const passwordSchema = z.object({ login: z.string().min(1).max(320), password: z.string().min(1).max(200) }).strict();
const codeTargetSchema = z.object({ channel: z.enum(['sms', 'email']), destination: z.string().min(3).max(320) }).strict();
const codeAnswerSchema = z
  .object({ channel: z.enum(['sms', 'email']), destination: z.string().min(3).max(320), code: z.string().regex(/^\d{4,8}$/) })
  .strict();

/** A completed selection/binding ends signed in or refused; asking again comes with a new pending id. */
function asOutcome(result: SignInResult | SignInOutcome): SignInOutcome {
  if (result.kind === 'signed_in' || result.kind === 'refused' || 'pendingId' in result) return result;
  throw new AppError('internal', 'a completed sign-in asked the person again without a pending id');
}

export function registerPendingRoutes(app: FastifyInstance): void {
  const ctx = app.ctx;
  const limiter = new RateLimiter(ctx.state);
  const codes = new VerificationCodes(ctx.state, app.messages);

  /** Ends the pending sign-in in this browser with the identity core's answer. */
  const finish = async (
    request: FastifyRequest,
    reply: FastifyReply,
    pending: Awaited<ReturnType<typeof pendingOfBrowser>>,
    result: SignInResult | SignInOutcome,
  ) => {
    const outcome = asOutcome(result);
    await forgetPending(app, reply, pending.pendingId);
    return finishOutcome(app, request, reply, outcome, {
      scenario: pending.scenario,
      appid: pending.appid,
      returnTo: pending.returnTo,
      clientId: pending.clientId,
    });
  };

  app.get('/api/login/pending', async (request) => {
    const pending = await pendingOfBrowser(app, request);
    const described = await describePendingSignIn(ctx, pending.pendingId);
    return { ...described, scenario: pending.scenario, returnTo: pending.returnTo };
  });

  app.post('/api/login/pending/select', async (request, reply) => {
    const { userId } = parseInput(selectSchema, request.body);
    const pending = await pendingOfBrowser(app, request);
    return finish(request, reply, pending, await completeSelection(ctx, pending.pendingId, userId));
  });

  app.post('/api/login/pending/bind/password', async (request, reply) => {
    const credentials = parseInput(passwordSchema, request.body);
    const pending = await pendingOfBrowser(app, request);
    await limiter.consume(BIND_ANSWER_PER_IP, clientIp(request));
    return finish(request, reply, pending, await completeBindingWithPassword(ctx, pending.pendingId, credentials));
  });

  app.post('/api/login/pending/bind/code/send', async (request) => {
    const target = parseInput(codeTargetSchema, request.body);
    const pending = await pendingOfBrowser(app, request);
    if (target.channel === 'sms') allowedCountryCode(target.destination, ctx.config.smsLoginCountryCodes);
    // Each code costs an SMS/email: limited per client besides the per-destination resend wait.
    await limiter.consume(CODE_SEND_PER_IP, clientIp(request));
    return sendBindingCode(ctx, codes, pending.pendingId, target, languageOf(request));
  });

  app.post('/api/login/pending/bind/code', async (request, reply) => {
    const answer = parseInput(codeAnswerSchema, request.body);
    const pending = await pendingOfBrowser(app, request);
    await limiter.consume(BIND_ANSWER_PER_IP, clientIp(request));
    return finish(request, reply, pending, await completeBindingWithCode(ctx, codes, pending.pendingId, answer));
  });

  app.post('/api/login/pending/cancel', async (request, reply) => {
    const pending = await pendingOfBrowser(app, request);
    await forgetPending(app, reply, pending.pendingId);
    await cancelPendingSignIn(ctx, pending.pendingId);
    // A cancelled OIDC login ends at the application with access_denied (oidc/interaction-routes.ts).
    const interaction = interactionOf(pending.returnTo);
    if (interaction !== undefined) return { status: 'cancelled', next: `/interaction/${interaction}/abort?reason=cancelled` };
    return { status: 'cancelled', next: `${CANCELLED_PAGE}?${new URLSearchParams({ returnTo: pending.returnTo })}` };
  });

  app.post('/api/login/pending/create', async (request, reply) => {
    const pending = await pendingOfBrowser(app, request);
    return finish(request, reply, pending, await createInsteadOfBinding(ctx, pending.pendingId));
  });
}

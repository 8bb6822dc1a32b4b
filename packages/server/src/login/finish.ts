/**
 * How every browser login ends, whichever scenario verified the person: signed in → a session
 * cookie and the `returnTo` the flow started with; the person must choose an account or prove an
 * existing one → the pending sign-in is bound to this browser (httpOnly cookie) and the browser
 * goes to the hosted page; refused → a clear error (problem JSON for API flows, `/login/error?code=`
 * for redirect flows).
 */
import { AppError } from '@weunion/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { checkedReturnTo } from '../embedding/return-to.ts';
import { interactionOf } from '../http/return-to.ts';
import type { SignInOutcome } from '../identity/index.ts';
import { recordLoginStat } from '../stats/login-stats.ts';
import { clearCookie, PENDING_COOKIE, readCookie, setCookie } from './browser.ts';
import { failedLogin, recordLoginEvent } from './history.ts';
import { LoginSessions, SESSION_COOKIE } from './sessions.ts';
import { type TicketResult, ticketResultFromOutcome } from './ticket-result.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Browser login sessions (cookie `wu_session`), in shared state. */
    loginSessions: LoginSessions;
  }
}

export const SELECT_PAGE = '/login/select';
export const BIND_PAGE = '/login/bind';
export const ERROR_PAGE = '/login/error';
/** Where a browser lands after cancelling a selection or binding. */
export const CANCELLED_PAGE = '/login/cancelled';

/** Same life as the identity core's pending sign-in. */
const PENDING_CONTEXT_TTL_MS = 10 * 60_000;

/** Where a pending sign-in came from and where it goes once finished. */
const pendingContextSchema = z.object({ returnTo: z.string(), scenario: z.string(), appid: z.string(), clientId: z.string().optional() });
export type PendingContext = z.output<typeof pendingContextSchema>;

const pendingContextKey = (pendingId: string) => `login:pending-context:${pendingId}`;

export type BrowserLoginAnswer =
  | { status: 'signed_in'; userId: string; returnTo: string }
  | { status: 'select' | 'bind'; next: string; returnTo: string };

export interface LoginSource {
  scenario: string;
  appid: string;
  returnTo: string;
  /** The application the login is for (its policy applied), when the flow was started for one. */
  clientId?: string | undefined;
}

export function loginSessionsFor(app: FastifyInstance): LoginSessions {
  return new LoginSessions(app.ctx.state, { ttlMs: app.ctx.config.sessionTtlSeconds * 1000 });
}

/** Starts a session for `userId` in this browser (ending any session the browser had). */
export async function startSession(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  input: { userId: string; method: string; appid?: string; clientId?: string | undefined },
): Promise<void> {
  await app.loginSessions.destroy(readCookie(request, SESSION_COOKIE));
  const { clientId, ...rest } = input;
  const { sessionId } = await app.loginSessions.create(clientId === undefined ? rest : { ...rest, clientId });
  setCookie(app.ctx, reply, SESSION_COOKIE, sessionId, { maxAgeSeconds: app.loginSessions.ttlMs / 1000 });
  // Every browser login ends here, whichever way it came (see stats/login-stats.ts).
  await recordLoginStat(
    app.ctx.database.db,
    { metric: 'login', scenario: input.method, appid: input.appid, clientId, userId: input.userId },
    request.log,
  );
  await recordLoginEvent(
    app.ctx.database.db,
    { outcome: 'succeeded', userId: input.userId, scenario: input.method, appid: input.appid, clientId, request },
    request.log,
  );
}

/**
 * Every return-to was checked when its flow started; checked again on the way out so that one
 * stored before a stricter rule (tickets and pending sign-ins outlive a deploy) cannot leave the
 * service — or a registered web origin, still registered now (one removed since the login started
 * no longer receives it). Failing here only means "go home": the login itself succeeded.
 */
async function exitReturnTo(app: FastifyInstance, returnTo: string): Promise<string> {
  try {
    // The same rule as at the start, registered web origins included (a login started on
    // https://shop.example goes back there).
    return await checkedReturnTo(app.ctx, returnTo);
  } catch (error) {
    if (error instanceof AppError && error.code === 'validation_failed') return '/';
    throw error;
  }
}

/** Applies a sign-in outcome to this browser; throws `login_refused` for a refusal. */
export async function finishBrowserLogin(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  result: TicketResult,
  given: string,
  clientId?: string,
): Promise<BrowserLoginAnswer> {
  const returnTo = await exitReturnTo(app, given);
  switch (result.outcome) {
    case 'signed_in':
      await startSession(app, request, reply, { userId: result.userId, method: result.scenario, appid: result.appid, clientId });
      return { status: 'signed_in', userId: result.userId, returnTo };
    case 'select':
    case 'bind': {
      const context: PendingContext = {
        returnTo,
        scenario: result.scenario,
        appid: result.appid,
        ...(clientId === undefined ? {} : { clientId }),
      };
      await app.ctx.state.set(pendingContextKey(result.pendingId), JSON.stringify(context), { ttlMs: PENDING_CONTEXT_TTL_MS });
      setCookie(app.ctx, reply, PENDING_COOKIE, result.pendingId, { maxAgeSeconds: PENDING_CONTEXT_TTL_MS / 1000 });
      return { status: result.outcome, next: result.outcome === 'select' ? SELECT_PAGE : BIND_PAGE, returnTo };
    }
    case 'refused':
      throw new AppError('login_refused', result.message, { details: { reason: result.reason } });
  }
}

/** The same, for an outcome straight from `signInThroughConnection`. */
export function finishOutcome(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  outcome: SignInOutcome,
  source: LoginSource,
): Promise<BrowserLoginAnswer> {
  return finishBrowserLogin(app, request, reply, ticketResultFromOutcome(outcome, source), source.returnTo, source.clientId);
}

/** The pending sign-in bound to this browser, with where it came from; `login_expired` when none. */
export async function pendingOfBrowser(app: FastifyInstance, request: FastifyRequest): Promise<{ pendingId: string } & PendingContext> {
  const pendingId = readCookie(request, PENDING_COOKIE);
  if (pendingId === undefined || pendingId === '' || pendingId.length > 100) throw new AppError('login_expired');
  const raw = await app.ctx.state.get(pendingContextKey(pendingId));
  if (raw === null) throw new AppError('login_expired');
  const context = pendingContextSchema.parse(JSON.parse(raw));
  return { pendingId, ...context, returnTo: await exitReturnTo(app, context.returnTo) };
}

/** The pending sign-in finished: forget it in this browser. */
export async function forgetPending(app: FastifyInstance, reply: FastifyReply, pendingId: string): Promise<void> {
  await app.ctx.state.delete(pendingContextKey(pendingId));
  clearCookie(app.ctx, reply, PENDING_COOKIE);
}

/** For redirect flows: send the browser on, to the next page or to the error page. */
export function redirectAfterLogin(reply: FastifyReply, answer: BrowserLoginAnswer): FastifyReply {
  return reply.redirect(answer.status === 'signed_in' ? answer.returnTo : answer.next, 302);
}

/**
 * Failures that end an OIDC login for good — the person declined in WeChat, was refused (closed
 * registration, blocked account…), or let the flow lapse — go back to the application as
 * `access_denied`. Passing trouble (WeChat unavailable, rate limits) stays on the error page, whose
 * "Try again" leads back into the same login.
 */
const BACK_TO_APPLICATION = new Set<string>(['login_refused', 'wechat_code_missing', 'wechat_scope_unauthorized', 'login_expired']);

/**
 * For redirect flows: a failure becomes `/login/error?code=…` (the hosted page explains the code),
 * so a person never lands on raw JSON. Internal errors are logged with their stack first.
 */
export function redirectToErrorPage(request: FastifyRequest, reply: FastifyReply, error: unknown, returnTo?: string): FastifyReply {
  const appError = error instanceof AppError ? error : new AppError('internal', undefined, { cause: error });
  if (appError.status >= 500) request.log.error({ err: error, code: appError.code }, 'browser login failed');
  else request.log.info({ code: appError.code, reason: appError.details?.reason }, appError.message);
  // Never throws (failures to record are logged), so the redirect need not wait for it.
  void recordLoginStat(request.server.ctx.database.db, { metric: 'failure', reason: appError.code }, request.log);
  const reason = appError.details?.reason;
  void recordLoginEvent(request.server.ctx.database.db, failedLogin(request, appError.code, reason), request.log);
  // A login for an OIDC application that cannot happen ends at the application, not on our page.
  const interaction = interactionOf(returnTo);
  if (interaction !== undefined && BACK_TO_APPLICATION.has(appError.code)) {
    const abort = new URLSearchParams({ reason: typeof reason === 'string' ? reason : appError.code });
    return reply.redirect(`/interaction/${interaction}/abort?${abort}`, 302);
  }
  const query = new URLSearchParams({ code: appError.code });
  if (typeof reason === 'string') query.set('reason', reason);
  query.set('requestId', String(request.id));
  // The error page offers to start again towards where the flow was going.
  if (returnTo !== undefined) query.set('returnTo', returnTo);
  return reply.redirect(`${ERROR_PAGE}?${query}`, 302);
}

/**
 * S7 — a mobile app opens a mini program to log in (WeChat docs: APP 拉起小程序,
 * developers.weixin.qq.com/doc/oplatform/Mobile_App/Launching_a_Mini_Program/Launching_a_Mini_Program.html,
 * and 小程序打开 APP, developers.weixin.qq.com/miniprogram/dev/framework/open-ability/launchApp.html).
 *
 * 1. The app: `POST /api/app/s7/tickets {appid, miniProgramAppid?, miniprogramType?}` →
 *    `{ticket, secret, qrExpiresAt, expiresAt, launch: {userName, path, miniprogramType}}`; it
 *    keeps `secret` and calls `WXLaunchMiniProgram.Req` with `launch`.
 * 2. The mini program page (`path` carries `ticket=<id>`) scans and confirms it through
 *    `/api/mp/tickets/:id/scan|confirm` (mp/ticket-routes.ts), like S3.
 * 3. The app gets the result either way:
 *    - waits on the ticket (`GET /api/login/tickets/:id[/events]` with `x-ticket-secret`), then
 *      `POST /api/app/s7/tickets/:id/redeem` (`x-ticket-secret` header) → the app-login answer;
 *    - or the `extMsg` path: confirm answered the mini program a one-time `resultCode`, which it
 *      returns to the app (`open-type="launchApp"` `app-parameter`); the app calls
 *      `POST /api/app/s7/exchange {resultCode, ticketSecret}` → the app-login answer.
 *    Either way only the holder of the ticket's secret — the app that created it — gets tokens,
 *    once; the tokens' client is the mobile app's connection.
 *
 * Quirks handled here:
 * - `userName` is the mini program's *original id* (`gh_…`), not its appid: taken from the connection.
 * - `miniprogramType`: 0 release, 1 development (test), 2 trial (preview).
 * - `extMsg` travels through WeChat and the app's OS intent/URL handling: it carries only a code
 *   that is useless without the ticket secret, never a token.
 * - An app may return from the mini program without `extMsg` (the person pressed back): the ticket
 *   route still tells it the state.
 */
import { AppError } from '@weunion/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { findConnectionsForScenario } from '../connections/store.ts';
import { parseInput } from '../http/problem.ts';
import type { RateLimiter } from '../http/rate-limit.ts';
import { type AppLoginResponse, answerApp, refusedError } from '../mp/app-sign-in.ts';
import { APP_LOGIN_LIMITS, limitAppLogin } from '../mp/limits.ts';
import { parseTicketLoginResult } from '../mp/ticket-result.ts';
import { TICKET_SECRET_HEADER } from '../tickets/routes.ts';
import type { AppTokens } from '../tokens/app-tokens.ts';
import { miniProgramConnection } from './mini-program-login.ts';
import { mobileAppConnection } from './s6-mobile-app.ts';
import { forgetResultCode, ticketOfResultCode } from './s7-result-codes.ts';

/** The mini program page that confirms an S7 ticket (part of weunion's mini program pages). */
export const S7_CONFIRM_PAGE = 'pages/login/confirm';

const appidField = z.string().regex(/^wx[0-9a-zA-Z]{6,30}$/, { error: 'must be a WeChat appid (wx…)' });
const createSchema = z
  .object({
    appid: appidField,
    miniProgramAppid: appidField.optional(),
    miniprogramType: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(0),
  })
  .strict();
const paramsSchema = z.object({ id: z.string().min(1).max(64) });
const exchangeSchema = z.object({ resultCode: z.string().min(1).max(128), ticketSecret: z.string().min(1).max(128) }).strict();
const contextSchema = z.looseObject({ clientId: z.string() });

function secretHeader(request: FastifyRequest): string {
  const header = request.headers[TICKET_SECRET_HEADER];
  if (typeof header !== 'string' || header === '') throw new AppError('not_found', 'No such login ticket (it may have expired)');
  return header;
}

export function registerS7(app: FastifyInstance, tokens: AppTokens, limiter: RateLimiter): void {
  const ctx = app.ctx;

  /** The mini program an app opens: the one named, or the only S7 mini program on its Open Platform account. */
  async function miniProgramFor(appOpenPlatformId: string | null, appid: string | undefined) {
    if (appid !== undefined) return miniProgramConnection(ctx, appid);
    const candidates = (await findConnectionsForScenario(ctx.database.db, ctx.secrets, 's7')).filter(
      (c) => c.appType === 'mini_program' && (appOpenPlatformId === null || c.openPlatformId === appOpenPlatformId),
    );
    const [only, ...more] = candidates;
    if (only === undefined || more.length > 0) {
      throw new AppError('bad_request', 'Name the mini program to open (miniProgramAppid): none or several serve S7 for this app');
    }
    return only;
  }

  /** Redeems a confirmed S7 ticket for the app holding its secret. */
  async function redeem(id: string, secret: string): Promise<AppLoginResponse> {
    const record = await app.tickets.authorize(id, secret);
    if (record.kind !== 's7') throw new AppError('not_found', 'No such login ticket (it may have expired)');
    const context = contextSchema.safeParse(record.context);
    if (!context.success) throw new AppError('not_found', 'No such login ticket (it may have expired)');
    const { result } = await app.tickets.redeem(id, secret);
    const login = parseTicketLoginResult(result);
    const target = { clientId: context.data.clientId, method: 's7', authTime: login.authTime };
    switch (login.outcome) {
      case 'signed_in':
        return answerApp({ state: ctx.state, tokens }, { kind: 'signed_in', userId: login.userId }, target);
      case 'select':
        return answerApp(
          { state: ctx.state, tokens },
          { kind: 'select', pendingId: login.pendingId, candidates: login.candidates },
          target,
        );
      case 'bind':
        return answerApp(
          { state: ctx.state, tokens },
          { kind: 'bind', pendingId: login.pendingId, methods: login.methods, mayCreateInstead: login.mayCreateInstead },
          target,
        );
      case 'refused':
        throw refusedError(login);
    }
  }

  app.post('/api/app/s7/tickets', async (request) => {
    const body = parseInput(createSchema, request.body);
    await limitAppLogin(limiter, request.ip, body.appid);
    const mobile = await mobileAppConnection(ctx, body.appid);
    if (!mobile.scenarios.includes('s7')) throw new AppError('forbidden', `Connection ${mobile.id} does not serve scenario s7`);
    const miniProgram = await miniProgramFor(mobile.openPlatformId, body.miniProgramAppid);
    if (!miniProgram.scenarios.includes('s7')) throw new AppError('forbidden', `Connection ${miniProgram.id} does not serve scenario s7`);
    if (miniProgram.originalId === null) {
      throw new AppError('config_invalid', `Connection ${miniProgram.id} needs its original id (gh_…) to be opened from an app`);
    }
    const { ticket, secret } = await app.tickets.create({
      kind: 's7',
      context: { connectionId: miniProgram.id, appid: miniProgram.appid, clientId: mobile.id, clientAppid: mobile.appid },
    });
    return {
      ticket: ticket.id,
      secret,
      qrExpiresAt: ticket.qrExpiresAt,
      expiresAt: ticket.expiresAt,
      launch: {
        userName: miniProgram.originalId,
        path: `${S7_CONFIRM_PAGE}?ticket=${ticket.id}`,
        miniprogramType: body.miniprogramType,
      },
    };
  });

  app.post('/api/app/s7/tickets/:id/redeem', async (request, reply) => {
    await limiter.consume(APP_LOGIN_LIMITS.tokenPerIp, request.ip);
    const { id } = parseInput(paramsSchema, request.params);
    reply.header('cache-control', 'no-store');
    return redeem(id, secretHeader(request));
  });

  app.post('/api/app/s7/exchange', async (request, reply) => {
    await limiter.consume(APP_LOGIN_LIMITS.tokenPerIp, request.ip);
    const body = parseInput(exchangeSchema, request.body);
    const id = await ticketOfResultCode(ctx.state, body.resultCode);
    const answer = await redeem(id, body.ticketSecret);
    await forgetResultCode(ctx.state, body.resultCode);
    reply.header('cache-control', 'no-store');
    return answer;
  });
}

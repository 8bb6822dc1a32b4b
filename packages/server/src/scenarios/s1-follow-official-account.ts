/**
 * S1 — log in on a PC by scanning the official account's QR ("follow to log in"). WeChat docs:
 * 生成带参数的二维码 (developers.weixin.qq.com/doc/offiaccount/Account_Management/Generating_a_Parametric_QR_Code.html),
 * 接收事件推送 (…/Message_Management/Receiving_event_pushes.html), 获取用户基本信息 (…/User_Management/Get_users_basic_information_UnionID.html).
 *
 * `POST /api/login/s1` creates a QR ticket (secret in an httpOnly cookie and in the JSON) and a
 * temporary parametric QR (`QR_STR_SCENE`, scene = the ticket id) living as long as the ticket's
 * QR. The person scans; WeChat pushes an event to `/wechat/callback/:appid` (wechat-callback/),
 * which hands it to `signInFromFollowEvent` here: unionid from `cgi-bin/user/info`, sign in,
 * confirm the ticket with the outcome. The browser, following the ticket (SSE / long poll),
 * redeems it once (`POST /api/login/tickets/:id/redeem`).
 *
 * Quirks handled here:
 * - Not yet following: `subscribe` with EventKey `qrscene_<scene>`; already following: `SCAN` with
 *   EventKey `<scene>` (no prefix). Both log in (landscape complaint #9: systems that handle one).
 * - The event only gives the openid; the unionid needs `user/info` (no nickname/avatar there since
 *   2021-12-27). So with `revealScanner` the waiting page can only be shown what weunion already
 *   knows: the nickname/picture of the account this openid belongs to, for people seen before.
 * - A scene names a ticket of *this* official account's connection; a ticket created for another
 *   connection, or of another kind, is ignored (an event pushed to the wrong appid logs no one in).
 * - The ticket's state lives in shared state, so the instance receiving the event need not be the
 *   one the browser watches (complaint #12).
 */
import { AppError } from '@weunion/errors';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { signInThroughConnection } from '../connections/sign-in.ts';
import type { Connection } from '../connections/store.ts';
import { RateLimiter } from '../http/rate-limit.ts';
import { lookupWechatIdentity } from '../identity/index.ts';
import { openBrowserTicket, ticketAnswer } from '../login/browser-ticket.ts';
import { credentialsOf } from '../login/connection-choice.ts';
import { type TicketResult, ticketResultFromOutcome } from '../login/ticket-result.ts';
import { policyForLogin } from '../oidc/application-policy.ts';
import { isTicketHandle } from '../tickets/qr-ticket.ts';

const contextSchema = z.looseObject({ connectionId: z.string(), appid: z.string(), applicationId: z.string().optional() });

export function registerS1(app: FastifyInstance): void {
  const ctx = app.ctx;
  const limiter = new RateLimiter(ctx.state);

  app.post('/api/login/s1', async (request, reply) => {
    // Every ticket costs a qrcode/create call from the account's daily quota (limited on open).
    const opened = await openBrowserTicket(app, limiter, request, 's1');
    const { connection, ticket } = opened;
    const qrSeconds = Math.max(1, Math.round((ticket.qrExpiresAt - Date.now()) / 1000));
    const qr = await ctx.wechat.officialAccount.createQrCode(credentialsOf(connection), { scene: ticket.id, expireSeconds: qrSeconds });
    return ticketAnswer(app, reply, opened, { qrImageUrl: qr.imageUrl, qrContent: qr.url });
  });
}

/** The nickname/picture on record for this openid's account (opt-in display on the waiting page). */
async function knownScanner(
  app: FastifyInstance,
  connection: Connection,
  openid: string,
): Promise<{ nickname?: string; avatarUrl?: string } | undefined> {
  const known = await lookupWechatIdentity(app.ctx.database.db, { appid: connection.appid, openid });
  if (known === null) return undefined;
  const user = await app.ctx.database.db
    .selectFrom('users')
    .select(['nickname', 'picture'])
    .where('id', '=', known.userId)
    .executeTakeFirst();
  if (user === undefined) return undefined;
  return { ...(user.nickname === null ? {} : { nickname: user.nickname }), ...(user.picture === null ? {} : { avatarUrl: user.picture }) };
}

/** The scene of a login QR event: `qrscene_<id>` on subscribe, `<id>` on SCAN; null for anything else. */
export function loginSceneOf(event: string, eventKey: string): string | null {
  const scene =
    event === 'subscribe'
      ? eventKey.startsWith('qrscene_')
        ? eventKey.slice('qrscene_'.length)
        : null
      : event === 'SCAN'
        ? eventKey
        : null;
  return scene !== null && isTicketHandle(scene) ? scene : null;
}

/**
 * A person scanned an S1 login QR of `connection` (a verified callback event): sign them in and
 * confirm the ticket with the outcome. Returns false when the scene is not a live S1 ticket of this
 * connection (then nothing changes).
 */
export async function signInFromFollowEvent(
  app: FastifyInstance,
  connection: Connection,
  input: { scene: string; openid: string },
): Promise<boolean> {
  const ctx = app.ctx;
  const record = await app.tickets.get(input.scene);
  const context = contextSchema.safeParse(record?.context);
  if (
    record === null ||
    record.kind !== 's1' ||
    !context.success ||
    context.data.connectionId !== connection.id ||
    context.data.appid !== connection.appid
  ) {
    return false;
  }
  if (record.state !== 'waiting' && record.state !== 'scanned') return false;
  await app.tickets.markScanned(
    record.id,
    connection.settings.revealScanner ? await knownScanner(app, connection, input.openid) : undefined,
  );
  let result: TicketResult;
  try {
    const follower = await ctx.wechat.officialAccount.getUser(credentialsOf(connection), input.openid);
    const policy = await policyForLogin(ctx, connection.policy, context.data.applicationId, 's1');
    const outcome = await signInThroughConnection(ctx, connection, 's1', { openid: input.openid, unionid: follower.unionid }, policy);
    result = ticketResultFromOutcome(outcome, { appid: connection.appid, scenario: 's1' });
  } catch (error) {
    // WeChat or storage failed after the person scanned: tell the waiting browser now (it shows a
    // fresh QR) rather than let it wait for a login that will not come.
    const appError = error instanceof AppError ? error : new AppError('internal', undefined, { cause: error });
    app.log.error({ err: error, ticket: record.id, appid: connection.appid }, 'S1 sign-in after a scan failed');
    result = {
      outcome: 'refused',
      reason: appError.code,
      message: appError.expose ? appError.message : 'The sign-in failed; please try again',
      appid: connection.appid,
      scenario: 's1',
    };
  }
  await app.tickets.confirm(record.id, result);
  return true;
}

/**
 * S5 — login inside a mini program (WeChat docs: 小程序登录,
 * developers.weixin.qq.com/miniprogram/dev/framework/open-ability/login.html, and 手机号快速验证组件,
 * developers.weixin.qq.com/miniprogram/dev/framework/open-ability/getPhoneNumber.html).
 *
 * - `POST /api/mp/login {appid, code, phoneCode? | encryptedData?+iv?}` → the app-login answer
 *   (mp/app-sign-in.ts: tokens, or a pending `select`/`bind`) plus `phoneSource`
 *   (`wechat_code` | `encrypted_data` | `on_file` | `none`). `phone_required` (400) when the
 *   connection requires a phone number and none is on file or given.
 * - `POST /api/mp/phone {phoneCode? | encryptedData?+iv?, code?}` with `Authorization: Bearer
 *   <access token>` → `{phoneNumber, attached}`: adds a verified phone later. The legacy
 *   `encryptedData` is decrypted with the session_key kept from the person's last `wx.login`
 *   (or from `code`, when the mini program logs in again first).
 *
 * Quirks handled here (the WeChat ones are in mini-program-login.ts):
 * - There is no redirect: the mini program calls this API and gets tokens (OIDC-style JSON).
 * - Registration, field matching and binding follow the connection's policy: a mini program can
 *   refuse unknown people (`registration: deny` → `login_refused`), link by verified phone
 *   (`fieldMatching: [phone]`), or ask to bind an existing account.
 * - Without an Open Platform binding the login works on the openid alone; once the mini program is
 *   bound, jscode2session starts answering the unionid and the identity core reconciles.
 */
import { AppError } from '@weunion/errors';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { signInThroughConnection } from '../connections/sign-in.ts';
import { findConnection } from '../connections/store.ts';
import { parseInput } from '../http/problem.ts';
import type { RateLimiter } from '../http/rate-limit.ts';
import { answerApp } from '../mp/app-sign-in.ts';
import { limitAppLogin } from '../mp/limits.ts';
import type { AppTokens } from '../tokens/app-tokens.ts';
import { requireAccessToken } from '../tokens/routes.ts';
import { miniProgramConnection, phoneFromEvidence, verifyLoginCode, verifyMiniProgramLogin } from './mini-program-login.ts';
import { readSessionKeys } from './mini-program-session-keys.ts';

const appidField = z.string().regex(/^wx[0-9a-zA-Z]{6,30}$/, { error: 'must be a WeChat appid (wx…)' });
const phoneEvidence = {
  phoneCode: z.string().min(1).max(256).optional(),
  encryptedData: z.string().min(1).max(8192).optional(),
  iv: z.string().min(1).max(64).optional(),
};
const pairedIv = <T extends { encryptedData?: string | undefined; iv?: string | undefined }>(body: T) =>
  (body.encryptedData === undefined) === (body.iv === undefined);

const loginSchema = z
  .object({ appid: appidField, code: z.string().min(1).max(256), ...phoneEvidence })
  .strict()
  .refine(pairedIv, { error: 'encryptedData and iv go together', path: ['iv'] });

const phoneSchema = z
  .object({ code: z.string().min(1).max(256).optional(), ...phoneEvidence })
  .strict()
  .refine(pairedIv, { error: 'encryptedData and iv go together', path: ['iv'] })
  .refine((body) => body.phoneCode !== undefined || body.encryptedData !== undefined, {
    error: 'give phoneCode, or encryptedData and iv',
    path: ['phoneCode'],
  });

export function registerS5(app: FastifyInstance, tokens: AppTokens, limiter: RateLimiter): void {
  const ctx = app.ctx;

  app.post('/api/mp/login', async (request, reply) => {
    const body = parseInput(loginSchema, request.body);
    await limitAppLogin(limiter, request.ip, body.appid);
    const connection = await miniProgramConnection(ctx, body.appid);
    if (!connection.scenarios.includes('s5')) throw new AppError('forbidden', `Connection ${connection.id} does not serve scenario s5`);
    const login = await verifyMiniProgramLogin(ctx, connection, body, limiter);
    const outcome = await signInThroughConnection(ctx, connection, 's5', login.facts);
    const answer = await answerApp({ state: ctx.state, tokens }, outcome, { clientId: connection.id, method: 's5', authTime: Date.now() });
    reply.header('cache-control', 'no-store');
    return { ...answer, phoneSource: login.phoneSource };
  });

  app.post('/api/mp/phone', async (request) => {
    const claims = await requireAccessToken(tokens, request);
    const body = parseInput(phoneSchema, request.body);
    const connection = await findConnection(ctx.database.db, ctx.secrets, claims.clientId);
    if (connection === null || connection.appType !== 'mini_program') {
      throw new AppError('forbidden', 'This access token was not issued to a mini program');
    }
    await limitAppLogin(limiter, request.ip, connection.appid);
    const identity = await ctx.database.db
      .selectFrom('wechat_identities')
      .select(['openid'])
      .where('user_id', '=', claims.userId)
      .where('appid', '=', connection.appid)
      .executeTakeFirst();
    if (identity === undefined) throw new AppError('forbidden', 'This account has no WeChat identity in this mini program');
    let sessionKeys: string[];
    if (body.code !== undefined) {
      const login = await verifyLoginCode(ctx, connection, body.code, limiter);
      if (login.openid !== identity.openid) throw new AppError('forbidden', 'The login code belongs to someone else');
      sessionKeys = [login.sessionKey, ...login.earlierSessionKeys];
    } else {
      sessionKeys = await readSessionKeys(ctx.database.db, ctx.secrets, { appid: connection.appid, openid: identity.openid });
    }
    const phone = await phoneFromEvidence(ctx, connection, identity.openid, body, sessionKeys, limiter);
    if (phone === undefined) throw new AppError('validation_failed', 'give phoneCode, or encryptedData and iv');
    // Signing in again with the verified phone records it on the account (when nobody else has it).
    const outcome = await signInThroughConnection(ctx, connection, 's5', { openid: identity.openid, phone: phone.phone });
    if (outcome.kind !== 'signed_in' || outcome.userId !== claims.userId) {
      throw new AppError('conflict', 'The phone number could not be added to this account');
    }
    const user = await ctx.database.db.selectFrom('users').select('phone_number').where('id', '=', claims.userId).executeTakeFirstOrThrow();
    return { phoneNumber: phone.phone, attached: user.phone_number === phone.phone };
  });
}

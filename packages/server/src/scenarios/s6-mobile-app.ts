/**
 * S6 — a mobile app logs in with the WeChat OpenSDK (WeChat docs: 移动应用微信登录开发指南,
 * developers.weixin.qq.com/doc/oplatform/Mobile_App/WeChat_Login/Development_Guide.html).
 *
 * `POST /api/app/login {appid, code, state?}` → the app-login answer (mp/app-sign-in.ts: tokens,
 * or a pending `select`/`bind`) plus `state` echoed back.
 *
 * Quirks handled here:
 * - The code comes from the app (`SendAuth.Resp`), not from a browser redirect, and is exchanged
 *   with the *mobile app's* own appid/secret (`sns/oauth2/access_token`); single use, 10 minutes
 *   (`wechat_code_invalid` when reused or issued to another app).
 * - `state` protects the app against a forged `SendAuth.Resp`: only the app can compare it with
 *   what it sent, so weunion checks its shape (WeChat's 1–128 `[A-Za-z0-9]`) and echoes it.
 * - `sns/userinfo` gives nickname and avatar only; since 2021 sex/province/city/country are blank,
 *   and blank values are not profile facts. A `snsapi_base`-only token (48001) signs in on ids alone.
 * - The unionid comes with the token when the app is bound to an Open Platform account; userinfo
 *   repeats it (either is taken). The user access_token is used once and forgotten.
 */
import { AppError } from '@weunion/errors';
import type { SnsUserInfo } from '@weunion/wechat';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { signInThroughConnection } from '../connections/sign-in.ts';
import { type Connection, findConnectionByAppid } from '../connections/store.ts';
import { parseInput } from '../http/problem.ts';
import type { RateLimiter, RateRule } from '../http/rate-limit.ts';
import type { WechatProfile } from '../identity/assertion.ts';
import { answerApp } from '../mp/app-sign-in.ts';
import { limitAppLogin } from '../mp/limits.ts';
import type { AppTokens } from '../tokens/app-tokens.ts';
import type { ScenarioContext } from './mini-program-login.ts';

const loginSchema = z
  .object({
    appid: z.string().regex(/^wx[0-9a-zA-Z]{6,30}$/, { error: 'must be a WeChat appid (wx…)' }),
    code: z.string().min(1).max(256),
    state: z
      .string()
      .regex(/^[A-Za-z0-9]{1,128}$/, { error: 'must be 1–128 letters or digits (WeChat’s limit)' })
      .optional(),
  })
  .strict();

const LOGIN_PER_OPENID: RateRule = { name: 'app-login-openid', limit: 20, windowMs: 60_000 };

/** The mobile app connection for `appid`, with its secret; refuses other app types. */
export async function mobileAppConnection(ctx: Pick<ScenarioContext, 'database' | 'secrets'>, appid: string): Promise<Connection> {
  const connection = await findConnectionByAppid(ctx.database.db, ctx.secrets, appid);
  if (connection === null) throw new AppError('not_found', `No connection for appid ${appid}`);
  if (connection.appType !== 'mobile_app') throw new AppError('bad_request', `appid ${appid} is not a mobile app`);
  return connection;
}

function profileOf(info: SnsUserInfo): WechatProfile {
  return {
    ...(info.nickname === '' ? {} : { nickname: info.nickname }),
    ...(info.headImgUrl === '' ? {} : { avatarUrl: info.headImgUrl }),
    ...(info.sex === 1 || info.sex === 2 ? { gender: info.sex } : {}),
  };
}

/** Verifies an OpenSDK code: openid, unionid and profile, as WeChat tells them. */
export async function verifyMobileAppCode(ctx: ScenarioContext, connection: Connection, code: string, limiter?: RateLimiter) {
  if (connection.secret === null)
    throw new AppError('wechat_credentials_invalid', `Connection ${connection.id} has no AppSecret configured`);
  const token = await ctx.wechat.oauth.exchangeCode({ appid: connection.appid, secret: connection.secret }, code);
  await limiter?.consume(LOGIN_PER_OPENID, `${connection.appid}:${token.openid}`);
  const info = await ctx.wechat.oauth.getUserInfo(token.accessToken, token.openid).catch((error: unknown) => {
    if (error instanceof AppError && error.code === 'wechat_scope_unauthorized') return undefined;
    throw error;
  });
  return {
    openid: token.openid,
    unionid: token.unionid ?? info?.unionid,
    profile: info === undefined ? undefined : profileOf(info),
    snapshot: token.isSnapshotUser,
  };
}

export function registerS6(app: FastifyInstance, tokens: AppTokens, limiter: RateLimiter): void {
  const ctx = app.ctx;

  app.post('/api/app/login', async (request, reply) => {
    const body = parseInput(loginSchema, request.body);
    await limitAppLogin(limiter, request.ip, body.appid);
    const connection = await mobileAppConnection(ctx, body.appid);
    if (!connection.scenarios.includes('s6')) throw new AppError('forbidden', `Connection ${connection.id} does not serve scenario s6`);
    const facts = await verifyMobileAppCode(ctx, connection, body.code, limiter);
    const outcome = await signInThroughConnection(ctx, connection, 's6', facts);
    const answer = await answerApp({ state: ctx.state, tokens }, outcome, { clientId: connection.id, method: 's6', authTime: Date.now() });
    reply.header('cache-control', 'no-store');
    return { ...answer, ...(body.state === undefined ? {} : { state: body.state }) };
  });
}

/**
 * App access tokens: `cgi-bin/token` and `cgi-bin/stable_token`.
 *
 * Rules emulated (developers.weixin.qq.com/doc/service/api/base/api_getaccesstoken and
 * …/api_getstableaccesstoken):
 * - A token lives 7200 s. Fetching a new one cuts the previous one's life to 5 more minutes
 *   (the overlap WeChat grants so running calls finish), which is why a cluster must share one.
 *   A token used after that overlap is "not latest": 40001, not 42001.
 * - The stable token is a separate line: fetching one never touches the other. Without
 *   `force_refresh` it answers the current stable token with its remaining lifetime, except in the
 *   last 5 minutes, when it issues the next one ("普通模式下平台会提前5分钟更新", so `expires_in`
 *   is always ≥ 300); the old one lives out its last minutes.
 * - `force_refresh: true` invalidates the current stable token at once (40001 from then on) and
 *   issues a new one; at most 20 a day (45009 beyond), and within 30 s of the previous forced
 *   refresh it does not refresh ("需间隔30秒，否则不会刷新"): the current token is answered.
 * - Refusals: missing 41001, unknown, replaced (or cut off by fault injection as "invalid") 40001,
 *   expired 42001.
 */
import { authenticateApp } from './credentials.ts';
import { newOpaqueToken } from './ids.ts';
import { WechatApiError } from './wechat-error.ts';
import { LIFETIMES, type SandboxApp, type World } from './world.ts';

const TOKEN_APP_TYPES = ['official_account', 'mini_program'] as const;

export interface AppTokenAnswer {
  access_token: string;
  expires_in: number;
}

export interface TokenRequest {
  grantType: string | undefined;
  appid: string | undefined;
  secret: string | undefined;
}

function checkGrant(request: TokenRequest): void {
  if (request.grantType !== 'client_credential') throw new WechatApiError('invalidGrantType');
}

/** How the token a new one replaces ends: after WeChat's 5-minute overlap, or at once (force_refresh). */
type Replacement = 'overlap' | 'immediately';

function issue(world: World, app: SandboxApp, kind: 'token' | 'stable', replacement: Replacement): AppTokenAnswer {
  const now = world.clock.now();
  const latest = world.latestAppToken.get(app.appid) ?? {};
  const previous = latest[kind];
  if (previous !== undefined) {
    const old = world.appTokens.get(previous);
    if (old !== undefined) {
      old.replaced = true;
      old.expiresAt =
        replacement === 'immediately' ? Math.min(old.expiresAt, now) : Math.min(old.expiresAt, now + LIFETIMES.tokenOverlap * 1000);
    }
  }
  const token = newOpaqueToken();
  world.appTokens.set(token, { appid: app.appid, kind, expiresAt: now + LIFETIMES.accessToken * 1000, revoked: null, replaced: false });
  world.latestAppToken.set(app.appid, { ...latest, [kind]: token });
  return { access_token: token, expires_in: LIFETIMES.accessToken };
}

/** WeChat's documented limits of `force_refresh`: 20 a day, 30 s apart. */
const FORCE_REFRESH_PER_DAY = 20;
const FORCE_REFRESH_INTERVAL_MS = 30_000;
/** Normal mode hands out the next stable token this long before the current one expires. */
const STABLE_RENEW_AHEAD_MS = 5 * 60_000;

/** `GET /cgi-bin/token?grant_type=client_credential&appid&secret`. */
export function fetchAccessToken(world: World, request: TokenRequest): AppTokenAnswer {
  checkGrant(request);
  const app = authenticateApp(world, request.appid, request.secret, TOKEN_APP_TYPES);
  return issue(world, app, 'token', 'overlap');
}

const DAY_MS = 86_400_000;

/** The current stable token while it still works, with what WeChat would answer for it. */
function liveStableToken(world: World, appid: string, now: number): { answer: AppTokenAnswer; remainingMs: number } | null {
  const token = world.latestAppToken.get(appid)?.stable;
  const record = token === undefined ? undefined : world.appTokens.get(token);
  if (token === undefined || record === undefined || record.revoked !== null || record.expiresAt <= now) return null;
  const remainingMs = record.expiresAt - now;
  return { answer: { access_token: token, expires_in: Math.floor(remainingMs / 1000) }, remainingMs };
}

/** `POST /cgi-bin/stable_token {grant_type, appid, secret, force_refresh}`. */
export function fetchStableToken(world: World, request: TokenRequest & { forceRefresh: boolean }): AppTokenAnswer {
  checkGrant(request);
  const app = authenticateApp(world, request.appid, request.secret, TOKEN_APP_TYPES);
  const now = world.clock.now();
  const current = liveStableToken(world, app.appid, now);
  if (!request.forceRefresh) {
    if (current !== null && current.remainingMs > STABLE_RENEW_AHEAD_MS) return current.answer;
    return issue(world, app, 'stable', 'overlap');
  }
  const history = world.forceRefreshes.get(app.appid) ?? [];
  const last = history.at(-1);
  if (current !== null && last !== undefined && now - last < FORCE_REFRESH_INTERVAL_MS) return current.answer;
  const today = Math.floor(now / DAY_MS);
  const todays = history.filter((at) => Math.floor(at / DAY_MS) === today);
  if (todays.length >= FORCE_REFRESH_PER_DAY) throw new WechatApiError('dailyQuota');
  world.forceRefreshes.set(app.appid, [...todays, now]);
  return issue(world, app, 'stable', 'immediately');
}

/** The app an `access_token` query parameter belongs to, or WeChat's refusal. */
export function requireAppToken(world: World, accessToken: string | undefined): SandboxApp {
  if (accessToken === undefined || accessToken === '') throw new WechatApiError('accessTokenMissing');
  const record = world.appTokens.get(accessToken);
  if (record === undefined || record.revoked === 'invalid') throw new WechatApiError('invalidCredential');
  if (record.revoked === 'expired') throw new WechatApiError('accessTokenExpired');
  if (record.expiresAt <= world.clock.now()) {
    // A token replaced by a newer one is "not latest" once its overlap is over; only a token that
    // simply lived its 7200 s is "expired".
    throw new WechatApiError(record.replaced ? 'invalidCredential' : 'accessTokenExpired');
  }
  const app = world.apps.get(record.appid);
  if (app === undefined) throw new WechatApiError('invalidCredential');
  return app;
}

/** The app a token belongs to, without judging it (for fault scoping and stats). */
export function appidOfToken(world: World, accessToken: string | undefined): string | undefined {
  return accessToken === undefined ? undefined : world.appTokens.get(accessToken)?.appid;
}

/** Fault injection: every token issued so far (for one app or all) is refused from now on. */
export function revokeAppTokens(world: World, appid: string | undefined, how: 'expired' | 'invalid'): number {
  let count = 0;
  for (const record of world.appTokens.values()) {
    if ((appid === undefined || record.appid === appid) && record.revoked === null) {
      record.revoked = how;
      count += 1;
    }
  }
  return count;
}

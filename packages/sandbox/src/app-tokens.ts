/**
 * App access tokens: `cgi-bin/token` and `cgi-bin/stable_token`.
 *
 * Rules emulated:
 * - A token lives 7200 s. Fetching a new one cuts the previous one's life to 5 more minutes
 *   (the overlap WeChat grants so running calls finish), which is why a cluster must share one.
 * - The stable token is a separate line: fetching one never touches the other. Without
 *   `force_refresh` it answers the current stable token with its remaining lifetime.
 * - Refusals: missing 41001, unknown (or cut off by fault injection as "invalid") 40001,
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

function issue(world: World, app: SandboxApp, kind: 'token' | 'stable'): AppTokenAnswer {
  const now = world.clock.now();
  const latest = world.latestAppToken.get(app.appid) ?? {};
  const previous = latest[kind];
  if (previous !== undefined) {
    const old = world.appTokens.get(previous);
    if (old !== undefined) old.expiresAt = Math.min(old.expiresAt, now + LIFETIMES.tokenOverlap * 1000);
  }
  const token = newOpaqueToken();
  world.appTokens.set(token, { appid: app.appid, kind, expiresAt: now + LIFETIMES.accessToken * 1000, revoked: null });
  world.latestAppToken.set(app.appid, { ...latest, [kind]: token });
  return { access_token: token, expires_in: LIFETIMES.accessToken };
}

/** `GET /cgi-bin/token?grant_type=client_credential&appid&secret`. */
export function fetchAccessToken(world: World, request: TokenRequest): AppTokenAnswer {
  checkGrant(request);
  const app = authenticateApp(world, request.appid, request.secret, TOKEN_APP_TYPES);
  return issue(world, app, 'token');
}

/** `POST /cgi-bin/stable_token {grant_type, appid, secret, force_refresh}`. */
export function fetchStableToken(world: World, request: TokenRequest & { forceRefresh: boolean }): AppTokenAnswer {
  checkGrant(request);
  const app = authenticateApp(world, request.appid, request.secret, TOKEN_APP_TYPES);
  const current = world.latestAppToken.get(app.appid)?.stable;
  const record = current === undefined ? undefined : world.appTokens.get(current);
  const now = world.clock.now();
  if (!request.forceRefresh && current !== undefined && record !== undefined && record.revoked === null && record.expiresAt > now) {
    return { access_token: current, expires_in: Math.floor((record.expiresAt - now) / 1000) };
  }
  return issue(world, app, 'stable');
}

/** The app an `access_token` query parameter belongs to, or WeChat's refusal. */
export function requireAppToken(world: World, accessToken: string | undefined): SandboxApp {
  if (accessToken === undefined || accessToken === '') throw new WechatApiError('accessTokenMissing');
  const record = world.appTokens.get(accessToken);
  if (record === undefined || record.revoked === 'invalid') throw new WechatApiError('invalidCredential');
  if (record.revoked === 'expired' || record.expiresAt <= world.clock.now()) throw new WechatApiError('accessTokenExpired');
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

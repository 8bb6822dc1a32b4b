/**
 * User authorization: codes from the browser pages / phone actions, and the `sns/*` endpoints
 * that turn them into user tokens (website QR login, official-account web auth, mobile SendAuth).
 *
 * Rules emulated:
 * - Codes are single use (40163 the second time), expire (42003) after 10 minutes (website,
 *   mobile) or 5 minutes (official account), and only the app they were issued to may use them
 *   (40029 otherwise).
 * - Access tokens live 7200 s, refresh tokens 30 days; a refresh keeps the refresh_token.
 * - unionid: only for apps bound to an Open Platform account (at exchange time, so an app bound
 *   later starts answering it), and for official accounts only with snsapi_userinfo.
 * - Snapshot-page users: `is_snapshotuser: 1` and stand-in ids (official-account web auth only).
 * - `sns/userinfo` with a snsapi_base token: 48001. Since 2021 sex/province/city/country are blank.
 */
import { authenticateApp } from './credentials.ts';
import { newOpaqueToken, randomAlphanumeric } from './ids.ts';
import { WechatApiError } from './wechat-error.ts';
import { LIFETIMES, type OAuthScope, type SandboxApp, type UserGrant, type World } from './world.ts';

const OAUTH_APP_TYPES = ['official_account', 'website', 'mobile_app'] as const;

function codeLifetime(app: SandboxApp): number {
  if (app.type === 'official_account') return LIFETIMES.officialAccountCode;
  if (app.type === 'mobile_app') return LIFETIMES.mobileAppCode;
  return LIFETIMES.websiteCode;
}

/** A code the person's consent produced; what the redirect (or SendAuth) hands the app. */
export function issueOAuthCode(world: World, app: SandboxApp, personId: string, scope: OAuthScope): string {
  const person = world.requirePerson(personId);
  const code = randomAlphanumeric(32);
  world.oauthCodes.set(code, {
    appid: app.appid,
    personId,
    scope,
    snapshot: person.snapshot && app.type === 'official_account',
    expiresAt: world.clock.now() + codeLifetime(app) * 1000,
    used: false,
  });
  return code;
}

export interface UserTokenAnswer {
  access_token: string;
  expires_in: number;
  refresh_token: string;
  openid: string;
  scope: string;
  is_snapshotuser?: 1;
  unionid?: string;
}

function unionidAllowed(app: SandboxApp, scope: OAuthScope): boolean {
  return app.type !== 'official_account' || scope === 'snsapi_userinfo';
}

function answerFor(world: World, app: SandboxApp, grant: UserGrant, accessToken: string, refreshToken: string): UserTokenAnswer {
  const ids = world.idsFor(app, grant.personId, grant.snapshot);
  const answer: UserTokenAnswer = {
    access_token: accessToken,
    expires_in: LIFETIMES.accessToken,
    refresh_token: refreshToken,
    openid: ids.openid,
    scope: grant.scope,
  };
  if (grant.snapshot) answer.is_snapshotuser = 1;
  if (ids.unionid !== null && unionidAllowed(app, grant.scope)) answer.unionid = ids.unionid;
  return answer;
}

export interface CodeExchange {
  appid: string | undefined;
  secret: string | undefined;
  code: string | undefined;
  grantType: string | undefined;
}

/** `GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code`. */
export function exchangeOAuthCode(world: World, request: CodeExchange): UserTokenAnswer {
  const app = authenticateApp(world, request.appid, request.secret, OAUTH_APP_TYPES);
  if (request.code === undefined || request.code === '') throw new WechatApiError('codeMissing');
  if (request.grantType !== 'authorization_code') throw new WechatApiError('invalidGrantType');
  const code = world.oauthCodes.get(request.code);
  if (code === undefined || code.appid !== app.appid) throw new WechatApiError('invalidCode');
  if (code.used) throw new WechatApiError('codeUsed');
  if (code.expiresAt <= world.clock.now()) throw new WechatApiError('codeExpired');
  code.used = true;
  const now = world.clock.now();
  const base = { appid: app.appid, personId: code.personId, scope: code.scope, snapshot: code.snapshot };
  const accessToken = newOpaqueToken();
  const refreshToken = newOpaqueToken();
  const grant = { ...base, expiresAt: now + LIFETIMES.accessToken * 1000 };
  world.userAccessTokens.set(accessToken, grant);
  world.refreshTokens.set(refreshToken, { ...base, expiresAt: now + LIFETIMES.refreshToken * 1000 });
  return answerFor(world, app, grant, accessToken, refreshToken);
}

export interface RefreshRequest {
  appid: string | undefined;
  grantType: string | undefined;
  refreshToken: string | undefined;
}

/** `GET /sns/oauth2/refresh_token?appid&grant_type=refresh_token&refresh_token` (no secret, as WeChat). */
export function refreshUserToken(world: World, request: RefreshRequest): UserTokenAnswer {
  if (request.appid === undefined || request.appid === '') throw new WechatApiError('appidMissing');
  const app = world.apps.get(request.appid);
  if (app === undefined || !(OAUTH_APP_TYPES as readonly string[]).includes(app.type)) throw new WechatApiError('invalidAppid');
  if (request.grantType !== 'refresh_token') throw new WechatApiError('invalidGrantType');
  if (request.refreshToken === undefined || request.refreshToken === '') throw new WechatApiError('refreshTokenMissing');
  const refresh = world.refreshTokens.get(request.refreshToken);
  if (refresh === undefined || refresh.appid !== app.appid) throw new WechatApiError('invalidRefreshToken');
  if (refresh.expiresAt <= world.clock.now()) throw new WechatApiError('refreshTokenExpired');
  const accessToken = newOpaqueToken();
  const grant = { ...refresh, expiresAt: world.clock.now() + LIFETIMES.accessToken * 1000 };
  world.userAccessTokens.set(accessToken, grant);
  return answerFor(world, app, grant, accessToken, request.refreshToken);
}

function requireUserToken(
  world: World,
  accessToken: string | undefined,
  openid: string | undefined,
): { grant: UserGrant; app: SandboxApp } {
  if (accessToken === undefined || accessToken === '') throw new WechatApiError('accessTokenMissing');
  const grant = world.userAccessTokens.get(accessToken);
  if (grant === undefined) throw new WechatApiError('invalidCredential');
  if (grant.expiresAt <= world.clock.now()) throw new WechatApiError('accessTokenExpired');
  const app = world.apps.get(grant.appid);
  if (app === undefined) throw new WechatApiError('invalidCredential');
  if (openid === undefined || openid === '') throw new WechatApiError('openidMissing');
  if (world.idsFor(app, grant.personId, grant.snapshot).openid !== openid) throw new WechatApiError('invalidOpenid');
  return { grant, app };
}

/** The app a user token belongs to, without judging it (for fault scoping and stats). */
export function appidOfUserToken(world: World, accessToken: string | undefined): string | undefined {
  return accessToken === undefined ? undefined : world.userAccessTokens.get(accessToken)?.appid;
}

export interface UserInfoAnswer {
  openid: string;
  nickname: string;
  sex: 0 | 1 | 2;
  language: string;
  province: string;
  city: string;
  country: string;
  headimgurl: string;
  privilege: string[];
  unionid?: string;
  is_snapshotuser?: 1;
}

/** `GET /sns/userinfo?access_token&openid&lang`. */
export function userInfo(
  world: World,
  request: { accessToken: string | undefined; openid: string | undefined; lang: string | undefined },
  avatarUrl: (personId: string) => string,
): UserInfoAnswer {
  const { grant, app } = requireUserToken(world, request.accessToken, request.openid);
  if (grant.scope === 'snsapi_base') throw new WechatApiError('unauthorized');
  const person = world.requirePerson(grant.personId);
  const ids = world.idsFor(app, grant.personId, grant.snapshot);
  const answer: UserInfoAnswer = {
    openid: ids.openid,
    nickname: grant.snapshot ? '微信用户' : person.nickname,
    sex: 0,
    language: '',
    province: '',
    city: '',
    country: '',
    headimgurl: grant.snapshot ? avatarUrl('snapshot') : (person.avatarUrl ?? avatarUrl(person.id)),
    privilege: [],
  };
  if (ids.unionid !== null && unionidAllowed(app, grant.scope)) answer.unionid = ids.unionid;
  if (grant.snapshot) answer.is_snapshotuser = 1;
  return answer;
}

/** `GET /sns/auth?access_token&openid` → `{errcode: 0, errmsg: "ok"}` while the token is good. */
export function checkUserToken(
  world: World,
  request: { accessToken: string | undefined; openid: string | undefined },
): {
  errcode: 0;
  errmsg: 'ok';
} {
  requireUserToken(world, request.accessToken, request.openid);
  return { errcode: 0, errmsg: 'ok' };
}

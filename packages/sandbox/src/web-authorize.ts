/**
 * The browser side of user authorization: website QR login (`connect/qrconnect`), the
 * in-WeChat-browser authorize page (`connect/oauth2/authorize`) and the mobile OpenSDK's SendAuth.
 *
 * Rules emulated:
 * - qrconnect: website apps only, `response_type=code`, `scope=snsapi_login`. The page shows a QR
 *   (`…/connect/confirm?uuid=…`); the phone scans it, the person confirms, the page sends the top
 *   window to `redirect_uri?code=CODE&state=STATE`. On deny nothing is redirected.
 * - oauth2/authorize: official accounts only, `scope=snsapi_base|snsapi_userinfo`, `state` at most
 *   128 characters of `[a-zA-Z0-9]`. snsapi_base is silent; snsapi_userinfo asks for consent.
 *   `#wechat_redirect` is a fragment: it never reaches the server and is ignored here.
 * - `redirect_uri` must be on one of the app's authorized redirect domains (授权回调域: the host,
 *   or the host with its port, exactly — no subdomains); an app without any refuses every
 *   redirect, as a freshly registered app does, with WeChat's "redirect_uri 参数错误" page.
 */
import { AppError } from '@weunion/errors';
import { randomAlphanumeric } from './ids.ts';
import { issueOAuthCode } from './oauth.ts';
import { LIFETIMES, type OAuthScope, type QrconnectSession, type SandboxApp, type World } from './world.ts';

export interface AuthorizeQuery {
  appid?: string | undefined;
  redirect_uri?: string | undefined;
  response_type?: string | undefined;
  scope?: string | undefined;
  state?: string | undefined;
}

export interface ValidAuthorize {
  app: SandboxApp;
  redirectUri: string;
  scope: OAuthScope;
  state: string;
}

const STATE_PATTERN = /^[a-zA-Z0-9]{0,128}$/;

function refuse(message: string): never {
  throw new AppError('bad_request', message);
}

function checkRedirect(app: SandboxApp, redirectUri: string | undefined): string {
  if (redirectUri === undefined || redirectUri === '') refuse('redirect_uri 参数错误 (redirect_uri is missing)');
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    refuse('redirect_uri 参数错误 (redirect_uri is not an absolute URL)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') refuse('redirect_uri 参数错误 (redirect_uri must be http or https)');
  if (app.redirectDomains.length === 0) {
    refuse(
      `redirect_uri 参数错误 (${app.appid} has no authorized redirect domain: set one with PATCH /_sandbox/apps/${app.appid} {"redirectDomains": ["${url.hostname}"]} or on the virtual phone)`,
    );
  }
  if (!redirectDomainAllows(app, url)) {
    refuse(`redirect_uri 参数错误 (${url.host} is not an authorized redirect domain of ${app.appid}: ${app.redirectDomains.join(', ')})`);
  }
  return redirectUri;
}

/** Whether a URL's host is one of the app's domains: a domain entry without a port matches any port. */
export function redirectDomainAllows(app: SandboxApp, url: URL): boolean {
  return app.redirectDomains.includes(url.host) || app.redirectDomains.includes(url.hostname);
}

export function validateQrconnect(world: World, query: AuthorizeQuery): ValidAuthorize {
  const app = query.appid === undefined ? undefined : world.apps.get(query.appid);
  if (app === undefined || app.type !== 'website') refuse('appid 参数错误 (not a website app)');
  const redirectUri = checkRedirect(app, query.redirect_uri);
  if (query.response_type !== 'code') refuse('response_type 参数错误 (must be code)');
  if (query.scope !== 'snsapi_login') refuse('Scope 参数错误或没有 Scope 权限 (must be snsapi_login)');
  const state = query.state ?? '';
  if (state.length > 128) refuse('state 参数错误 (at most 128 characters)');
  return { app, redirectUri, scope: 'snsapi_login', state };
}

export function validateOAuth2Authorize(world: World, query: AuthorizeQuery): ValidAuthorize {
  const app = query.appid === undefined ? undefined : world.apps.get(query.appid);
  if (app === undefined || app.type !== 'official_account') refuse('appid 参数错误 (not an official account)');
  const redirectUri = checkRedirect(app, query.redirect_uri);
  if (query.response_type !== 'code') refuse('response_type 参数错误 (must be code)');
  if (query.scope !== 'snsapi_base' && query.scope !== 'snsapi_userinfo') refuse('Scope 参数错误或没有 Scope 权限');
  const state = query.state ?? '';
  if (!STATE_PATTERN.test(state)) refuse('state 参数错误 (at most 128 characters of a-z, A-Z, 0-9)');
  return { app, redirectUri, scope: query.scope, state };
}

/** `redirect_uri?code=CODE&state=STATE`, keeping any query the redirect_uri already has. */
export function redirectWithCode(redirectUri: string, code: string, state: string): string {
  const url = new URL(redirectUri);
  url.searchParams.set('code', code);
  url.searchParams.set('state', state);
  return url.href;
}

export function openQrconnectSession(world: World, request: ValidAuthorize): QrconnectSession {
  const session: QrconnectSession = {
    uuid: randomAlphanumeric(16),
    appid: request.app.appid,
    redirectUri: request.redirectUri,
    state: request.state,
    status: 'waiting',
    personId: null,
    code: null,
    expiresAt: world.clock.now() + LIFETIMES.qrconnectSession * 1000,
  };
  world.qrconnectSessions.set(session.uuid, session);
  return session;
}

function liveSession(world: World, uuid: string): QrconnectSession {
  const session = world.qrconnectSessions.get(uuid);
  if (session === undefined) throw new AppError('not_found', 'This login QR code is not one the sandbox issued');
  if (session.expiresAt <= world.clock.now() && session.status !== 'confirmed')
    throw new AppError('gone', 'This login QR code has expired');
  return session;
}

export interface WebsiteLoginScan {
  kind: 'website_login';
  uuid: string;
  appid: string;
  appName: string;
  scope: 'snsapi_login';
}

/** The phone scanned a qrconnect QR: the page shows "scanned, confirm on your phone". */
export function scanQrconnect(world: World, personId: string, uuid: string): WebsiteLoginScan {
  world.requirePerson(personId);
  const session = liveSession(world, uuid);
  if (session.status === 'confirmed' || session.status === 'denied') throw new AppError('gone', 'This login QR code was already used');
  session.status = 'scanned';
  session.personId = personId;
  const app = world.requireApp(session.appid);
  return { kind: 'website_login', uuid, appid: app.appid, appName: app.name, scope: 'snsapi_login' };
}

/** The person confirmed or denied a scanned qrconnect QR; the waiting page follows the redirect. */
export function decideQrconnect(world: World, personId: string, uuid: string, allow: boolean): string | null {
  world.requirePerson(personId);
  const session = liveSession(world, uuid);
  if (session.status === 'confirmed' || session.status === 'denied') throw new AppError('gone', 'This login QR code was already used');
  if (session.personId !== null && session.personId !== personId) throw new AppError('conflict', 'Another person scanned this QR code');
  session.personId = personId;
  if (!allow) {
    session.status = 'denied';
    return null;
  }
  const app = world.requireApp(session.appid);
  const code = issueOAuthCode(world, app, personId, 'snsapi_login');
  session.status = 'confirmed';
  session.code = code;
  return redirectWithCode(session.redirectUri, code, session.state);
}

/** What the qrconnect page learns when it polls. */
export function qrconnectStatus(world: World, uuid: string): { status: QrconnectSession['status'] | 'expired'; redirect: string | null } {
  const session = world.qrconnectSessions.get(uuid);
  if (session === undefined) return { status: 'expired', redirect: null };
  if (session.status === 'confirmed' && session.code !== null) {
    return { status: 'confirmed', redirect: redirectWithCode(session.redirectUri, session.code, session.state) };
  }
  if (session.expiresAt <= world.clock.now()) return { status: 'expired', redirect: null };
  return { status: session.status, redirect: null };
}

/** A qrconnect URL confirmed straight from the control API (no page showing the QR). */
export function decideWebsiteLogin(world: World, personId: string, request: ValidAuthorize, allow: boolean): string | null {
  world.requirePerson(personId);
  if (!allow) return null;
  return redirectWithCode(request.redirectUri, issueOAuthCode(world, request.app, personId, 'snsapi_login'), request.state);
}

/**
 * The person allowed or denied on an authorize page. snsapi_base never asks, so it redirects
 * whatever the decision; snsapi_userinfo redirects only on allow and remembers the consent.
 */
export function decideOAuth2(world: World, personId: string, request: ValidAuthorize, allow: boolean): string | null {
  world.requirePerson(personId);
  if (request.scope === 'snsapi_userinfo' && !allow) return null;
  if (request.scope === 'snsapi_userinfo') world.userinfoConsents.add(`${request.app.appid}\u0000${personId}`);
  return redirectWithCode(request.redirectUri, issueOAuthCode(world, request.app, personId, request.scope), request.state);
}

/** Mobile OpenSDK `SendAuth.Req` (scope snsapi_userinfo): the app receives `{code, state}`. */
export function appLogin(world: World, personId: string, appid: string, state: string): { code: string; state: string } {
  world.requirePerson(personId);
  const app = world.requireApp(appid);
  if (app.type !== 'mobile_app') throw new AppError('bad_request', `${appid} is not a mobile app`);
  return { code: issueOAuthCode(world, app, personId, 'snsapi_userinfo'), state };
}

export type AuthorizeTarget =
  | { kind: 'qrconnect'; request: ValidAuthorize }
  | { kind: 'oauth2'; request: ValidAuthorize }
  | { kind: 'qrconnect_qr'; uuid: string };

function queryOf(url: URL): AuthorizeQuery {
  const get = (name: string): string | undefined => url.searchParams.get(name) ?? undefined;
  return {
    appid: get('appid'),
    redirect_uri: get('redirect_uri'),
    response_type: get('response_type'),
    scope: get('scope'),
    state: get('state'),
  };
}

/** What a URL given to the "authorize" phone action points at (path suffix decides; host is free). */
export function parseAuthorizeUrl(world: World, text: string): AuthorizeTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AppError('bad_request', 'url must be an absolute URL');
  }
  if (url.pathname.endsWith('/connect/qrconnect')) return { kind: 'qrconnect', request: validateQrconnect(world, queryOf(url)) };
  if (url.pathname.endsWith('/connect/oauth2/authorize')) return { kind: 'oauth2', request: validateOAuth2Authorize(world, queryOf(url)) };
  const uuid = url.searchParams.get('uuid');
  if (url.pathname.endsWith('/connect/confirm') && uuid !== null) return { kind: 'qrconnect_qr', uuid };
  throw new AppError('bad_request', 'url is neither a qrconnect nor an oauth2/authorize URL nor a login QR content');
}

/**
 * Links that open a mini program from outside it: URL Scheme (`wxa/generatescheme`, an
 * `weixin://dl/business/?t=…` link) and URL Link (`wxa/generate_urllink`, an https link).
 *
 * Rules emulated (developers.weixin.qq.com/miniprogram/dev/server/API/qrcode-link/url-scheme/api_generatescheme
 * and …/url-link/api_generateurllink):
 * - Mini programs only (48001 otherwise).
 * - `path` (generatescheme: `jump_wxa.path`) must be a page of the released version when
 *   `env_version` is release, and carries no query (40165 `invalid weapp pagepath`); empty means the
 *   home page. A leading `/` is accepted, as WeChat does.
 * - `query` at most 1024 characters of `[0-9A-Za-z!#$&'()*+,/:;=?@-._~%]` (40212 `invalid query`).
 * - `env_version` release | trial | develop (40097 otherwise).
 * - Every link expires (no permanent links since 2022): `expire_type` 0 with `expire_time` (Unix
 *   seconds, more than 1 minute and at most 30 days ahead; 85401 otherwise) or 1 with
 *   `expire_interval` days (1–30; 85402 otherwise); neither given → 30 days.
 * - Since 2023-12-19 one link may be opened by any number of people; an expired one opens nothing
 *   (the phone says so, HTTP 410 from the control API).
 * - One mini program generates at most 500,000 URL Schemes and URL Links together a day (45009
 *   `reach max api daily quota limit` beyond; the day is Beijing time's, UTC+8). A refused call
 *   generates nothing.
 */
import { AppError } from '@weunion/errors';
import { randomAlphanumeric } from './ids.ts';
import { WechatApiError } from './wechat-error.ts';
import type { MiniProgramLink, SandboxApp, World } from './world.ts';

const QUERY_CHARACTERS = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~%]*$/;
const MAX_QUERY = 1024;
const MAX_DAYS = 30;
const DAY_SECONDS = 86_400;
export const LINKS_PER_DAY = 500_000;
const BEIJING_OFFSET_SECONDS = 8 * 3_600;

/** The scheme form WeChat answers: `weixin://dl/business/?t=TICKET`. */
export function schemeOf(code: string): string {
  return `weixin://dl/business/?t=${code}`;
}

/** The URL Link form: WeChat answers `https://wxaurl.cn/CODE`; the sandbox serves that path itself. */
export function urlLinkOf(publicUrl: string, code: string): string {
  return `${publicUrl}/wxaurl/${code}`;
}

interface LinkRequest {
  path: unknown;
  query: unknown;
  envVersion: unknown;
  expireType: unknown;
  expireTime: unknown;
  expireInterval: unknown;
}

function validLink(world: World, app: SandboxApp, request: LinkRequest, kind: MiniProgramLink['kind']): MiniProgramLink {
  if (app.type !== 'mini_program') throw new WechatApiError('unauthorized');
  const envVersion = request.envVersion ?? 'release';
  if (envVersion !== 'release' && envVersion !== 'trial' && envVersion !== 'develop')
    throw new WechatApiError('invalidArgs', 'env_version');
  const rawPath = request.path ?? '';
  if (typeof rawPath !== 'string' || rawPath.includes('?')) throw new WechatApiError('invalidPagePath');
  const path = rawPath.replace(/^\/+/, '');
  if (path !== '' && envVersion === 'release' && !app.pages.includes(path)) throw new WechatApiError('invalidPagePath');
  const query = request.query ?? '';
  if (typeof query !== 'string' || query.length > MAX_QUERY || !QUERY_CHARACTERS.test(query)) throw new WechatApiError('invalidQuery');
  const now = world.clock.nowSeconds();
  const expireType = request.expireType ?? 0;
  let expiresAt: number;
  if (expireType === 1) {
    const days = request.expireInterval;
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_DAYS) throw new WechatApiError('invalidInterval');
    expiresAt = now + days * DAY_SECONDS;
  } else if (expireType === 0) {
    const at = request.expireTime;
    if (at === undefined) expiresAt = now + MAX_DAYS * DAY_SECONDS;
    else if (typeof at !== 'number' || !Number.isInteger(at) || at <= now + 60 || at > now + MAX_DAYS * DAY_SECONDS)
      throw new WechatApiError('invalidExpireTime');
    else expiresAt = at;
  } else {
    throw new WechatApiError('invalidArgs', 'expire_type');
  }
  const day = Math.floor((now + BEIJING_OFFSET_SECONDS) / DAY_SECONDS);
  const counted = world.miniProgramLinkCounts.get(app.appid);
  const today = counted !== undefined && counted.day === day ? counted.count : 0;
  if (today >= (world.options.miniProgramLinksPerDay ?? LINKS_PER_DAY)) throw new WechatApiError('dailyQuota');
  world.miniProgramLinkCounts.set(app.appid, { day, count: today + 1 });
  const link: MiniProgramLink = {
    code: randomAlphanumeric(kind === 'scheme' ? 16 : 12),
    kind,
    appid: app.appid,
    path: path === '' ? (app.pages[0] ?? '') : path,
    query,
    envVersion,
    expiresAt: expiresAt * 1000,
  };
  world.miniProgramLinks.set(link.code, link);
  return link;
}

function objectOr(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.fromEntries(Object.entries(value)) : {};
}

/** `POST /wxa/generatescheme?access_token {jump_wxa: {path, query, env_version}, expire_type, expire_time, expire_interval}`. */
export function generateScheme(
  world: World,
  app: SandboxApp,
  body: Record<string, unknown>,
): { errcode: 0; errmsg: 'ok'; openlink: string } {
  // WeChat reads jump_wxa as an object; a string (a common mistake) is a data format error.
  if (body.jump_wxa !== undefined && (typeof body.jump_wxa !== 'object' || body.jump_wxa === null || Array.isArray(body.jump_wxa)))
    throw new WechatApiError('dataFormat');
  const jump = objectOr(body.jump_wxa);
  const link = validLink(
    world,
    app,
    {
      path: jump.path,
      query: jump.query,
      envVersion: jump.env_version,
      expireType: body.expire_type,
      expireTime: body.expire_time,
      expireInterval: body.expire_interval,
    },
    'scheme',
  );
  return { errcode: 0, errmsg: 'ok', openlink: schemeOf(link.code) };
}

/** `POST /wxa/generate_urllink?access_token {path, query, env_version, expire_type, expire_time, expire_interval}`. */
export function generateUrlLink(
  world: World,
  app: SandboxApp,
  body: Record<string, unknown>,
  publicUrl: string,
): { errcode: 0; errmsg: 'ok'; url_link: string } {
  const link = validLink(
    world,
    app,
    {
      path: body.path,
      query: body.query,
      envVersion: body.env_version,
      expireType: body.expire_type,
      expireTime: body.expire_time,
      expireInterval: body.expire_interval,
    },
    'url_link',
  );
  return { errcode: 0, errmsg: 'ok', url_link: urlLinkOf(publicUrl, link.code) };
}

/** The link code in a scheme (`weixin://dl/business/?t=`) or a URL Link (`…/wxaurl/CODE`, any host). */
export function linkCodeOf(content: string): string | null {
  let url: URL;
  try {
    url = new URL(content);
  } catch {
    return null;
  }
  if (url.protocol === 'weixin:' && content.startsWith('weixin://dl/business/')) return url.searchParams.get('t');
  const link =
    /\/wxaurl\/([A-Za-z0-9]+)$/.exec(url.pathname) ?? (url.hostname === 'wxaurl.cn' ? /^\/([A-Za-z0-9]+)$/.exec(url.pathname) : null);
  return link?.[1] ?? null;
}

export interface MiniProgramLinkOpened {
  kind: 'mini_program_link';
  appid: string;
  appName: string;
  page: string;
  /** What the page receives as `options.query` (parsed), as given to generatescheme/generate_urllink. */
  query: string;
  envVersion: string;
}

/** The person opened a scheme or URL Link on the phone: the mini program opens that page with that query. */
export function openMiniProgramLink(world: World, personId: string, code: string): MiniProgramLinkOpened {
  world.requirePerson(personId);
  const link = world.miniProgramLinks.get(code);
  if (link === undefined) throw new AppError('not_found', 'This link is not one the sandbox issued');
  if (link.expiresAt <= world.clock.now()) throw new AppError('gone', '该链接已过期 · This link has expired');
  const app = world.requireApp(link.appid);
  return {
    kind: 'mini_program_link',
    appid: app.appid,
    appName: app.name,
    page: link.path,
    query: link.query,
    envVersion: link.envVersion,
  };
}

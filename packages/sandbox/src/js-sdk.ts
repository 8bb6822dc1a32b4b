/**
 * The JS-SDK of pages inside the WeChat browser: the `jsapi` / `wx_card` ticket
 * (`cgi-bin/ticket/getticket`) and what the WeChat client checks when a page calls `wx.config`.
 *
 * Rules emulated (JS-SDK 说明文档 developers.weixin.qq.com/doc/service/guide/h5/jssdk.html, 附录1):
 * - Official accounts only (48001 otherwise); `type` is `jsapi` (default) or `wx_card` (40097
 *   otherwise). A ticket lives 7200 s; asking again while it lives answers the same ticket with its
 *   remaining lifetime, which is why it must be cached (and shared across a cluster) like the
 *   access_token.
 * - `wx.config` is accepted when the page's URL (without `#…`) is on one of the official account's
 *   JS-safe domains (here: its redirect domains) and `signature` is
 *   `sha1(jsapi_ticket=…&noncestr=…&timestamp=…&url=…)` over a ticket that still lives. Otherwise
 *   the page gets WeChat's `config:invalid url domain` or `config:invalid signature`.
 */
import { AppError } from '@weunion/errors';
import { jsSdkSignature, jsSdkSignedUrl, timingSafeEqualString } from '@weunion/wechat';
import { newOpaqueToken } from './ids.ts';
import { redirectDomainAllows } from './web-authorize.ts';
import { WechatApiError } from './wechat-error.ts';
import { type JsTicket, LIFETIMES, type SandboxApp, type World } from './world.ts';

const TICKET_TYPES = ['jsapi', 'wx_card'] as const;

/** `GET /cgi-bin/ticket/getticket?access_token&type=jsapi|wx_card`. */
export function getJsTicket(
  world: World,
  app: SandboxApp,
  type: string | undefined,
): { errcode: 0; errmsg: 'ok'; ticket: string; expires_in: number } {
  if (app.type !== 'official_account') throw new WechatApiError('unauthorized');
  const kind = TICKET_TYPES.find((candidate) => candidate === (type ?? 'jsapi'));
  if (kind === undefined) throw new WechatApiError('invalidArgs', 'type');
  const now = world.clock.now();
  const key = `${app.appid}\u0000${kind}`;
  let current = world.jsTickets.get(key);
  if (current === undefined || current.expiresAt <= now) {
    current = { ticket: newOpaqueToken(), appid: app.appid, type: kind, expiresAt: now + LIFETIMES.jsTicket * 1000 };
    world.jsTickets.set(key, current);
  }
  return { errcode: 0, errmsg: 'ok', ticket: current.ticket, expires_in: Math.floor((current.expiresAt - now) / 1000) };
}

export interface WxConfigInput {
  appid: string;
  /** The page's URL as the browser has it (the fragment is ignored). */
  url: string;
  timestamp: number | string;
  nonceStr: string;
  signature: string;
}

/** Every jsapi ticket of the app that still lives (only the current one, in practice). */
function liveJsapiTickets(world: World, appid: string): JsTicket[] {
  const ticket = world.jsTickets.get(`${appid}\u0000jsapi`);
  return ticket !== undefined && ticket.expiresAt > world.clock.now() ? [ticket] : [];
}

/** What the WeChat client answers a page's `wx.config`: `config:ok`, or the reason it refuses. */
export function checkWxConfig(world: World, input: WxConfigInput): { errMsg: 'config:ok' } {
  const app = world.requireApp(input.appid);
  if (app.type !== 'official_account') throw new AppError('bad_request', 'config:invalid appid (not an official account)');
  let url: URL;
  try {
    url = new URL(jsSdkSignedUrl(input.url));
  } catch {
    throw new AppError('bad_request', 'config:invalid url');
  }
  if (!redirectDomainAllows(app, url))
    throw new AppError('bad_request', `config:invalid url domain (${url.host} is not a JS-safe domain of ${app.appid})`);
  const signed = liveJsapiTickets(world, app.appid).some((ticket) =>
    timingSafeEqualString(
      jsSdkSignature({ ticket: ticket.ticket, nonceStr: input.nonceStr, timestamp: input.timestamp, url: input.url }),
      input.signature.toLowerCase(),
    ),
  );
  if (!signed) throw new AppError('bad_request', 'config:invalid signature');
  return { errMsg: 'config:ok' };
}

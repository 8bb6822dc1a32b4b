/**
 * The browser logins that are redirects rather than tickets:
 * - S2 (website QR on WeChat's page): send the browser to `/login/s2`, or embed WeChat's QR with
 *   wxLogin.js using the parameters of `/api/login/s2/embedded` (the iframe then sends the top
 *   window to weunion's callback, which binds the `state` to this browser's cookie);
 * - S4 (a page opened inside WeChat): send the browser to `/login/s4`. Only WeChat's own browser
 *   can complete it, hence `isWechatBrowser`.
 */
import { object, string } from './answers.ts';
import { absoluteUrl, type Connection, requestJson } from './http.ts';

export interface ReturnToOptions {
  /** Where weunion sends the browser after signing in: a path on weunion (`/welcome`, `/interaction/…`). */
  returnTo?: string;
  /** The connection to use when several offer the scenario. */
  connection?: string;
  /** The application (client_id) the login is for: its scenarios and identity policy apply. */
  client?: string;
  /** The person ticked the application's "I agree" (needed when its branding has `requireAgreement`). */
  agreed?: boolean;
}

function withQuery(connection: Connection, path: string, options: ReturnToOptions): string {
  const url = new URL(absoluteUrl(connection, path));
  if (options.returnTo !== undefined) url.searchParams.set('returnTo', options.returnTo);
  if (options.connection !== undefined) url.searchParams.set('connection', options.connection);
  if (options.client !== undefined) url.searchParams.set('client', options.client);
  if (options.agreed === true) url.searchParams.set('agreed', '1');
  return url.href;
}

export function s2Url(connection: Connection, options: ReturnToOptions = {}): string {
  return withQuery(connection, '/login/s2', options);
}

export function s4Url(connection: Connection, options: ReturnToOptions = {}): string {
  return withQuery(connection, '/login/s4', options);
}

/** What `new WxLogin({...})` takes (plus `id`, the element to draw into), and where wxLogin.js is. */
export interface S2EmbeddedParams {
  appid: string;
  scope: string;
  redirect_uri: string;
  state: string;
  self_redirect: boolean;
  /** wxLogin.js: res.wx.qq.com for real WeChat, the sandbox's copy in sandbox mode. */
  scriptUrl: string;
}

export async function s2Embedded(connection: Connection, options: ReturnToOptions = {}): Promise<S2EmbeddedParams> {
  const path = new URL(withQuery(connection, '/api/login/s2/embedded', options));
  const fields = object(await requestJson(connection, 'GET', `${path.pathname}${path.search}`), 'S2 embedded parameters');
  const selfRedirect = fields.self_redirect;
  return {
    appid: string(fields, 'appid', 'S2 embedded parameters'),
    scope: string(fields, 'scope', 'S2 embedded parameters'),
    redirect_uri: string(fields, 'redirect_uri', 'S2 embedded parameters'),
    state: string(fields, 'state', 'S2 embedded parameters'),
    self_redirect: selfRedirect === true,
    scriptUrl: string(fields, 'scriptUrl', 'S2 embedded parameters'),
  };
}

/**
 * Whether a user agent is WeChat's built-in browser (phone or desktop WeChat), where S4 works.
 * WeCom (企业微信, `wxwork`) also says `MicroMessenger` but is not WeChat: its browser cannot do
 * the official account's OAuth, so it is excluded.
 */
export function isWechatBrowser(userAgent?: string): boolean {
  const agent = userAgent ?? (typeof navigator === 'undefined' ? '' : navigator.userAgent);
  return /MicroMessenger\//i.test(agent) && !/wxwork\//i.test(agent);
}

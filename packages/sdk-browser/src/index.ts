/**
 * `@weunion/sdk-browser`: weunion from a web page. `createWeunion({ baseUrl })` gives the QR
 * logins (S1, S3) followed live, the S2/S4 redirect helpers, SMS code login, the OIDC redirect
 * login for SPAs and the browser session. Web APIs only (fetch, URL, crypto.subtle, sessionStorage, TextDecoder), no
 * dependencies: it runs unbundled once its types are stripped, and in Node too.
 */
import { type Fields, object, optionalBoolean, optionalString, string } from './answers.ts';
import { WeunionError } from './errors.ts';
import { type Connection, problemOf, requestJson, send } from './http.ts';
import {
  defaultStorage,
  handleRedirectCallback,
  type KeyValueStorage,
  type LoginWithRedirectOptions,
  type LogoutUrlOptions,
  loginWithRedirect,
  logoutUrl,
  type RedirectCallbackResult,
} from './oidc.ts';
import { type QrLogin, type QrLoginOptions, type QrScenario, startQrLogin } from './qr-login.ts';
import { isWechatBrowser, type ReturnToOptions, type S2EmbeddedParams, s2Embedded, s2Url, s4Url } from './redirect-logins.ts';
import {
  loginWithSmsCode,
  type SendSmsCodeOptions,
  type SmsCodeSent,
  type SmsLoginOptions,
  type SmsLoginResult,
  sendSmsCode,
} from './sms-login.ts';

export { WeunionError, type WeunionErrorCode } from './errors.ts';
export type {
  IdTokenClaims,
  KeyValueStorage,
  LoginWithRedirectOptions,
  LogoutUrlOptions,
  RedirectCallbackResult,
  TokenSet,
} from './oidc.ts';
export type {
  QrLogin,
  QrLoginEvents,
  QrLoginOptions,
  QrScenario,
  QrTicket,
  RedeemResult,
  TicketState,
  TicketStatus,
  Transport,
} from './qr-login.ts';
export { isWechatBrowser, type ReturnToOptions, type S2EmbeddedParams } from './redirect-logins.ts';
export type { SendSmsCodeOptions, SmsCodeSent, SmsLoginOptions, SmsLoginResult } from './sms-login.ts';

export interface WeunionOptions {
  /** weunion's public URL (its `PUBLIC_URL`, the OIDC issuer). */
  baseUrl: string;
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch;
  /** Cookies on requests (default `include`, so a page on another origin works given CORS). */
  credentials?: RequestCredentials;
  /** Where the OIDC login keeps its verifier between redirect and callback (default `sessionStorage`). */
  storage?: KeyValueStorage;
}

/** The signed-in person as `GET /api/session` shows them: OIDC profile claims plus the session. */
export interface Session {
  sub: string;
  name?: string;
  nickname?: string;
  picture?: string;
  phone_number?: string;
  phone_number_verified?: boolean;
  email?: string;
  email_verified?: boolean;
  session: { methods: string[]; appid: string | null; createdAt: number; expiresAt: number };
  /** Every claim as sent, for fields added later. */
  claims: Fields;
}

export interface Weunion {
  readonly baseUrl: string;
  /** Starts an S1 (official account QR) or S3 (mini program code) login. */
  startQrLogin(scenario: QrScenario, options?: QrLoginOptions): Promise<QrLogin>;
  /** Where to send the browser for S2 (WeChat's website QR page). */
  s2Url(options?: ReturnToOptions): string;
  /** The parameters for embedding WeChat's S2 QR (wxLogin.js) in the page. */
  s2Embedded(options?: ReturnToOptions): Promise<S2EmbeddedParams>;
  /** Where to send the browser for S4 (inside WeChat's browser). */
  s4Url(options?: ReturnToOptions): string;
  isWechatBrowser(userAgent?: string): boolean;
  /** SMS login, step 1: text a code to `phone` (the same answer whether or not it has an account). */
  sendSmsCode(phone: string, options?: SendSmsCodeOptions): Promise<SmsCodeSent>;
  /** SMS login, step 2: the code → weunion's session in this browser, and where to go next. */
  loginWithSmsCode(phone: string, code: string, options?: SmsLoginOptions): Promise<SmsLoginResult>;
  /** OIDC: stores PKCE verifier, state and nonce, then navigates to `/auth`; resolves to the URL. */
  loginWithRedirect(options: LoginWithRedirectOptions): Promise<string>;
  /** OIDC: the callback URL (default `location.href`) → tokens, after checking state and nonce. */
  handleRedirectCallback(url?: string): Promise<RedirectCallbackResult>;
  /** OIDC: the end-session URL to send the browser to. */
  logoutUrl(options?: LogoutUrlOptions): string;
  /** Who is signed in to weunion in this browser, or null. */
  session(): Promise<Session | null>;
  /** Ends the weunion session of this browser. */
  logout(): Promise<void>;
}

function parseSession(value: unknown): Session {
  const fields = object(value, 'session');
  const session = object(fields.session, 'session');
  const methods = session.methods;
  const appid = session.appid;
  const createdAt = session.createdAt;
  const expiresAt = session.expiresAt;
  if (
    !Array.isArray(methods) ||
    !methods.every((m) => typeof m === 'string') ||
    typeof createdAt !== 'number' ||
    typeof expiresAt !== 'number'
  ) {
    throw new WeunionError('invalid_response', 'weunion answered an unexpected session');
  }
  const optional = (key: string) => optionalString(fields, key, 'session');
  const claims: Omit<Session, 'sub' | 'session' | 'claims'> = {};
  for (const key of ['name', 'nickname', 'picture', 'phone_number', 'email'] as const) {
    const text = optional(key);
    if (text !== undefined) claims[key] = text;
  }
  for (const key of ['phone_number_verified', 'email_verified'] as const) {
    const flag = optionalBoolean(fields, key, 'session');
    if (flag !== undefined) claims[key] = flag;
  }
  return {
    ...claims,
    sub: string(fields, 'sub', 'session'),
    session: { methods, appid: typeof appid === 'string' ? appid : null, createdAt, expiresAt },
    claims: fields,
  };
}

export function createWeunion(options: WeunionOptions): Weunion {
  const baseUrl = new URL(options.baseUrl).href.replace(/\/+$/, '');
  const connection: Connection = {
    baseUrl,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    credentials: options.credentials ?? 'include',
  };
  const storage = () => options.storage ?? defaultStorage();
  return {
    baseUrl,
    startQrLogin: (scenario, qrOptions) => startQrLogin(connection, scenario, qrOptions),
    s2Url: (redirectOptions) => s2Url(connection, redirectOptions),
    s2Embedded: (redirectOptions) => s2Embedded(connection, redirectOptions),
    s4Url: (redirectOptions) => s4Url(connection, redirectOptions),
    isWechatBrowser,
    sendSmsCode: (phone, smsOptions) => sendSmsCode(connection, phone, smsOptions),
    loginWithSmsCode: (phone, code, smsOptions) => loginWithSmsCode(connection, phone, code, smsOptions),
    loginWithRedirect: (loginOptions) => loginWithRedirect(connection, storage(), loginOptions),
    handleRedirectCallback: (url) => handleRedirectCallback(connection, storage(), url ?? globalThis.location.href),
    logoutUrl: (logoutOptions) => logoutUrl(connection, logoutOptions),
    async session() {
      const response = await send(connection, 'GET', '/api/session');
      if (response.status === 401) return null;
      if (!response.ok) throw await problemOf(response);
      return parseSession(await response.json().catch(() => undefined));
    },
    async logout() {
      await requestJson(connection, 'POST', '/api/session/logout');
    },
  };
}

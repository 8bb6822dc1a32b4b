/**
 * The routes the fuzzer covers besides the management API (which it reads from the OpenAPI
 * document): each with a plausible request — the shape a real client sends — for the mutations to
 * start from. Values written `$name` are drawn from the world's pools (real appids, ticket ids,
 * secrets…), so some requests get past validation into the code behind it.
 */

export type Sample = Record<string, unknown>;

export interface FuzzRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Fastify form: `/api/login/tickets/:id`. */
  path: string;
  query?: Sample;
  body?: Sample;
  /** Sent as this content type with a string body (the WeChat callback posts XML). */
  rawBody?: { contentType: string; text: string };
  headers?: Record<string, string>;
  /** Needs the admin key (management API). */
  admin?: boolean;
  /** The body goes as application/x-www-form-urlencoded (OAuth endpoints). */
  form?: boolean;
}

const S1_BODY = { connection: '$connection', returnTo: '/app', client: '$application' };
const REDIRECT_QUERY = { connection: '$connection', returnTo: '/app', client: '$application' };
const TICKET_SECRET = { 'x-ticket-secret': '$ticketSecret' };
const XML_PUSH =
  '<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[$openid]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[$ticketId]]></EventKey></xml>';
const SIGNED = { signature: '0123456789abcdef0123456789abcdef01234567', timestamp: '1700000000', nonce: 'n' };

export const ROUTES: FuzzRoute[] = [
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/readyz' },
  { method: 'GET', path: '/jwks' },
  { method: 'GET', path: '/api/v1/openapi.json' },
  { method: 'GET', path: '/assets/weunion-login.js' },
  { method: 'GET', path: '/assets/login-page.css', query: { accent: '07c160' } },
  // Browser logins (S1–S4) and the hosted pages.
  { method: 'POST', path: '/api/login/s1', body: S1_BODY },
  { method: 'POST', path: '/api/login/s3', body: S1_BODY },
  { method: 'POST', path: '/api/login/s3/link', body: { ...S1_BODY, agreed: true, link: 'scheme' } },
  { method: 'GET', path: '/api/login/s2/embedded', query: REDIRECT_QUERY },
  { method: 'GET', path: '/login/s2', query: REDIRECT_QUERY },
  { method: 'GET', path: '/login/s4', query: REDIRECT_QUERY },
  { method: 'GET', path: '/login/s2/callback', query: { code: 'code', state: 'state' } },
  { method: 'GET', path: '/login/s4/callback', query: { code: 'code', state: 'state' } },
  { method: 'GET', path: '/login', query: { returnTo: '/app', client: '$application' } },
  { method: 'GET', path: '/login/error', query: { code: 'login_expired', reason: 'x', requestId: 'r', returnTo: '/app' } },
  { method: 'GET', path: '/login/select' },
  { method: 'GET', path: '/login/bind' },
  { method: 'GET', path: '/login/cancelled', query: { returnTo: '/app' } },
  // SMS code login.
  { method: 'GET', path: '/login/sms', query: { returnTo: '/app', client: '$application', ui_locales: 'en' } },
  {
    method: 'POST',
    path: '/api/login/sms/send',
    body: { phone: '+8613900000000', client: '$application', returnTo: '/app', language: 'zh-CN' },
  },
  {
    method: 'POST',
    path: '/api/login/sms/verify',
    body: { phone: '13900000000', code: '123456', client: '$application', returnTo: '/app' },
  },
  // QR tickets.
  { method: 'GET', path: '/api/login/tickets/:id', query: { since: 0, wait: 0 }, headers: TICKET_SECRET },
  { method: 'GET', path: '/api/login/tickets/:id/events', headers: TICKET_SECRET },
  { method: 'GET', path: '/api/login/tickets/:id/qr.png', headers: TICKET_SECRET },
  { method: 'POST', path: '/api/login/tickets/:id/redeem', headers: TICKET_SECRET },
  // Pending sign-ins (browser).
  { method: 'GET', path: '/api/login/pending' },
  { method: 'POST', path: '/api/login/pending/select', body: { userId: '$userId' } },
  { method: 'POST', path: '/api/login/pending/bind/password', body: { login: '+8613900000000', password: 'pw' } },
  { method: 'POST', path: '/api/login/pending/bind/code/send', body: { channel: 'sms', destination: '+8613900000000' } },
  { method: 'POST', path: '/api/login/pending/bind/code', body: { channel: 'sms', destination: '+8613900000000', code: '123456' } },
  { method: 'POST', path: '/api/login/pending/create', body: {} },
  { method: 'POST', path: '/api/login/pending/cancel', body: {} },
  { method: 'GET', path: '/api/session' },
  { method: 'POST', path: '/api/session/logout' },
  // Mini program, app and tokens (S3 confirm, S5–S7).
  { method: 'POST', path: '/api/mp/tickets/:id/scan', body: { appid: '$miniProgram', code: 'code' } },
  { method: 'POST', path: '/api/mp/tickets/:id/confirm', body: { appid: '$miniProgram', code: 'code', phoneCode: 'p' } },
  { method: 'POST', path: '/api/mp/tickets/:id/cancel', body: { appid: '$miniProgram', code: 'code' } },
  { method: 'POST', path: '/api/mp/login', body: { appid: '$miniProgram', code: 'code', encryptedData: 'e', iv: 'i' } },
  { method: 'POST', path: '/api/mp/phone', body: { code: 'code', phoneCode: 'p' }, headers: { authorization: 'Bearer x' } },
  { method: 'POST', path: '/api/app/login', body: { appid: '$mobileApp', code: 'code', state: 's' } },
  { method: 'GET', path: '/api/app/pending/:pendingId' },
  { method: 'POST', path: '/api/app/pending/:pendingId/select', body: { userId: '$userId' } },
  { method: 'POST', path: '/api/app/pending/:pendingId/bind/password', body: { login: '+8613900000000', password: 'pw' } },
  { method: 'POST', path: '/api/app/pending/:pendingId/bind/code/send', body: { channel: 'email', destination: 'a@b.example' } },
  {
    method: 'POST',
    path: '/api/app/pending/:pendingId/bind/code',
    body: { channel: 'sms', destination: '+8613900000000', code: '123456' },
  },
  { method: 'POST', path: '/api/app/pending/:pendingId/create', body: {} },
  { method: 'POST', path: '/api/app/pending/:pendingId/cancel', body: {} },
  { method: 'POST', path: '/api/app/s7/tickets', body: { appid: '$mobileApp', miniProgramAppid: '$miniProgram', miniprogramType: 0 } },
  { method: 'POST', path: '/api/app/s7/tickets/:id/redeem', headers: TICKET_SECRET },
  { method: 'POST', path: '/api/app/s7/exchange', body: { resultCode: 'r', ticketSecret: '$ticketSecret' } },
  { method: 'POST', path: '/api/token/refresh', body: { refresh_token: 'x', client_id: '$connection' } },
  { method: 'POST', path: '/api/token/revoke', body: { token: 'x', token_type_hint: 'refresh_token' } },
  // WeChat pushes.
  { method: 'GET', path: '/wechat/callback/:appid', query: { ...SIGNED, echostr: 'e' } },
  {
    method: 'POST',
    path: '/wechat/callback/:appid',
    query: { ...SIGNED, openid: '$openid', encrypt_type: 'raw' },
    rawBody: { contentType: 'text/xml', text: XML_PUSH },
  },
  { method: 'GET', path: '/wechat/js-sdk/config', query: { appid: '$appid', url: 'https://app.example/page?x=1#y' } },
  // The console's own API.
  { method: 'GET', path: '/console/api/setup' },
  { method: 'GET', path: '/console/api/session' },
  { method: 'POST', path: '/console/api/login', body: { username: 'admin', password: 'pw', totp: '123456' } },
  { method: 'POST', path: '/console/api/logout' },
  { method: 'POST', path: '/console/api/account/password', body: { currentPassword: 'a', newPassword: 'b' } },
  { method: 'POST', path: '/console/api/account/totp/setup' },
  { method: 'POST', path: '/console/api/account/totp/enable', body: { code: '123456' } },
  { method: 'POST', path: '/console/api/account/totp/disable', body: { password: 'a', code: '123456' } },
  { method: 'GET', path: '/console/api/account/totp/recovery-codes' },
  { method: 'POST', path: '/console/api/account/totp/recovery-codes', body: { password: 'a' } },
  { method: 'POST', path: '/console/api/try-login', body: { applicationId: '$application' } },
  { method: 'GET', path: '/console/try-login/callback', query: { code: 'code', state: 'state', iss: 'http://x' } },
  // oidc-provider's token endpoints: it reads these bodies itself, past the input guard.
  {
    method: 'POST',
    path: '/token',
    form: true,
    body: { grant_type: 'refresh_token', refresh_token: 'x', client_id: '$application', client_secret: 's' },
  },
  {
    method: 'POST',
    path: '/token',
    form: true,
    body: { grant_type: 'authorization_code', code: 'c', client_id: '$application', redirect_uri: 'https://app.example/cb' },
  },
  { method: 'POST', path: '/token/introspection', form: true, body: { token: 'x', client_id: '$application', client_secret: 's' } },
  {
    method: 'POST',
    path: '/request',
    form: true,
    body: {
      client_id: '$application',
      response_type: 'code',
      redirect_uri: 'https://app.example/cb',
      scope: 'openid',
      code_challenge: 'c',
    },
  },
  { method: 'POST', path: '/token/revocation', form: true, body: { token: 'x', client_id: '$application', client_secret: 's' } },
  // The OIDC interaction pages weunion serves itself (the provider's own endpoints are oidc-provider's).
  { method: 'GET', path: '/interaction/:uid' },
  { method: 'POST', path: '/interaction/:uid/consent', body: { decision: 'allow' } },
  { method: 'GET', path: '/interaction/:uid/abort', query: { reason: 'registration_closed' } },
];

/** Routes deliberately left out: oidc-provider's pages (browser redirects) and static files. */
export const NOT_FUZZED = [
  /^GET \/auth\b/,
  /^POST \/auth\b/,
  /^GET \/token\b/,
  /^GET \/request$/,
  /^\w+ \/me$/,
  /^\w+ \/session\/end/,
  /^\w+ \/\.well-known\//,
  /^\w+ \/console\/?\*?$/,
];

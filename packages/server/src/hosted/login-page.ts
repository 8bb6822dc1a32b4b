/**
 * The hosted login page: where the OIDC authorization endpoint (and any app) sends people to log
 * in. Its markup is `login-view.ts` (the console's branding preview renders the same), its look
 * `login-style.ts`, its behaviour `login-script.ts`. It offers what works where the person is:
 * - inside the WeChat browser (user agent `MicroMessenger`): S4 web authorization first;
 * - on a phone browser outside WeChat: a QR on the same screen cannot be scanned, so "Open in
 *   WeChat" opens the mini program by link with an S3 ticket (scenarios/s3-mini-program-link.ts);
 * - on a PC: WeChat's website QR (S2) inline, the official account (S1) and the mini program code
 *   (S3) as other ways, as the application allows and as connections exist for them.
 * Everything is served by weunion except WeChat's own wxLogin.js and QR frame, in zh-CN or en by
 * the OIDC request's `ui_locales` or else Accept-Language. A login for an OIDC application
 * (`returnTo` an interaction) offers to cancel, which ends at the application with
 * `access_denied`, as does a refusal the widget reports; the request's `login_hint` is shown so the
 * person knows which account is meant.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { findConnectionsForScenario } from '../connections/store.ts';
import { checkedReturnTo } from '../embedding/return-to.ts';
import type { AppContext } from '../http/context.ts';
import { parseInput } from '../http/problem.ts';
import { interactionOf } from '../http/return-to.ts';
import { smsLoginAvailable } from '../login/sms-login.ts';
import { findApplication } from '../oidc/applications.ts';
import { oidcDb } from '../oidc/tables.ts';
import { wxLoginScriptUrl } from '../scenarios/s2-website-qr.ts';
import { escapeHtml, type Language, languageOf } from './html.ts';
import { LOGIN_PAGE_SCRIPT } from './login-script.ts';
import { accentParameter, loginStylesheet } from './login-style.ts';
import { type LoginDevice, type LoginViewInput, loginViewConfig, renderLoginView } from './login-view.ts';
import { registerHostedPages } from './pages.ts';

const WIDGET_SOURCE = readFileSync(fileURLToPath(import.meta.resolve('@weunion/login-element')), 'utf8');
const WAYS = ['s1', 's2', 's3', 's4'] as const;

const querySchema = z.object({
  returnTo: z.string().max(2000).optional(),
  client: z.string().max(100).optional(),
  ui_locales: z.string().max(200).optional(),
  login_hint: z.string().max(200).optional(),
});
const stylesheetQuery = z.object({
  accent: z
    .string()
    .regex(/^[0-9a-fA-F]{6}$/)
    .optional(),
});

export interface HostedLoginOptions {
  /**
   * Offer "短信验证码登录 / Log in with SMS code" (a link to `/login/sms` with the same query).
   * Default: offered while an SMS provider is configured (`smsLoginAvailable`).
   */
  smsLogin?: boolean;
}

/** Where the person is: the WeChat browser (WeCom's says MicroMessenger too, but cannot do S4), a phone, or a PC. */
export function deviceOf(userAgent: string): LoginDevice {
  if (/MicroMessenger\//i.test(userAgent) && !/wxwork\//i.test(userAgent)) return 'wechat';
  return /Android|iPhone|iPad|Mobile/i.test(userAgent) ? 'phone' : 'desktop';
}

/** The ways a login for `application` can go here: allowed by it, with a connection to do it. */
export async function availableWays(ctx: AppContext, scenarios: readonly string[] | undefined): Promise<LoginViewInput['ways']> {
  const ways = { s1: false, s2: false, s3: false, s4: false };
  for (const way of WAYS) {
    if (scenarios !== undefined && !scenarios.includes(way)) continue;
    ways[way] = (await findConnectionsForScenario(ctx.database.db, ctx.secrets, way)).length > 0;
  }
  return ways;
}

/** The stylesheet's URL with the application's colour (`login-style.ts`). */
export function loginStylesheetUrl(primaryColor: string | undefined): string {
  const accent = accentParameter(primaryColor);
  return accent === undefined ? '/assets/login-page.css' : `/assets/login-page.css?accent=${accent}`;
}

/**
 * The page's policy: its own script and the widget ('self' + nonce), WeChat's wxLogin.js and the
 * frame it draws the QR in (open.weixin.qq.com and res.wx.qq.com, or the sandbox), nothing else.
 * The S4 form's target redirects on to WeChat's authorize page, and browsers hold redirects after
 * a form to `form-action` too, so WeChat's origin is named there.
 */
function loginPageHeaders(ctx: AppContext, nonce: string): Record<string, string> {
  const sample = { appid: 'wx', redirectUri: 'https://example.invalid/', state: 'x' };
  const qrconnect = new URL(ctx.wechat.oauth.qrConnectUrl(sample));
  const authorize = new URL(ctx.wechat.oauth.authorizeUrl({ ...sample, scope: 'snsapi_base' }));
  const wxLogin = new URL(wxLoginScriptUrl(qrconnect.href));
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'content-security-policy': `default-src 'none'; script-src 'self' 'nonce-${nonce}' ${wxLogin.origin}; style-src 'self'; img-src 'self' data: https: http:; connect-src 'self'; frame-src ${qrconnect.origin}; form-action 'self' ${authorize.origin}; base-uri 'none'; frame-ancestors 'none'`,
  };
}

function document(language: Language, title: string, stylesheet: string, body: string, scripts: string): string {
  return `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><link rel="stylesheet" href="${escapeHtml(stylesheet)}">
</head><body><main>${body}</main>${scripts}</body></html>`;
}

export function registerHostedLoginPage(app: FastifyInstance, options: HostedLoginOptions = {}): void {
  registerHostedPages(app);
  // A module script from another origin is fetched with CORS: any site may load the widget (it is
  // public code, sent without cookies); what it may then do is decided by the login APIs' CORS.
  app.get('/assets/weunion-login.js', async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('access-control-allow-origin', '*')
      .header('cross-origin-resource-policy', 'cross-origin')
      .send(WIDGET_SOURCE),
  );
  app.get('/assets/login-page.css', async (request, reply) => {
    const { accent } = parseInput(stylesheetQuery, request.query);
    return reply
      .type('text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('x-content-type-options', 'nosniff')
      .send(loginStylesheet(accent?.toLowerCase()));
  });

  app.get('/login', async (request, reply) => {
    const query = parseInput(querySchema, request.query);
    const returnTo = await checkedReturnTo(app.ctx, query.returnTo);
    const language = languageOf(request, query.ui_locales);
    const device = deviceOf(request.headers['user-agent'] ?? '');
    const application =
      query.client === undefined
        ? null
        : await findApplication(oidcDb(app.ctx.database.db), app.ctx.secrets, query.client).catch(() => null);
    // An OIDC login can be given up: the application then hears `access_denied` (oidc/interaction-routes.ts).
    const interaction = interactionOf(returnTo);
    const abortUrl = interaction === undefined ? undefined : `/interaction/${interaction}/abort`;
    const view: LoginViewInput = {
      language,
      device,
      application,
      ways: await availableWays(app.ctx, application?.scenarios),
      returnTo,
      loginHint: query.login_hint,
      // Offered while an SMS provider is configured (the sandbox's emulator counts); a test may force it.
      smsLogin: options.smsLogin ?? smsLoginAvailable(app),
      query: request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '',
      cancelUrl: abortUrl === undefined ? undefined : `${abortUrl}?reason=cancelled`,
    };
    const nonce = randomBytes(16).toString('base64');
    const scripts = `${loginViewConfig(view, abortUrl)}<script type="module" src="/assets/weunion-login.js"></script><script nonce="${nonce}">${LOGIN_PAGE_SCRIPT}</script>`;
    const title = application === null ? (language === 'en' ? 'Log in' : '登录') : application.name;
    return reply
      .headers(loginPageHeaders(app.ctx, nonce))
      .send(document(language, title, loginStylesheetUrl(application?.branding.primaryColor), renderLoginView(view), scripts));
  });
}

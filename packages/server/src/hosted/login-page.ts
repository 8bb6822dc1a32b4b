/**
 * The hosted login page: where the OIDC authorization endpoint (and any app) sends people to log
 * in. It offers what works where the person is:
 * - inside the WeChat browser (user agent `MicroMessenger`): S4 web authorization, at once;
 * - on a phone browser outside WeChat: a QR on the same screen cannot be scanned, so it explains
 *   how to continue (open the link in WeChat) instead of showing codes that cannot work;
 * - on a PC: the `<weunion-login>` widget with S1, S2 and S3 as the application allows and as
 *   connections exist for them.
 * Everything is served by weunion (no third-party assets), in zh-CN or en by the OIDC request's
 * `ui_locales` or else Accept-Language. A login for an OIDC application (`returnTo` an interaction)
 * offers to cancel, which ends at the application with `access_denied`, as does a refusal the
 * widget reports; the request's `login_hint` is shown so the person knows which account is meant.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { findConnectionsForScenario } from '../connections/store.ts';
import { checkedReturnTo } from '../embedding/return-to.ts';
import { parseInput } from '../http/problem.ts';
import { interactionOf } from '../http/return-to.ts';
import { findApplication } from '../oidc/applications.ts';
import { oidcDb } from '../oidc/tables.ts';
import { escapeHtml, type Language, languageOf, withPageHeaders } from './html.ts';
import { registerHostedPages } from './pages.ts';
import { smsLoginLink } from './sms-login-page.ts';

const WIDGET_SOURCE = readFileSync(fileURLToPath(import.meta.resolve('@weunion/login-element')), 'utf8');
const PC_METHODS = ['s1', 's2', 's3'] as const;

const querySchema = z.object({
  returnTo: z.string().max(2000).optional(),
  client: z.string().max(100).optional(),
  ui_locales: z.string().max(200).optional(),
  login_hint: z.string().max(200).optional(),
});

const COPY = {
  en: {
    title: 'Log in',
    to: 'to continue to',
    mobileTitle: 'Open in WeChat to log in',
    mobileBody: 'WeChat login works inside WeChat. Copy this page’s link and open it in WeChat, or scan it from a computer.',
    copy: 'Copy link',
    none: 'No WeChat login is configured for this application yet.',
    cancel: 'Cancel and go back',
    hint: 'Account:',
  },
  'zh-CN': {
    title: '登录',
    to: '以继续使用',
    mobileTitle: '请在微信中打开以登录',
    mobileBody: '微信登录需在微信内完成。请复制本页链接在微信中打开，或在电脑上扫码。',
    copy: '复制链接',
    none: '此应用尚未配置微信登录。',
    cancel: '取消并返回',
    hint: '账号：',
  },
} as const;

/** The login page's HTML; `nonce` admits its own `<style>` and inline script under the page's CSP. */
function page(language: Language, title: string, body: string, nonce: string, extra: { style?: string; script?: string } = {}): string {
  const script = extra.script === undefined ? '' : `<script nonce="${nonce}">${extra.script}</script>`;
  return `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#f6f8fa;color:#1f2328}
main{max-width:26rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:1.4rem;margin:0 0 .25rem}.muted{color:#57606a}a{color:#0969da}.cancel{margin:1.5rem 0 0}button{font:inherit;padding:.5rem 1rem;border-radius:8px;border:1px solid #d0d7de;background:#fff;cursor:pointer}${extra.style ?? ''}</style>
</head><body><main>${body}</main>${script}</body></html>`;
}

export function registerHostedLoginPage(app: FastifyInstance): void {
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

  app.get('/login', async (request, reply) => {
    const query = parseInput(querySchema, request.query);
    const returnTo = await checkedReturnTo(app.ctx, query.returnTo);
    const language = languageOf(request, query.ui_locales);
    const copy = COPY[language];
    const agent = request.headers['user-agent'] ?? '';
    if (/MicroMessenger/i.test(agent)) {
      const s4 = new URLSearchParams({ returnTo });
      if (query.client !== undefined) s4.set('client', query.client);
      return reply.redirect(`/login/s4?${s4}`);
    }
    const application =
      query.client === undefined
        ? null
        : await findApplication(oidcDb(app.ctx.database.db), app.ctx.secrets, query.client).catch(() => null);
    const hint =
      query.login_hint === undefined || query.login_hint === ''
        ? ''
        : `<p class="muted">${escapeHtml(copy.hint)} ${escapeHtml(query.login_hint)}</p>`;
    const heading = `${application?.branding.logoUrl === undefined ? '' : `<img src="${escapeHtml(application.branding.logoUrl)}" alt="" height="40">`}<h1>${escapeHtml(copy.title)}</h1>${application === null ? '' : `<p class="muted">${escapeHtml(copy.to)} ${escapeHtml(application.name)}</p>`}${hint}`;
    // An OIDC login can be given up: the application then hears `access_denied` (oidc/interaction-routes.ts).
    const interaction = interactionOf(returnTo);
    const abortUrl = interaction === undefined ? undefined : `/interaction/${interaction}/abort`;
    const cancel =
      abortUrl === undefined
        ? ''
        : `<p class="cancel"><a href="${escapeHtml(`${abortUrl}?reason=cancelled`)}">${escapeHtml(copy.cancel)}</a></p>`;
    // A refusal the widget hears (S1, S3: registration closed, account blocked…) or a cancel on the phone ends the same way.
    const refusalScript =
      abortUrl === undefined
        ? ''
        : `const wuAbort=(r)=>location.assign(${JSON.stringify(`${abortUrl}?reason=`)}+r);document.addEventListener('weunion-error',(e)=>{if(e.detail&&e.detail.code==='login_refused')wuAbort('login_refused')});document.addEventListener('weunion-cancelled',()=>wuAbort('cancelled'));`;
    // The widget's script is a file of ours ('self'); inline code runs only with this response's nonce.
    const nonce = randomBytes(16).toString('base64');
    withPageHeaders(reply, `'self' 'nonce-${nonce}'`, nonce);
    const sms = smsLoginLink(app, language, { ...query, returnTo });
    if (/Android|iPhone|iPad|Mobile/i.test(agent)) {
      return page(
        language,
        copy.mobileTitle,
        `${heading}<h2>${escapeHtml(copy.mobileTitle)}</h2><p>${escapeHtml(copy.mobileBody)}</p><button type="button" id="wu-copy">${escapeHtml(copy.copy)}</button>${sms}${cancel}`,
        nonce,
        { script: `document.getElementById('wu-copy').addEventListener('click',()=>navigator.clipboard.writeText(location.href))` },
      );
    }
    const allowed = new Set<string>(application?.scenarios ?? PC_METHODS);
    const methods: string[] = [];
    for (const method of PC_METHODS) {
      if (!allowed.has(method)) continue;
      if ((await findConnectionsForScenario(app.ctx.database.db, app.ctx.secrets, method)).length > 0) methods.push(method);
    }
    // The application's branding colour (validated as #rrggbb when it was saved).
    const color = application?.branding.primaryColor;
    const accent = color === undefined ? '' : `weunion-login{--weunion-accent:${escapeHtml(color)}}`;
    const widget =
      methods.length === 0
        ? `<p>${escapeHtml(copy.none)}</p>`
        : `<weunion-login methods="${methods.join(' ')}" return-to="${escapeHtml(returnTo)}"${application === null ? '' : ` client="${escapeHtml(application.id)}"`} lang="${language}"></weunion-login><script type="module" src="/assets/weunion-login.js"></script>`;
    return page(language, copy.title, `${heading}${widget}${sms}${cancel}`, nonce, {
      style: accent,
      ...(refusalScript === '' ? {} : { script: refusalScript }),
    });
  });
}

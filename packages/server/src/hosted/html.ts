/**
 * The frame every hosted page after `/login` shares (select, bind, error): the same look as the
 * login page, the language from Accept-Language, escaping, and the headers a page about a sign-in
 * needs — never cached (it shows who is signing in), never framed, and a content security policy
 * that lets only this response's own inline script run and only this origin be fetched.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export type Language = 'zh-CN' | 'en';

/**
 * The page language: the first of the relying party's `ui_locales` (OIDC) that weunion speaks,
 * else the browser's Accept-Language, else English.
 */
export function chooseLanguage(uiLocales: unknown, acceptLanguage: string | undefined): Language {
  for (const tag of typeof uiLocales === 'string' ? uiLocales.split(/\s+/) : []) {
    if (/^zh(-|$)/i.test(tag)) return 'zh-CN';
    if (/^en(-|$)/i.test(tag)) return 'en';
  }
  return /^\s*zh/i.test(acceptLanguage ?? '') ? 'zh-CN' : 'en';
}

export function languageOf(request: FastifyRequest, uiLocales?: unknown): Language {
  return chooseLanguage(uiLocales, request.headers['accept-language']);
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON for a `<script type="application/json">` block: `<` escaped so no value can close the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

const STYLE = `body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#f6f8fa;color:#1f2328;line-height:1.5}
main{max-width:26rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
@media (max-width:30rem){main{margin:0;min-height:100vh;border-radius:0;box-shadow:none;padding:1.25rem;box-sizing:border-box}}
h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.05rem;margin:1.5rem 0 .5rem}.muted{color:#57606a}
button,input{font:inherit}button{padding:.5rem 1rem;border-radius:8px;border:1px solid #d0d7de;background:#fff;color:inherit;cursor:pointer}
button.primary{background:#067a45;border-color:#067a45;color:#fff}button:disabled{opacity:.6;cursor:default}
:focus-visible{outline:3px solid #0969da;outline-offset:2px}
a{color:#0969da}a.button{display:inline-block;padding:.5rem 1rem;border-radius:8px;background:#067a45;color:#fff;text-decoration:none}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #d0d7de;border-radius:8px}
.row{display:flex;gap:.5rem;align-items:flex-end}.row input{flex:1}.row button{white-space:nowrap}
form{margin:0}.actions{margin-top:1rem;display:flex;gap:.5rem;flex-wrap:wrap}
ul.accounts{list-style:none;margin:1rem 0;padding:0;display:grid;gap:.5rem}
ul.accounts button{display:flex;gap:.75rem;align-items:center;width:100%;text-align:left;padding:.75rem}
ul.accounts button:hover{border-color:#067a45}
.avatar{width:44px;height:44px;border-radius:50%;flex:none;object-fit:cover;background:#e7f8ef;color:#07a04f;display:flex;align-items:center;justify-content:center;font-weight:700}
.who{display:flex;flex-direction:column;min-width:0}.who span{overflow-wrap:anywhere}.name{font-weight:600}
.small{font-size:.875rem}.status:empty,.alert:empty{display:none}
.alert{color:#cf222e;background:#ffebe9;border-radius:8px;padding:.5rem .75rem}.status{color:#57606a}
hr{border:0;border-top:1px solid #d0d7de;margin:1.5rem 0}
table.claims{width:100%;border-collapse:collapse;font-size:.875rem}table.claims caption{text-align:left;font-weight:600;margin-bottom:.25rem}
table.claims th,table.claims td{text-align:left;vertical-align:top;padding:.25rem .5rem .25rem 0;border-top:1px solid #d0d7de;overflow-wrap:anywhere}table.claims th{white-space:nowrap;overflow-wrap:normal}`;

export interface PageInput {
  language: Language;
  title: string;
  body: string;
  /** The page's own script (static source), allowed by the response's nonce. */
  script?: string;
  /**
   * Origins a form on the page may end up at besides this one: browsers apply `form-action` to the
   * redirects after a submission too, so a form whose answer redirects to an application (consent,
   * logout) must name the application's origin.
   */
  formTargets?: readonly string[];
}

/** A hosted page and the headers it must be sent with (for servers other than Fastify's reply). */
export function renderPage(input: PageInput): { html: string; headers: Record<string, string> } {
  const nonce = randomBytes(16).toString('base64');
  const script = input.script === undefined ? '' : `<script nonce="${nonce}">${input.script}</script>`;
  const html = `<!doctype html><html lang="${input.language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title><style nonce="${nonce}">${STYLE}</style>
</head><body><main>${input.body}</main>${script}</body></html>`;
  return { html, headers: pageHeaders(`'nonce-${nonce}'`, nonce, input.formTargets) };
}

/** Sends a hosted page with the headers every one of them needs. */
export function sendPage(reply: FastifyReply, input: PageInput, status = 200): FastifyReply {
  const { html, headers } = renderPage(input);
  return reply.status(status).headers(headers).send(html);
}

/**
 * The headers every hosted page carries: never cached (it shows who is signing in), never framed
 * (no clickjacking of a login), and a content security policy allowing only the given scripts, the
 * response's own nonce'd styles, and this origin to be fetched.
 */
export function withPageHeaders(reply: FastifyReply, scriptSource: string, styleNonce: string): FastifyReply {
  return reply.headers(pageHeaders(scriptSource, styleNonce));
}

/** The headers of `withPageHeaders`, `formTargets` added to `form-action`. */
export function pageHeaders(scriptSource: string, styleNonce: string, formTargets: readonly string[] = []): Record<string, string> {
  const formAction = ["'self'", ...formTargets].join(' ');
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    // Avatars are the person's own WeChat picture, served by WeChat; everything else is ours.
    'content-security-policy': `default-src 'none'; script-src ${scriptSource}; style-src 'nonce-${styleNonce}'; img-src 'self' data: https: http:; connect-src 'self'; form-action ${formAction}; base-uri 'none'; frame-ancestors 'none'`,
  };
}

/** The origin of an application's URL, for `formTargets` (nothing when it is not an http(s) URL). */
export function originOf(url: unknown): string[] {
  if (typeof url !== 'string') return [];
  try {
    const { protocol, origin } = new URL(url);
    return protocol === 'https:' || protocol === 'http:' ? [origin] : [];
  } catch {
    return [];
  }
}

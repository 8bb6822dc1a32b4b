/**
 * The pages oidc-provider renders itself — the logout question, "signed out", and errors it cannot
 * send back to an application — in the hosted pages' look (hosted/html.ts): zh-CN or en from the
 * request's `ui_locales` or the browser, the hosted pages' strict CSP, nothing loaded from anyone
 * else (oidc-provider's defaults import a web font from a third party).
 */
import type { KoaContextWithOIDC } from 'oidc-provider';
import { chooseLanguage, escapeHtml, type Language, originOf, type PageInput, renderPage } from '../hosted/html.ts';

const COPY = {
  en: {
    logoutTitle: 'Sign out?',
    logoutQuestion: (app: string) =>
      `Do you want to sign out of ${app}? You will be signed out of every application that uses this account here.`,
    logoutQuestionPlain: 'Do you want to sign out? You will be signed out of every application that uses this account here.',
    yes: 'Yes, sign me out',
    no: 'No, stay signed in',
    doneTitle: 'You are signed out',
    done: (app: string) => `You have signed out of ${app}.`,
    donePlain: 'You have signed out.',
    errorTitle: 'Something went wrong',
    errorBody: 'The application sent a request this service cannot process. Go back to the application and try again.',
    code: 'Error code',
  },
  'zh-CN': {
    logoutTitle: '退出登录？',
    logoutQuestion: (app: string) => `确定要退出 ${app} 吗？使用此账号登录的所有应用都将退出登录。`,
    logoutQuestionPlain: '确定要退出登录吗？使用此账号登录的所有应用都将退出登录。',
    yes: '退出登录',
    no: '保持登录',
    doneTitle: '已退出登录',
    done: (app: string) => `你已退出 ${app}。`,
    donePlain: '你已退出登录。',
    errorTitle: '出错了',
    errorBody: '应用发来的请求无法处理。请返回应用后重试。',
    code: '错误代码',
  },
} as const;

function languageOfContext(ctx: KoaContextWithOIDC): Language {
  return chooseLanguage(ctx.oidc?.params?.ui_locales, ctx.get('accept-language'));
}

function clientName(ctx: KoaContextWithOIDC): string | undefined {
  const client = ctx.oidc?.client;
  return client === undefined ? undefined : (client.clientName ?? client.clientId);
}

function send(ctx: KoaContextWithOIDC, input: PageInput): void {
  const { html, headers } = renderPage(input);
  ctx.set(headers);
  ctx.body = html;
}

/** `features.rpInitiatedLogout.logoutSource`: `form` is the provider's hidden form (its xsrf token). */
export async function logoutSource(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  const language = languageOfContext(ctx);
  const copy = COPY[language];
  const name = clientName(ctx);
  const question = name === undefined ? copy.logoutQuestionPlain : copy.logoutQuestion(name);
  send(ctx, {
    language,
    title: copy.logoutTitle,
    body: `<h1>${escapeHtml(copy.logoutTitle)}</h1><p>${escapeHtml(question)}</p>${form}
<div class="actions"><button class="primary" autofocus type="submit" form="op.logoutForm" value="yes" name="logout">${escapeHtml(copy.yes)}</button>
<button type="submit" form="op.logoutForm">${escapeHtml(copy.no)}</button></div>`,
    // Either answer redirects to the application's post-logout URI, when it gave one.
    formTargets: originOf(ctx.oidc?.params?.post_logout_redirect_uri),
  });
}

/** `features.rpInitiatedLogout.postLogoutSuccessSource`: shown when the application gave no place to return to. */
export async function postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void> {
  const language = languageOfContext(ctx);
  const copy = COPY[language];
  const name = clientName(ctx);
  send(ctx, {
    language,
    title: copy.doneTitle,
    body: `<h1>${escapeHtml(copy.doneTitle)}</h1><p>${escapeHtml(name === undefined ? copy.donePlain : copy.done(name))}</p>`,
  });
}

/** `renderError`: errors the provider cannot redirect to the application (unknown client, bad redirect URI…). */
export async function renderProviderError(
  ctx: KoaContextWithOIDC,
  out: { error: string; error_description?: string | undefined },
): Promise<void> {
  const language = languageOfContext(ctx);
  const copy = COPY[language];
  const description = out.error_description === undefined ? '' : `<p class="small muted">${escapeHtml(out.error_description)}</p>`;
  send(ctx, {
    language,
    title: copy.errorTitle,
    body: `<h1>${escapeHtml(copy.errorTitle)}</h1><p>${escapeHtml(copy.errorBody)}</p>${description}<p class="small muted">${escapeHtml(copy.code)}: <code>${escapeHtml(out.error)}</code></p>`,
  });
}

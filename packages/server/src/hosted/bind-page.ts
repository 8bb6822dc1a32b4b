/**
 * `GET /login/bind`: the connection's policy wants this WeChat login tied to an existing account,
 * so the person proves one — by its password, or by a code sent to its verified phone (SMS) or
 * email, whichever the pending sign-in allows — or, when the policy offers it, creates a new
 * account instead. Wrong answers are counted by the server; the page shows its answer (and how
 * many tries remain) and, once the sign-in has ended, only the way back to `/login`.
 */
import type { FastifyInstance } from 'fastify';
import type { BindingMethod } from '../identity/index.ts';
import { SELECT_PAGE } from '../login/finish.ts';
import { escapeHtml, type Language, languageOf, sendPage } from './html.ts';
import { pendingOfPage, pendingPageFooter, pendingPageRegions, restartLink, sendExpiredPage } from './pending-page.ts';
import { PENDING_PAGE_SCRIPT } from './pending-script.ts';

const COPY = {
  en: {
    title: 'Link an existing account',
    intro: 'Prove that an account is yours and this WeChat login will be linked to it.',
    password: 'With your password',
    login: 'Phone number or email',
    loginHint: 'Mainland numbers may omit +86.',
    secret: 'Password',
    link: 'Link account',
    sms: 'With a code sent to your phone',
    email: 'With a code sent to your email',
    phoneNumber: 'Phone number',
    emailAddress: 'Email address',
    send: 'Send code',
    code: 'Verification code',
    verify: 'Verify and link',
    createTitle: 'No account yet?',
    createBody: 'Start a new account with this WeChat login instead.',
    create: 'Create a new account instead',
    none: 'This application offers no way to link an account here.',
  },
  'zh-CN': {
    title: '关联已有账号',
    intro: '证明账号属于您后，此微信登录将与该账号关联。',
    password: '使用密码',
    login: '手机号或邮箱',
    loginHint: '中国大陆手机号可省略 +86。',
    secret: '密码',
    link: '关联账号',
    sms: '使用短信验证码',
    email: '使用邮箱验证码',
    phoneNumber: '手机号',
    emailAddress: '邮箱地址',
    send: '发送验证码',
    code: '验证码',
    verify: '验证并关联',
    createTitle: '还没有账号？',
    createBody: '改为使用此微信登录创建新账号。',
    create: '创建新账号',
    none: '此应用未提供关联账号的方式。',
  },
} as const;

type Copy = (typeof COPY)[Language];

/** Where the script shows a wrong answer: beside the form it concerns (a live region from the start). */
const SECTION_ALERT = '<p class="alert" role="alert" data-alert></p>';

function passwordForm(copy: Copy): string {
  return `<section aria-labelledby="wu-password-title"><h2 id="wu-password-title">${escapeHtml(copy.password)}</h2>
<form data-password>
<label for="wu-login">${escapeHtml(copy.login)}</label>
<input id="wu-login" name="login" autocomplete="username" required maxlength="320" aria-describedby="wu-login-hint">
<span id="wu-login-hint" class="small muted">${escapeHtml(copy.loginHint)}</span>
<label for="wu-password">${escapeHtml(copy.secret)}</label>
<input id="wu-password" name="password" type="password" autocomplete="current-password" required maxlength="200">
<div class="actions"><button class="primary" type="submit">${escapeHtml(copy.link)}</button></div>
</form>${SECTION_ALERT}</section>`;
}

function codeForm(copy: Copy, channel: 'sms' | 'email'): string {
  const destination =
    channel === 'sms'
      ? `<label for="wu-sms-destination">${escapeHtml(copy.phoneNumber)}</label><div class="row"><input id="wu-sms-destination" name="destination" type="tel" autocomplete="tel" required maxlength="32"><button type="button" data-send>${escapeHtml(copy.send)}</button></div>`
      : `<label for="wu-email-destination">${escapeHtml(copy.emailAddress)}</label><div class="row"><input id="wu-email-destination" name="destination" type="email" autocomplete="email" required maxlength="320"><button type="button" data-send>${escapeHtml(copy.send)}</button></div>`;
  // The code field stays hidden (and not required) until a code was sent; the script reveals it.
  return `<section aria-labelledby="wu-${channel}-title"><h2 id="wu-${channel}-title">${escapeHtml(channel === 'sms' ? copy.sms : copy.email)}</h2>
<form data-code="${channel}">${destination}
<div data-answer hidden><label for="wu-${channel}-code">${escapeHtml(copy.code)}</label>
<input id="wu-${channel}-code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{4,8}" maxlength="8">
<div class="actions"><button class="primary" type="submit">${escapeHtml(copy.verify)}</button></div></div>
</form>${SECTION_ALERT}</section>`;
}

function methodSection(copy: Copy, method: BindingMethod): string {
  return method === 'password' ? passwordForm(copy) : codeForm(copy, method);
}

export function registerBindPage(app: FastifyInstance): void {
  app.get('/login/bind', async (request, reply) => {
    const language = languageOf(request);
    const lookup = await pendingOfPage(app, request);
    if (!lookup.found) return sendExpiredPage(app, reply, language, lookup.returnTo);
    if (lookup.described.kind === 'select') return reply.header('cache-control', 'no-store').redirect(SELECT_PAGE, 302);
    const copy = COPY[language];
    const { methods, mayCreateInstead } = lookup.described;
    const sections = methods.map((method) => methodSection(copy, method)).join('<hr>');
    const create = mayCreateInstead
      ? `<hr><section aria-labelledby="wu-create-title"><h2 id="wu-create-title">${escapeHtml(copy.createTitle)}</h2><p class="muted">${escapeHtml(copy.createBody)}</p><button type="button" data-create>${escapeHtml(copy.create)}</button>${SECTION_ALERT}</section>`
      : '';
    const nothing =
      methods.length === 0 && !mayCreateInstead
        ? `<p class="alert">${escapeHtml(copy.none)}</p><p>${restartLink(app, language, lookup.context.returnTo)}</p>`
        : '';
    const body = `<h1>${escapeHtml(copy.title)}</h1><p class="muted">${escapeHtml(copy.intro)}</p>${pendingPageRegions(app, language, lookup.context.returnTo)}${sections}${create}${nothing}${pendingPageFooter(language)}`;
    return sendPage(reply, { language, title: copy.title, body, script: PENDING_PAGE_SCRIPT });
  });
}

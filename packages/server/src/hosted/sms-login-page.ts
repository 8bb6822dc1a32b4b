/**
 * The hosted SMS login page, `GET /login/sms` (the same query as `/login`): a phone number, a code
 * sent to it, and the session — for a phone browser outside WeChat or a PC without WeChat at hand.
 * Its script calls `/api/login/sms/send` and `/api/login/sms/verify` and, signed in, goes on to the
 * flow's `returnTo` (an OIDC interaction included). zh-CN or en like `/login`. Offered from
 * `/login` while an SMS provider is configured; without one the page says SMS login is off.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { checkedReturnTo } from '../embedding/return-to.ts';
import { parseInput } from '../http/problem.ts';
import { interactionOf } from '../http/return-to.ts';
import { smsLoginAvailable } from '../login/sms-login.ts';
import { findApplication } from '../oidc/applications.ts';
import { oidcDb } from '../oidc/tables.ts';
import { escapeHtml, languageOf, scriptJson, sendPage } from './html.ts';

export const SMS_LOGIN_PAGE = '/login/sms';

const querySchema = z.object({
  returnTo: z.string().max(2000).optional(),
  client: z.string().max(100).optional(),
  ui_locales: z.string().max(200).optional(),
  login_hint: z.string().max(200).optional(),
});

const COPY = {
  en: {
    title: 'Log in with SMS code',
    to: 'to continue to',
    phone: 'Mobile number',
    phoneHint: '11 digits in mainland China; elsewhere start with +country code',
    send: 'Send code',
    resend: 'Send again',
    wait: 'Send again in {s} s',
    sent: 'A code was sent to {phone}. It is valid for 10 minutes.',
    code: 'Verification code',
    submit: 'Log in',
    wechat: 'Log in with WeChat instead',
    cancel: 'Cancel and go back',
    off: 'SMS login is not available here.',
    failed: 'Something went wrong; please try again.',
  },
  'zh-CN': {
    title: '短信验证码登录',
    to: '以继续使用',
    phone: '手机号',
    phoneHint: '中国大陆手机号直接输入 11 位；其他地区请以 +国家码 开头',
    send: '获取验证码',
    resend: '重新发送',
    wait: '{s} 秒后可重新发送',
    sent: '验证码已发送至 {phone}，10 分钟内有效。',
    code: '验证码',
    submit: '登录',
    wechat: '改用微信登录',
    cancel: '取消并返回',
    off: '此处未开通短信登录。',
    failed: '出错了，请重试。',
  },
} as const;

/** The page's script: static, its data in a JSON block (no inline data in code under the CSP). */
const SCRIPT = `(function () {
  var data = JSON.parse(document.getElementById('wu-data').textContent);
  var copy = data.copy;
  var $ = function (id) { return document.getElementById(id); };
  var alertBox = $('wu-alert'), status = $('wu-status'), send = $('wu-send');
  function problem(answer) { return (answer && (answer.detail || answer.title)) || copy.failed; }
  function post(path, body) {
    return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body), credentials: 'same-origin' })
      .then(function (r) { return r.json().catch(function () { return {}; }).then(function (b) { return { ok: r.ok, body: b }; }); });
  }
  function common() {
    var body = { phone: $('wu-phone').value };
    if (data.client) body.client = data.client;
    if (data.returnTo) body.returnTo = data.returnTo;
    return body;
  }
  function countdown(seconds) {
    send.disabled = true;
    var left = seconds;
    var tick = function () {
      if (left <= 0) { send.disabled = false; send.textContent = copy.resend; return; }
      send.textContent = copy.wait.replace('{s}', String(left)); left -= 1; setTimeout(tick, 1000);
    };
    tick();
  }
  send.addEventListener('click', function () {
    alertBox.textContent = ''; status.textContent = '';
    var body = common(); body.language = data.language;
    send.disabled = true;
    post('/api/login/sms/send', body).then(function (answer) {
      if (!answer.ok) { send.disabled = false; alertBox.textContent = problem(answer.body); return; }
      status.textContent = copy.sent.replace('{phone}', answer.body.phone);
      countdown(answer.body.resendAfterSeconds || 60);
      $('wu-code').focus();
    }, function () { send.disabled = false; alertBox.textContent = copy.failed; });
  });
  $('wu-form').addEventListener('submit', function (event) {
    event.preventDefault();
    alertBox.textContent = '';
    var body = common(); body.code = $('wu-code').value.trim();
    $('wu-submit').disabled = true;
    post('/api/login/sms/verify', body).then(function (answer) {
      if (answer.ok) { location.assign(answer.body.returnTo); return; }
      $('wu-submit').disabled = false;
      if (data.abort && answer.body && answer.body.code === 'login_refused') { location.assign(data.abort + 'login_refused'); return; }
      alertBox.textContent = problem(answer.body);
    }, function () { $('wu-submit').disabled = false; alertBox.textContent = copy.failed; });
  });
})();`;

export function registerSmsLoginPage(app: FastifyInstance): void {
  app.get(SMS_LOGIN_PAGE, async (request, reply) => {
    const query = parseInput(querySchema, request.query);
    const returnTo = await checkedReturnTo(app.ctx, query.returnTo);
    const language = languageOf(request, query.ui_locales);
    const copy = COPY[language];
    const application =
      query.client === undefined
        ? null
        : await findApplication(oidcDb(app.ctx.database.db), app.ctx.secrets, query.client).catch(() => null);
    const interaction = interactionOf(returnTo);
    const abort = interaction === undefined ? undefined : `/interaction/${interaction}/abort?reason=`;
    const back = new URLSearchParams({ returnTo });
    if (query.client !== undefined) back.set('client', query.client);
    // The language the page settled on, not the raw parameter: a request's text is never echoed into the page.
    if (query.ui_locales !== undefined) back.set('ui_locales', language);
    const heading = `<h1>${escapeHtml(copy.title)}</h1>${application === null ? '' : `<p class="muted">${escapeHtml(copy.to)} ${escapeHtml(application.name)}</p>`}`;
    const footer = `<hr><p><a href="${escapeHtml(`/login?${back}`)}">${escapeHtml(copy.wechat)}</a></p>${
      abort === undefined ? '' : `<p><a href="${escapeHtml(`${abort}cancelled`)}">${escapeHtml(copy.cancel)}</a></p>`
    }`;
    if (!smsLoginAvailable(app)) {
      return sendPage(reply, { language, title: copy.title, body: `${heading}<p class="alert">${escapeHtml(copy.off)}</p>${footer}` });
    }
    const hint = query.login_hint !== undefined && /^\+?\d[\d\s-]{4,19}$/.test(query.login_hint) ? query.login_hint : '';
    const data = { copy, language, returnTo, client: application?.id ?? query.client ?? null, abort: abort ?? null };
    const body = `${heading}
<form id="wu-form" novalidate>
<label for="wu-phone">${escapeHtml(copy.phone)}</label>
<div class="row"><input id="wu-phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" required value="${escapeHtml(hint)}" placeholder="13800000000"><button type="button" id="wu-send">${escapeHtml(copy.send)}</button></div>
<p class="muted small">${escapeHtml(copy.phoneHint)}</p>
<label for="wu-code">${escapeHtml(copy.code)}</label>
<input id="wu-code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]*" maxlength="8" required>
<p class="status" id="wu-status" role="status"></p><p class="alert" id="wu-alert" role="alert"></p>
<div class="actions"><button class="primary" type="submit" id="wu-submit">${escapeHtml(copy.submit)}</button></div>
</form>
<script type="application/json" id="wu-data">${scriptJson(data)}</script>${footer}`;
    return sendPage(reply, { language, title: copy.title, body, script: SCRIPT });
  });
}

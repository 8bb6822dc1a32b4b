/**
 * `GET /login/error?code=…[&reason=…][&requestId=…][&returnTo=…]`: where redirect flows land when
 * a sign-in fails (`redirectToErrorPage` in login/finish.ts, the OIDC interaction routes). Each
 * code becomes a plain explanation and a way to try again; a code it does not know gets the
 * generic one. The query is whatever the address bar holds, so every part of it is optional,
 * shown only escaped, and a `returnTo` that is not a path on this service is ignored.
 */
import { type ErrorCode, errorRegistry } from '@weunion/errors';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseInput } from '../http/problem.ts';
import { escapeHtml, type Language, languageOf, sendPage } from './html.ts';
import { interactionOf, restartHref } from './pending-page.ts';

/** The explanations; several codes share one (a person needs to know what to do, not which code). */
type Topic =
  | 'expired'
  | 'other_browser'
  | 'declined'
  | 'refused'
  | 'registration_closed'
  | 'account_blocked'
  | 'account_unavailable'
  | 'multiple_accounts'
  | 'snapshot'
  | 'high_risk'
  | 'too_many'
  | 'wechat_unavailable'
  | 'generic';

const TOPIC_OF_CODE: Record<string, Topic> = {
  login_expired: 'expired',
  interaction_expired: 'expired',
  wechat_code_invalid: 'expired',
  gone: 'expired',
  interaction_mismatch: 'other_browser',
  login_state_mismatch: 'other_browser',
  wechat_scope_unauthorized: 'declined',
  wechat_code_missing: 'declined',
  login_refused: 'refused',
  // Refusal reasons, also accepted as codes of their own.
  registration_closed: 'registration_closed',
  account_blocked: 'account_blocked',
  account_unavailable: 'account_unavailable',
  multiple_accounts: 'multiple_accounts',
  snapshot_user: 'snapshot',
  wechat_snapshot_user: 'snapshot',
  wechat_high_risk_user: 'high_risk',
  rate_limited: 'too_many',
  wechat_rate_limited: 'too_many',
  verification_attempts_exceeded: 'too_many',
  unavailable: 'wechat_unavailable',
  wechat_busy: 'wechat_unavailable',
  wechat_quota_exceeded: 'wechat_unavailable',
  wechat_unreachable: 'wechat_unavailable',
  wechat_error: 'wechat_unavailable',
  wechat_bad_response: 'wechat_unavailable',
  wechat_access_token_invalid: 'wechat_unavailable',
  wechat_credentials_invalid: 'wechat_unavailable',
  wechat_ip_not_allowed: 'wechat_unavailable',
};

const TOPICS: Record<Language, Record<Topic, { title: string; body: string }>> = {
  en: {
    expired: { title: 'This sign-in has expired', body: 'It took too long or was already completed. Please start again.' },
    other_browser: {
      title: 'This sign-in was started elsewhere',
      body: 'It was started in another browser or tab. Please start again here.',
    },
    declined: {
      title: 'WeChat authorization was declined',
      body: 'The sign-in was not allowed in WeChat. Start again and tap Allow to continue.',
    },
    refused: {
      title: 'This WeChat login cannot sign in',
      body: 'This service refused the sign-in. Contact its administrator if this is unexpected.',
    },
    registration_closed: {
      title: 'No account for this WeChat',
      body: 'This WeChat is not linked to an account here, and this service does not create new accounts. Contact the administrator if you should have access.',
    },
    account_blocked: {
      title: 'This account is blocked',
      body: 'The account linked to this WeChat has been blocked. Contact the administrator.',
    },
    account_unavailable: {
      title: 'This account is no longer available',
      body: 'The account linked to this WeChat was deleted or merged into another. Contact the administrator.',
    },
    multiple_accounts: {
      title: 'Several accounts match this WeChat',
      body: 'This WeChat matches more than one account. Ask the administrator to merge them.',
    },
    snapshot: {
      title: 'Open this page in WeChat',
      body: 'The page was opened in WeChat’s preview (snapshot) mode, which cannot sign in. Tap “Use full service” at the bottom of the page, or open the link in WeChat again.',
    },
    high_risk: {
      title: 'WeChat blocked this login',
      body: 'WeChat judged this login risky and blocked it. Try again later, and check your account’s security in WeChat.',
    },
    too_many: { title: 'Too many attempts', body: 'Please wait a minute, then try again.' },
    wechat_unavailable: {
      title: 'WeChat is not available right now',
      body: 'The sign-in could not be completed with WeChat. Please try again shortly.',
    },
    generic: { title: 'Sign-in failed', body: 'Something went wrong while signing in. Please try again.' },
  },
  'zh-CN': {
    expired: { title: '本次登录已过期', body: '登录超时或已经完成，请重新登录。' },
    other_browser: { title: '登录在其他地方发起', body: '本次登录是在其他浏览器或标签页中发起的，请在此处重新登录。' },
    declined: { title: '未同意微信授权', body: '您未在微信中同意授权。请重新登录并点击“允许”以继续。' },
    refused: { title: '无法使用此微信登录', body: '本服务拒绝了此次登录。如有疑问，请联系管理员。' },
    registration_closed: {
      title: '没有与此微信关联的账号',
      body: '此微信尚未关联本服务的账号，且本服务不开放注册。如需访问，请联系管理员。',
    },
    account_blocked: { title: '账号已被停用', body: '与此微信关联的账号已被停用，请联系管理员。' },
    account_unavailable: { title: '账号已不可用', body: '与此微信关联的账号已被删除或合并到其他账号，请联系管理员。' },
    multiple_accounts: { title: '此微信匹配到多个账号', body: '此微信匹配到多个账号，请联系管理员合并。' },
    snapshot: {
      title: '请在微信中打开',
      body: '当前页面处于微信快照模式，无法登录。请点击页面底部的“使用完整服务”，或在微信中重新打开链接。',
    },
    high_risk: { title: '微信拦截了此次登录', body: '微信判断此次登录存在风险并已拦截。请稍后重试，并在微信中检查账号安全。' },
    too_many: { title: '尝试次数过多', body: '请稍等一分钟后再试。' },
    wechat_unavailable: { title: '暂时无法连接微信', body: '暂时无法通过微信完成登录，请稍后重试。' },
    generic: { title: '登录失败', body: '登录过程中出现问题，请重试。' },
  },
};

const LABELS = {
  en: { again: 'Try again', back: 'Back to the application', code: 'Error code', request: 'Request ID' },
  'zh-CN': { again: '重试', back: '返回应用', code: '错误代码', request: '请求 ID' },
} as const;

/** Every part optional and never a reason to fail: an error page must always render. */
const lenient = (max: number) => z.string().max(max).optional().catch(undefined);
const querySchema = z.object({ code: lenient(100), reason: lenient(100), requestId: lenient(128), returnTo: lenient(2000) });

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(errorRegistry, code);
}

export function topicOf(code: string | undefined, reason: string | undefined): Topic {
  if (code === undefined) return 'generic';
  const topic = Object.hasOwn(TOPIC_OF_CODE, code) ? TOPIC_OF_CODE[code] : undefined;
  if (topic === 'refused' && reason !== undefined && Object.hasOwn(TOPIC_OF_CODE, reason)) return TOPIC_OF_CODE[reason] ?? 'refused';
  return topic ?? 'generic';
}

export function registerErrorPage(app: FastifyInstance): void {
  app.get('/login/error', async (request, reply) => {
    const query = parseInput(querySchema, request.query);
    const language = languageOf(request);
    const topic = TOPICS[language][topicOf(query.code, query.reason)];
    const labels = LABELS[language];
    const details: string[] = [];
    if (query.code !== undefined && query.code !== '') {
      const reason = query.reason === undefined || query.reason === '' ? '' : ` (${query.reason})`;
      details.push(`${labels.code}: <code>${escapeHtml(`${query.code}${reason}`)}</code>`);
    }
    if (query.requestId !== undefined && REQUEST_ID.test(query.requestId))
      details.push(`${labels.request}: <code>${escapeHtml(query.requestId)}</code>`);
    // An OIDC login can also be given up: the application then hears access_denied (oidc/interaction-routes.ts).
    const interaction = interactionOf(query.returnTo);
    const back =
      interaction === undefined
        ? ''
        : `<a href="${escapeHtml(`/interaction/${interaction}/abort?${new URLSearchParams({ reason: query.reason ?? query.code ?? 'failed' })}`)}">${escapeHtml(labels.back)}</a>`;
    const body = `<h1>${escapeHtml(topic.title)}</h1><p>${escapeHtml(topic.body)}</p>
<div class="actions"><a class="button" href="${escapeHtml(restartHref(app, query.returnTo))}">${escapeHtml(labels.again)}</a>${back}</div>
${details.length === 0 ? '' : `<p class="small muted">${details.join(' · ')}</p>`}`;
    const status = query.code !== undefined && isErrorCode(query.code) ? errorRegistry[query.code].status : 400;
    return sendPage(reply, { language, title: topic.title, body }, status);
  });
}

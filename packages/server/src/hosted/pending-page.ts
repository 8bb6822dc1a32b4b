/**
 * What the select and bind pages share: the pending sign-in of this browser (read from its
 * httpOnly cookie, exactly as the JSON endpoints read it), the page shown when there is none any
 * more, and the live regions, "start again" link and words the page script uses.
 */
import { AppError } from '@weunion/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { safeReturnTo } from '../http/return-to.ts';
import { describePendingSignIn } from '../identity/index.ts';
import { CANCELLED_PAGE, type PendingContext, pendingOfBrowser } from '../login/finish.ts';
import { escapeHtml, type Language, languageOf, scriptJson, sendPage } from './html.ts';

export type PendingDescription = Awaited<ReturnType<typeof describePendingSignIn>>;

export type PendingLookup =
  | { found: true; context: PendingContext; described: PendingDescription }
  /** Nothing pending (expired, finished, or another browser's); `returnTo` when the flow is still known. */
  | { found: false; returnTo: string | undefined };

export async function pendingOfPage(app: FastifyInstance, request: FastifyRequest): Promise<PendingLookup> {
  let context: PendingContext | undefined;
  try {
    const pending = await pendingOfBrowser(app, request);
    context = pending;
    return { found: true, context: pending, described: await describePendingSignIn(app.ctx, pending.pendingId) };
  } catch (error) {
    if (error instanceof AppError && error.code === 'login_expired') return { found: false, returnTo: context?.returnTo };
    throw error;
  }
}

const INTERACTION_RETURN = /^\/interaction\/([A-Za-z0-9_-]{1,100})$/;

/** The OIDC interaction a flow was started for (its uid), when it was. */
export function interactionOf(returnTo: string | undefined): string | undefined {
  return INTERACTION_RETURN.exec(returnTo ?? '')?.[1];
}

/**
 * The login page to start again from, keeping where the flow was going when it is still valid. An
 * OIDC login starts again at its interaction, which brings back the application's login page (its
 * client, `ui_locales`, `login_hint`).
 */
export function restartHref(app: FastifyInstance, returnTo: string | undefined): string {
  if (returnTo === undefined) return '/login';
  if (interactionOf(returnTo) !== undefined) return returnTo;
  try {
    const safe = safeReturnTo(app.ctx, returnTo);
    return safe === '/' ? '/login' : `/login?${new URLSearchParams({ returnTo: safe })}`;
  } catch {
    return '/login';
  }
}

const EXPIRED = {
  en: {
    title: 'This sign-in has expired',
    body: 'It took too long, was already completed, or was started in another browser. Please log in again.',
    again: 'Log in again',
  },
  'zh-CN': {
    title: '本次登录已过期',
    body: '登录超时、已经完成，或是在其他浏览器中发起的。请重新登录。',
    again: '重新登录',
  },
} as const;

export function sendExpiredPage(app: FastifyInstance, reply: FastifyReply, language: Language, returnTo: string | undefined): FastifyReply {
  const copy = EXPIRED[language];
  const body = `<h1>${escapeHtml(copy.title)}</h1><p>${escapeHtml(copy.body)}</p><div class="actions"><a class="button" href="${escapeHtml(restartHref(app, returnTo))}">${escapeHtml(copy.again)}</a></div>`;
  return sendPage(reply, { language, title: copy.title, body }, 410);
}

const CANCELLED = {
  en: {
    title: 'Sign-in cancelled',
    body: 'You cancelled this sign-in. No account was linked to this WeChat and none was created.',
    again: 'Log in again',
  },
  'zh-CN': {
    title: '已取消登录',
    body: '您已取消本次登录。此微信未关联任何账号，也未创建新账号。',
    again: '重新登录',
  },
} as const;

/**
 * `GET /login/cancelled`: where a browser lands after cancelling a selection or binding. It only
 * says so and offers to start again towards where the flow was going (`returnTo`, checked).
 */
export function registerCancelledPage(app: FastifyInstance): void {
  app.get(CANCELLED_PAGE, async (request, reply) => {
    const language = languageOf(request);
    const copy = CANCELLED[language];
    const query = request.query;
    const returnTo =
      typeof query === 'object' && query !== null && 'returnTo' in query && typeof query.returnTo === 'string' ? query.returnTo : undefined;
    const body = `<h1>${escapeHtml(copy.title)}</h1><p>${escapeHtml(copy.body)}</p><div class="actions"><a class="button" href="${escapeHtml(restartHref(app, returnTo))}">${escapeHtml(copy.again)}</a></div>`;
    return sendPage(reply, { language, title: copy.title, body });
  });
}

/** The page script's words; problem codes it does not list are shown with the server's own text. */
const SCRIPT_COPY = {
  en: {
    working: 'One moment…',
    done: 'Done. Continuing…',
    send: 'Send code',
    resendIn: 'Resend in {n}s',
    sent: 'A code was sent to {to}. Enter it below.',
    attemptLeft: ' (1 attempt left)',
    attemptsLeft: ' ({n} attempts left)',
    errors: {
      generic: 'Something went wrong. Please try again.',
      network: 'The server could not be reached. Check your connection and try again.',
      validation_failed: 'Please check what you entered.',
    },
  },
  'zh-CN': {
    working: '请稍候…',
    done: '完成，正在跳转…',
    send: '发送验证码',
    resendIn: '{n} 秒后可重发',
    sent: '验证码已发送至 {to}，请在下方输入。',
    attemptLeft: '（还可尝试 1 次）',
    attemptsLeft: '（还可尝试 {n} 次）',
    errors: {
      generic: '出现问题，请重试。',
      network: '无法连接服务器，请检查网络后重试。',
      validation_failed: '请检查输入的内容。',
      binding_failed: '没有与这些信息匹配的账号。',
      verification_failed: '验证码错误或已过期。',
      verification_attempts_exceeded: '错误次数过多，请重新登录。',
      binding_locked: '关联账号的失败次数过多，请稍后再试。',
      login_expired: '本次登录已过期或已完成，请重新登录。',
      rate_limited: '操作过于频繁，请稍后再试。',
      forbidden: '此应用不允许此操作。',
      bad_request: '请求无效，请刷新页面后重试。',
    },
  },
} as const;

const RESTART = { en: 'Log in again', 'zh-CN': '重新登录' } as const;

/** A "log in again" button-styled link. */
export function restartLink(app: FastifyInstance, language: Language, returnTo: string | undefined): string {
  return `<a class="button" href="${escapeHtml(restartHref(app, returnTo))}">${escapeHtml(RESTART[language])}</a>`;
}

/**
 * The live regions of a select/bind page, placed under its introduction: the script's status
 * (polite) and problems that concern no one form (assertive), and the "start again" link it
 * reveals when the sign-in cannot go on.
 */
export function pendingPageRegions(app: FastifyInstance, language: Language, returnTo: string): string {
  return `<p id="wu-status" class="status" role="status" aria-live="polite"></p>
<p id="wu-alert" class="alert" role="alert" aria-live="assertive"></p>
<p id="wu-restart" hidden>${restartLink(app, language, returnTo)}</p>`;
}

const CANCEL = { en: 'Cancel sign-in', 'zh-CN': '取消登录' } as const;

/**
 * The end of a select/bind page: cancel (ends the pending sign-in, then `/login/cancelled`), the
 * script's words, and a note for browsers without JavaScript.
 */
export function pendingPageFooter(language: Language): string {
  const noScript = language === 'en' ? 'This page needs JavaScript to continue.' : '此页面需要启用 JavaScript 才能继续。';
  return `<hr><div class="actions"><button type="button" data-cancel>${escapeHtml(CANCEL[language])}</button></div>
<noscript><p class="alert">${escapeHtml(noScript)}</p></noscript>
<script type="application/json" id="wu-copy">${scriptJson(SCRIPT_COPY[language])}</script>`;
}

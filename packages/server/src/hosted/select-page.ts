/**
 * `GET /login/select`: the WeChat login matched several accounts and the policy lets the person
 * choose. Each candidate is a button showing only what lets its owner recognise it — picture,
 * nickname, masked phone/email, last sign-in and through which app — never a full phone or email.
 * Choosing one links this WeChat identity to it (`POST /api/login/pending/select`) and continues
 * where the flow was going; cancel ends the pending sign-in (`/login/cancelled`).
 */
import type { FastifyInstance } from 'fastify';
import type { AccountCandidate } from '../identity/pending-sign-in.ts';
import { BIND_PAGE } from '../login/finish.ts';
import { escapeHtml, type Language, languageOf, sendPage } from './html.ts';
import { pendingOfPage, pendingPageFooter, pendingPageRegions, restartLink, sendExpiredPage } from './pending-page.ts';
import { PENDING_PAGE_SCRIPT } from './pending-script.ts';

const COPY = {
  en: {
    title: 'Choose your account',
    intro: 'This WeChat login matches more than one account. Choose the one to continue with; this WeChat will be linked to it.',
    accounts: 'Your accounts',
    unnamed: 'Account',
    phone: 'Phone',
    email: 'Email',
    lastLogin: 'Last signed in',
    never: 'Never signed in',
    through: 'via {app}',
    via: { openid: 'Used with this app before', unionid: 'Linked to this WeChat', phone: 'Same phone number', email: 'Same email' },
    none: 'None of the matching accounts is available any more.',
  },
  'zh-CN': {
    title: '选择账号',
    intro: '此微信登录匹配到多个账号。请选择要继续使用的账号，此微信将与其关联。',
    accounts: '您的账号',
    unnamed: '账号',
    phone: '手机',
    email: '邮箱',
    lastLogin: '上次登录',
    never: '从未登录',
    through: '（通过 {app}）',
    via: { openid: '曾在此应用登录', unionid: '已关联此微信', phone: '手机号相同', email: '邮箱相同' },
    none: '匹配的账号均已不可用。',
  },
} as const;

/** Only http(s) pictures are shown; anything else gets the initial instead. */
function pictureUrl(picture: string | null): string | null {
  if (picture === null) return null;
  try {
    const url = new URL(picture);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

function candidateButton(candidate: AccountCandidate, language: Language): string {
  const copy = COPY[language];
  const name = candidate.nickname ?? copy.unnamed;
  const picture = pictureUrl(candidate.picture);
  const avatar =
    picture === null
      ? `<span class="avatar" aria-hidden="true">${escapeHtml(Array.from(name)[0] ?? '?')}</span>`
      : `<img class="avatar" src="${escapeHtml(picture)}" alt="" width="44" height="44" referrerpolicy="no-referrer">`;
  const lines: string[] = [];
  if (candidate.maskedPhone !== null) lines.push(`${copy.phone} ${escapeHtml(candidate.maskedPhone)}`);
  if (candidate.maskedEmail !== null) lines.push(`${copy.email} ${escapeHtml(candidate.maskedEmail)}`);
  if (candidate.lastLoginAt === null) lines.push(escapeHtml(copy.never));
  else {
    const at = new Date(candidate.lastLoginAt);
    const shown = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(at);
    const through = candidate.lastLoginApp === null ? '' : ` ${escapeHtml(copy.through.replace('{app}', candidate.lastLoginApp))}`;
    lines.push(`${escapeHtml(copy.lastLogin)} <time datetime="${at.toISOString()}" data-local>${escapeHtml(shown)} UTC</time>${through}`);
  }
  const via = candidate.via.map((signal) => copy.via[signal]).join(' · ');
  if (via !== '') lines.push(escapeHtml(via));
  return `<li><button type="button" data-select="${escapeHtml(candidate.userId)}">${avatar}<span class="who"><span class="name">${escapeHtml(name)}</span>${lines.map((line) => `<span class="small muted">${line}</span>`).join('')}</span></button></li>`;
}

export function registerSelectPage(app: FastifyInstance): void {
  app.get('/login/select', async (request, reply) => {
    const language = languageOf(request);
    const lookup = await pendingOfPage(app, request);
    if (!lookup.found) return sendExpiredPage(app, reply, language, lookup.returnTo);
    if (lookup.described.kind === 'bind') return reply.header('cache-control', 'no-store').redirect(BIND_PAGE, 302);
    const copy = COPY[language];
    const { candidates } = lookup.described;
    const list =
      candidates.length === 0
        ? `<p class="alert">${escapeHtml(copy.none)}</p><p>${restartLink(app, language, lookup.context.returnTo)}</p>`
        : `<ul class="accounts" aria-label="${escapeHtml(copy.accounts)}">${candidates.map((c) => candidateButton(c, language)).join('')}</ul>`;
    const body = `<h1>${escapeHtml(copy.title)}</h1><p class="muted">${escapeHtml(copy.intro)}</p>${pendingPageRegions(app, language, lookup.context.returnTo)}${list}${pendingPageFooter(language)}`;
    return sendPage(reply, { language, title: copy.title, body, script: PENDING_PAGE_SCRIPT });
  });
}

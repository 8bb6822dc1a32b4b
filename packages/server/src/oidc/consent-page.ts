/**
 * The consent page a third-party application's login passes through: what the application will
 * get (each scope in plain words, `offline_access` included), in the hosted pages' look and CSP,
 * zh-CN or en from `ui_locales` or the browser. Allow and Deny post a form; either answer
 * redirects on to the application, so its origin is allowed as a form target.
 */
import type { FastifyReply } from 'fastify';
import { escapeHtml, type Language, originOf, sendPage } from '../hosted/html.ts';

const COPY = {
  en: {
    title: (app: string) => `Allow ${app}?`,
    wants: (app: string) => `${app} would like to:`,
    allow: 'Allow',
    deny: 'Deny',
    note: 'You can sign out of the application at any time. It gets nothing more than listed here.',
    scopes: {
      openid: 'Know who you are (an identifier for your account)',
      profile: 'See your name, nickname and picture',
      phone: 'See your verified phone number',
      email: 'See your verified email address',
      wechat: 'See your WeChat identities (openid, unionid)',
      offline_access: 'Keep you signed in when you are not using it (refresh tokens)',
    } as Record<string, string>,
  },
  'zh-CN': {
    title: (app: string) => `允许 ${app} 访问？`,
    wants: (app: string) => `${app} 将获得以下权限：`,
    allow: '允许',
    deny: '拒绝',
    note: '你可以随时退出该应用。除以上列出的内容外，它不会获得其他信息。',
    scopes: {
      openid: '识别你的身份（账号标识）',
      profile: '查看你的姓名、昵称和头像',
      phone: '查看你已验证的手机号',
      email: '查看你已验证的邮箱',
      wechat: '查看你的微信身份（openid、unionid）',
      offline_access: '在你不使用时保持登录（刷新令牌）',
    } as Record<string, string>,
  },
} as const;

export interface ConsentPageInput {
  uid: string;
  language: Language;
  applicationName: string;
  scopes: string[];
  redirectUri: string | undefined;
}

export function consentPage(reply: FastifyReply, input: ConsentPageInput): FastifyReply {
  const copy = COPY[input.language];
  const items = [...new Set(input.scopes)]
    .filter((scope) => scope !== '')
    .map((scope) => `<li>${escapeHtml(copy.scopes[scope] ?? scope)}</li>`)
    .join('');
  return sendPage(reply, {
    language: input.language,
    title: copy.title(input.applicationName),
    body: `<h1>${escapeHtml(copy.title(input.applicationName))}</h1><p>${escapeHtml(copy.wants(input.applicationName))}</p><ul class="scopes">${items}</ul>
<form method="post" action="/interaction/${escapeHtml(input.uid)}/consent"><div class="actions">
<button class="primary" name="decision" value="allow" autofocus>${escapeHtml(copy.allow)}</button>
<button name="decision" value="deny">${escapeHtml(copy.deny)}</button>
</div></form><p class="small muted">${escapeHtml(copy.note)}</p>`,
    formTargets: originOf(input.redirectUri),
  });
}

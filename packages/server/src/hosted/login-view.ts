/**
 * The hosted login page's markup, as one pure function of what the page is for: the real page
 * (`/login`) and the console's branding preview are both rendered here, so what an admin sees
 * in the preview is what people get.
 *
 * What it looks like (a WeChat login, as Chinese users know it):
 * - the application's logo (or our WeChat-style mark), its name, the account hint;
 * - on a PC: "微信扫码登录" with WeChat's own embedded QR (WxLogin) inline, and below it the other
 *   ways, named by what the person does: follow the official account, scan with the mini
 *   program (which can share the phone number), the SMS code once that page exists;
 * - in the WeChat browser: "微信一键登录" (S4) first;
 * - on a phone browser outside WeChat: "在微信中打开" (the mini program opened by link, S3);
 * - the user agreement and privacy policy line, with an "I agree" checkbox when the application
 *   requires it (no code is asked for before it is ticked; the server checks it too).
 * No inline style and no event attribute: the page runs under a CSP without 'unsafe-inline'.
 */
import { escapeHtml, type Language, scriptJson } from './html.ts';

export type LoginDevice = 'desktop' | 'phone' | 'wechat';
/** Where the primary QR comes from: WeChat's embedded website QR (S2) or a QR of ours (S1, S3). */
export type PcWay = 's1' | 's2' | 's3';

export interface LoginViewInput {
  language: Language;
  device: LoginDevice;
  application: {
    id: string;
    name: string;
    branding: {
      logoUrl?: string | undefined;
      termsUrl?: string | undefined;
      privacyUrl?: string | undefined;
      requireAgreement?: boolean | undefined;
    };
  } | null;
  /** The ways that work here (allowed by the application and with a connection). */
  ways: { s1: boolean; s2: boolean; s3: boolean; s4: boolean };
  returnTo: string;
  loginHint?: string | undefined;
  /** The SMS code page exists (`/login/sms`); it is linked with `query`, the request's own. */
  smsLogin: boolean;
  /** `/login`'s query string (without `?`), carried to the SMS page. */
  query: string;
  /** Where "cancel" goes (an OIDC login: the application hears `access_denied`). */
  cancelUrl?: string | undefined;
  /** The console's preview: no live code, no script. */
  preview?: boolean;
}

const COPY = {
  en: {
    title: 'Log in',
    titleFor: (name: string) => `Log in to ${name}`,
    subtitle: 'with your WeChat account',
    hint: 'Account:',
    qrTitle: 'Scan with WeChat to log in',
    qrHint: 'Open WeChat on your phone, tap + › Scan, and scan this code.',
    qrLabel: 'WeChat login QR code',
    agreeFirst: 'Tick “I agree” below to show the QR code.',
    loading: 'Loading the QR code…',
    others: 'Other ways to log in',
    s1: 'Follow the official account to log in',
    s2: 'Scan the WeChat login code instead',
    s3: 'Scan with the mini program (can share your phone number)',
    sms: 'Log in with SMS code',
    s4: 'Log in with WeChat',
    s4Hint: 'You are in WeChat: log in with your WeChat account in one tap.',
    phoneTitle: 'Open in WeChat',
    phoneHint: 'WeChat opens the mini program: confirm there (share your phone number if you like), then come back to this page.',
    noWechatHere: 'WeChat login works inside WeChat. Copy this page’s link and open it in WeChat, or scan it from a computer.',
    copy: 'Copy this page’s link',
    copied: 'Link copied',
    none: 'No WeChat login is configured for this application yet.',
    cancel: 'Cancel and go back',
    agreeLead: 'I have read and agree to the',
    byLogging: 'By logging in you agree to the',
    and: 'and the',
    terms: 'User Agreement',
    privacy: 'Privacy Policy',
    failed: 'The QR code could not be loaded:',
  },
  'zh-CN': {
    title: '登录',
    titleFor: (name: string) => `登录 ${name}`,
    subtitle: '使用微信账号登录',
    hint: '账号：',
    qrTitle: '微信扫码登录',
    qrHint: '打开手机微信，点击右上角 + ›「扫一扫」扫描二维码',
    qrLabel: '微信登录二维码',
    agreeFirst: '请先勾选下方的同意协议，再显示二维码',
    loading: '正在加载二维码…',
    others: '其他登录方式',
    s1: '关注公众号登录',
    s2: '改用微信扫码登录',
    s3: '小程序扫码登录（可授权手机号）',
    sms: '短信验证码登录',
    s4: '微信一键登录',
    s4Hint: '您正在使用微信，可直接使用微信账号登录',
    phoneTitle: '在微信中打开',
    phoneHint: '将打开微信小程序：在小程序中确认登录（可授权手机号），然后回到本页面。',
    noWechatHere: '微信登录需在微信内完成。请复制本页链接在微信中打开，或在电脑上扫码。',
    copy: '复制本页链接',
    copied: '链接已复制',
    none: '此应用尚未配置微信登录。',
    cancel: '取消并返回',
    agreeLead: '我已阅读并同意',
    byLogging: '登录即表示您同意',
    and: '和',
    terms: '《用户协议》',
    privacy: '《隐私政策》',
    failed: '二维码加载失败：',
  },
} as const;

/**
 * Our own drawing of a WeChat-style mark: two overlapping speech bubbles with eyes, in WeChat's
 * green (not WeChat's logo file). Decorative wherever text says the same thing.
 */
export function wechatMark(className = 'mark'): string {
  return `<svg class="${className}" viewBox="0 0 48 48" aria-hidden="true" focusable="false"><rect width="48" height="48" rx="10" fill="#07c160"/><path fill="#fff" d="M19 10c-7.2 0-13 4.8-13 10.8 0 3.4 1.9 6.4 4.8 8.4l-1.2 3.9 4.6-2.4c1.5.4 3.1.7 4.8.7h.9a9.9 9.9 0 0 1-.4-2.8c0-6 5.8-10.8 12.9-10.8h.9C32.1 13.6 26.1 10 19 10z"/><circle cx="14.6" cy="17.6" r="1.7" fill="#07c160"/><circle cx="23.4" cy="17.6" r="1.7" fill="#07c160"/><path fill="#fff" d="M42 28.4c0-5-4.9-9-10.9-9s-10.9 4-10.9 9 4.9 9 10.9 9c1.3 0 2.6-.2 3.8-.5l3.8 2-1-3.2c2.6-1.7 4.3-4.3 4.3-7.3z"/><circle cx="27.5" cy="26.5" r="1.4" fill="#07c160"/><circle cx="34.7" cy="26.5" r="1.4" fill="#07c160"/></svg>`;
}

/** A stand-in for the QR in the preview and before the person agreed: a QR-like pattern, not a code. */
function qrPlaceholder(text: string): string {
  const cells: string[] = [];
  for (let y = 0; y < 21; y++) {
    for (let x = 0; x < 21; x++) {
      const finder = (x < 7 && y < 7) || (x > 13 && y < 7) || (x < 7 && y > 13);
      if (finder || (x * 7 + y * 13 + x * y) % 5 < 2) cells.push(`M${x} ${y}h1v1h-1z`);
    }
  }
  return `<div class="placeholder"><svg viewBox="0 0 21 21" aria-hidden="true" focusable="false"><path fill="#1f2328" d="${cells.join('')}"/></svg></div><p class="notice" id="wu-qr-notice">${escapeHtml(text)}</p>`;
}

function agreementLine(input: LoginViewInput, copy: (typeof COPY)[Language]): string {
  const branding = input.application?.branding ?? {};
  // A document without a URL is still named (the person agrees to it), just not linked.
  const link = (url: string | undefined, text: string) =>
    url === undefined ? escapeHtml(text) : `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(text)}</a>`;
  const documents = `${link(branding.termsUrl, copy.terms)}${input.language === 'en' ? ` ${copy.and} ` : copy.and}${link(branding.privacyUrl, copy.privacy)}`;
  if (branding.requireAgreement === true) {
    // `form` ties the box to the S4 form (WeChat browser): the browser itself refuses to submit it unticked.
    return `<p class="agreement"><input type="checkbox" id="wu-agree" name="agreed" value="1" required form="wu-s4"><label for="wu-agree">${escapeHtml(copy.agreeLead)} ${documents}</label></p>`;
  }
  if (branding.termsUrl === undefined && branding.privacyUrl === undefined) return '';
  return `<p class="agreement">${escapeHtml(copy.byLogging)} ${documents}</p>`;
}

/** The first PC way: WeChat's website QR when there is one, else the mini program code, else the official account. */
export function primaryPcWay(ways: LoginViewInput['ways']): PcWay | null {
  if (ways.s2) return 's2';
  if (ways.s3) return 's3';
  if (ways.s1) return 's1';
  return null;
}

/** The `<main>` content of the login page. */
export function renderLoginView(input: LoginViewInput): string {
  const copy = COPY[input.language];
  const application = input.application;
  const logo =
    application?.branding.logoUrl === undefined
      ? wechatMark()
      : `<img src="${escapeHtml(application.branding.logoUrl)}" alt="${escapeHtml(application.name)}">`;
  const hint =
    input.loginHint === undefined || input.loginHint === ''
      ? ''
      : `<p class="muted small">${escapeHtml(copy.hint)} ${escapeHtml(input.loginHint)}</p>`;
  const head = `<div class="head">${logo}<h1>${escapeHtml(application === null ? copy.title : copy.titleFor(application.name))}</h1><p class="muted small">${escapeHtml(copy.subtitle)}</p>${hint}</div>`;
  const agreement = agreementLine(input, copy);
  const requireAgreement = application?.branding.requireAgreement === true;
  const sms = input.smsLogin
    ? `<a class="choice" href="${escapeHtml(`/login/sms${input.query === '' ? '' : `?${input.query}`}`)}">${escapeHtml(copy.sms)}</a>`
    : '';
  const cancel =
    input.cancelUrl === undefined ? '' : `<p class="cancel"><a href="${escapeHtml(input.cancelUrl)}">${escapeHtml(copy.cancel)}</a></p>`;
  const others = (choices: string) =>
    choices === ''
      ? ''
      : `<section class="others" aria-labelledby="wu-others"><h2 id="wu-others">${escapeHtml(copy.others)}</h2>${choices}<div class="other-panel" id="wu-other"></div></section>`;
  const choice = (way: 's1' | 's2' | 's3') =>
    `<button type="button" class="choice" data-way="${way}" aria-expanded="false" aria-controls="wu-other">${escapeHtml(copy[way])}</button>`;
  const status = '<p class="status" id="wu-status" role="alert"></p>';

  if (input.device === 'wechat') {
    const primary = input.ways.s4
      ? `<form id="wu-s4" method="get" action="/login/s4"><input type="hidden" name="returnTo" value="${escapeHtml(input.returnTo)}">${application === null ? '' : `<input type="hidden" name="client" value="${escapeHtml(application.id)}">`}<p class="notice">${escapeHtml(copy.s4Hint)}</p><button type="submit" class="button primary">${wechatMark('')}${escapeHtml(copy.s4)}</button></form>`
      : `<p>${escapeHtml(copy.none)}</p>`;
    return `${head}${primary}${agreement}${others(sms)}${cancel}`;
  }

  if (input.device === 'phone') {
    // The widget (method s3link) draws the button and its hint; the preview shows a stand-in of them.
    const waiting = requireAgreement
      ? `<p class="notice" id="wu-qr-notice">${escapeHtml(copy.agreeFirst)}</p>`
      : input.preview === true
        ? `<div><span class="button primary stand-in">${escapeHtml(copy.phoneTitle)}</span><p class="notice">${escapeHtml(copy.phoneHint)}</p></div>`
        : '';
    const primary = input.ways.s3
      ? `<section class="primary-way" aria-label="${escapeHtml(copy.phoneTitle)}"><div class="other-panel" id="wu-primary" data-way="s3link">${waiting}</div></section>`
      : `<section class="primary-way"><p>${escapeHtml(copy.noWechatHere)}</p><button type="button" class="choice copy" id="wu-copy" data-copied="${escapeHtml(copy.copied)}">${escapeHtml(copy.copy)}</button></section>`;
    return `${head}${primary}${agreement}${status}${others(sms)}${cancel}`;
  }

  const first = primaryPcWay(input.ways);
  if (first === null) return `${head}<p>${escapeHtml(copy.none)}</p>${sms === '' ? '' : others(sms)}${cancel}`;
  const title = first === 's2' ? copy.qrTitle : copy[first];
  const waiting = requireAgreement ? copy.agreeFirst : input.preview === true ? copy.qrHint : copy.loading;
  const primary = `<section class="primary-way" aria-labelledby="wu-primary-title"><h2 id="wu-primary-title">${wechatMark('')}${escapeHtml(title)}</h2><div class="qr-box" id="wu-primary" data-way="${first}" role="group" aria-label="${escapeHtml(copy.qrLabel)}">${qrPlaceholder(waiting)}</div>${first === 's2' ? `<p class="notice">${escapeHtml(copy.qrHint)}</p>` : ''}</section>`;
  const rest = (['s1', 's3'] as const).filter((way) => way !== first && input.ways[way]).map(choice);
  return `${head}${primary}${agreement}${status}${others(`${rest.join('')}${sms}`)}${cancel}`;
}

/** What the page's script needs (read from a JSON block: no inline values in code). */
export function loginViewConfig(input: LoginViewInput, abortUrl: string | undefined): string {
  const copy = COPY[input.language];
  return `<script type="application/json" id="wu-config">${scriptJson({
    returnTo: input.returnTo,
    client: input.application?.id ?? null,
    lang: input.language,
    abortUrl: abortUrl ?? null,
    frameTitle: copy.qrLabel,
    agreeFirst: copy.agreeFirst,
    failed: copy.failed,
  })}</script>`;
}

/** The whole document for the console's preview: the same markup and stylesheet, no script. */
export function renderLoginPreview(input: LoginViewInput, stylesheetUrl: string): string {
  const copy = COPY[input.language];
  return `<!doctype html><html lang="${input.language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(copy.title)}</title><link rel="stylesheet" href="${escapeHtml(stylesheetUrl)}"></head><body><main>${renderLoginView({ ...input, preview: true })}</main></body></html>`;
}

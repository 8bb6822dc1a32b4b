/**
 * What a code message says, in zh-CN and en. SMS text lives in the provider's approved templates
 * (China requires it), so here an SMS is a template id and its parameters: Tencent templates take
 * `{1}` the code and `{2}` the minutes it lives; Alibaba templates take `${code}` (and may use
 * `${minutes}`). Email is written here in full.
 */
export type MessageLanguage = 'zh-CN' | 'en';

export interface CodeContent {
  code: string;
  minutes: number;
  /** `binding` (prove an account) or `login` (SMS login). */
  purpose: string;
}

const EMAIL = {
  'zh-CN': {
    subject: (c: CodeContent) => `验证码 ${c.code}`,
    line: (c: CodeContent) =>
      `${c.purpose === 'login' ? '您正在登录' : '您正在验证账号'}，验证码为 ${c.code}，${c.minutes} 分钟内有效。如非本人操作，请忽略本邮件。`,
  },
  en: {
    subject: (c: CodeContent) => `Your verification code: ${c.code}`,
    line: (c: CodeContent) =>
      `${c.purpose === 'login' ? 'To log in' : 'To verify your account'}, enter the code ${c.code}. It expires in ${c.minutes} minutes. If you did not ask for it, ignore this email.`,
  },
} as const;

const escapeText = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

export function codeEmail(language: MessageLanguage, content: CodeContent): { subject: string; text: string; html: string } {
  const copy = EMAIL[language];
  const line = copy.line(content);
  return {
    subject: copy.subject(content),
    text: `${line}\n`,
    html: `<!doctype html><html lang="${language}"><body><p>${escapeText(line)}</p><p style="font-size:24px;letter-spacing:4px"><b>${escapeText(content.code)}</b></p></body></html>`,
  };
}

export function smsTemplateParams(content: CodeContent): { params: string[]; namedParams: Record<string, string> } {
  return { params: [content.code, String(content.minutes)], namedParams: { code: content.code } };
}

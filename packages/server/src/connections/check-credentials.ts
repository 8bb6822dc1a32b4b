/**
 * "Is this AppSecret right?" for the console: asks WeChat (see `@weunion/wechat` credentials for
 * how, without disturbing the tokens production uses) about a stored connection, a stored
 * connection with a new secret not saved yet, or an app not stored at all, and explains the answer
 * in a sentence an admin can act on. Never returns or logs a token or a secret. Limited per appid:
 * each check is a call against the app's WeChat quota, and a loop of guesses should stop early.
 */
import { AppError } from '@weunion/errors';
import type { CredentialCheck, WechatAppType } from '@weunion/wechat';
import type { AppContext } from '../http/context.ts';
import { RateLimiter, type RateRule } from '../http/rate-limit.ts';
import { findConnection } from './store.ts';

export const CREDENTIAL_CHECK_PER_APPID: RateRule = { name: 'credential-check-appid', limit: 10, windowMs: 60_000 };

export interface CredentialCheckInput {
  connectionId?: string | undefined;
  appType?: WechatAppType | undefined;
  appid?: string | undefined;
  secret?: string | undefined;
  /** The language of `explanation` (default English). */
  language?: ExplanationLanguage | undefined;
}

export const EXPLANATION_LANGUAGES = ['en', 'zh-CN'] as const;
export type ExplanationLanguage = (typeof EXPLANATION_LANGUAGES)[number];

export interface CredentialCheckResult extends CredentialCheck {
  explanation: string;
  checkedAt: number;
}

const WHERE_SECRET: Record<WechatAppType, string> = {
  official_account: 'the Official Accounts Platform (mp.weixin.qq.com › Settings and Development › Basic Configuration)',
  mini_program: 'the Mini Program admin (mp.weixin.qq.com › Development Management › Development Settings)',
  website: 'the Open Platform (open.weixin.qq.com › Management Center › Website Application › View)',
  mobile_app: 'the Open Platform (open.weixin.qq.com › Management Center › Mobile Application › View)',
};

const WHERE_SECRET_ZH: Record<WechatAppType, string> = {
  official_account: '微信公众平台（mp.weixin.qq.com › 设置与开发 › 基本配置）',
  mini_program: '微信公众平台的小程序后台（mp.weixin.qq.com › 开发 › 开发管理 › 开发设置）',
  website: '微信开放平台（open.weixin.qq.com › 管理中心 › 网站应用 › 查看）',
  mobile_app: '微信开放平台（open.weixin.qq.com › 管理中心 › 移动应用 › 查看）',
};

export async function checkCredentials(ctx: AppContext, input: CredentialCheckInput): Promise<CredentialCheckResult> {
  const app = await resolveApp(ctx, input);
  await new RateLimiter(ctx.state).consume(CREDENTIAL_CHECK_PER_APPID, app.appid);
  let check: CredentialCheck;
  try {
    check = await ctx.wechat.credentials.check(app);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    const method = app.appType === 'official_account' || app.appType === 'mini_program' ? 'stable_token' : 'oauth_probe';
    const zh = input.language === 'zh-CN';
    const explanation =
      error.code === 'wechat_unreachable'
        ? zh
          ? '无法连接微信，未作检查。请检查本服务器访问 api.weixin.qq.com 的网络后重试。'
          : 'WeChat could not be reached, so nothing was checked. Check this server’s network access to api.weixin.qq.com and try again.'
        : zh
          ? '微信的回答无法识别，未作检查。请稍后重试。'
          : 'WeChat answered something unexpected, so nothing was checked. Try again in a moment.';
    return { ok: false, method, errcode: null, errmsg: null, explanation, checkedAt: Date.now() };
  }
  const explanation = input.language === 'zh-CN' ? explainZh(check, app.appType) : explain(check, app.appType);
  return { ...check, explanation, checkedAt: Date.now() };
}

async function resolveApp(
  ctx: AppContext,
  input: CredentialCheckInput,
): Promise<{ appType: WechatAppType; appid: string; secret: string }> {
  if (input.connectionId !== undefined) {
    if (input.appType !== undefined || input.appid !== undefined) {
      throw new AppError('bad_request', 'Send either connectionId (optionally with a new secret) or appType, appid and secret');
    }
    const connection = await findConnection(ctx.database.db, ctx.secrets, input.connectionId);
    if (connection === null) throw new AppError('not_found', `No connection ${input.connectionId}`);
    const secret = input.secret ?? connection.secret;
    if (secret === null) throw new AppError('bad_request', `Connection ${connection.id} has no AppSecret stored; send one to check`);
    return { appType: connection.appType, appid: connection.appid, secret };
  }
  if (input.appType === undefined || input.appid === undefined || input.secret === undefined) {
    throw new AppError('bad_request', 'Send either connectionId (optionally with a new secret) or appType, appid and secret');
  }
  return { appType: input.appType, appid: input.appid, secret: input.secret };
}

function explain(check: CredentialCheck, appType: WechatAppType): string {
  const where = WHERE_SECRET[appType];
  const said = `${check.errcode} ${check.errmsg ?? ''}`.trim();
  if (check.ok) {
    return check.method === 'stable_token'
      ? 'WeChat accepted the AppID and AppSecret (it issued an access token, which was not kept).'
      : `WeChat accepted the AppID and AppSecret (it refused only the deliberately invalid test code: ${said}).`;
  }
  switch (check.errcode) {
    case 40013:
      return `WeChat does not know this AppID (${said}). Check that it is this app’s AppID, as shown in ${where}, and that the app type is right.`;
    case 40125:
    case 40001:
      return `WeChat rejected the AppSecret (${said}). Copy it again from ${where}; if it was reset there, the old one no longer works.`;
    case 40164:
      return `WeChat refused this server’s IP address (${said}). Add it to the IP whitelist in ${where}.`;
    case 41002:
    case 41004:
      return `WeChat says the AppID or AppSecret is missing (${said}).`;
    case 45009:
    case 45011:
      return `WeChat is limiting this app’s requests (${said}); nothing was concluded. Try again later.`;
    case -1:
      return `WeChat was busy (${said}); nothing was concluded. Try again in a moment.`;
    case null:
      return `WeChat gave no verdict${check.errmsg === null ? '' : ` (${check.errmsg})`}. Try again in a moment.`;
    default:
      return `WeChat refused the check (${said}). Compare the AppID and AppSecret with ${where}.`;
  }
}

function explainZh(check: CredentialCheck, appType: WechatAppType): string {
  const where = WHERE_SECRET_ZH[appType];
  const said = `${check.errcode} ${check.errmsg ?? ''}`.trim();
  if (check.ok) {
    return check.method === 'stable_token'
      ? '微信接受了这个 AppID 和 AppSecret（它发放了一个 access_token，没有保留）。'
      : `微信接受了这个 AppID 和 AppSecret（它只拒绝了故意无效的测试 code：${said}）。`;
  }
  switch (check.errcode) {
    case 40013:
      return `微信不认识这个 AppID（${said}）。请核对它是否就是${where}中显示的 AppID，以及应用类型是否正确。`;
    case 40125:
    case 40001:
      return `微信拒绝了这个 AppSecret（${said}）。请从${where}重新复制；如果那里重置过，旧的已经失效。`;
    case 40164:
      return `微信拒绝了本服务器的 IP 地址（${said}）。请把它加入${where}中的 IP 白名单。`;
    case 41002:
    case 41004:
      return `微信说缺少 AppID 或 AppSecret（${said}）。`;
    case 45009:
    case 45011:
      return `微信正在限制这个应用的调用（${said}），无法得出结论。请稍后重试。`;
    case -1:
      return `微信系统繁忙（${said}），无法得出结论。请稍后重试。`;
    case null:
      return `微信没有给出结论${check.errmsg === null ? '' : `（${check.errmsg}）`}。请稍后重试。`;
    default:
      return `微信拒绝了检查（${said}）。请对照${where}核对 AppID 和 AppSecret。`;
  }
}

/**
 * "Is this AppSecret right?" for the console: asks WeChat (see `@weunion/wechat` credentials for
 * how, without disturbing the tokens production uses) about a stored connection, a stored
 * connection with a new secret not saved yet, or an app not stored at all, and explains the answer
 * in a sentence an admin can act on. Never returns or logs a token or a secret. Limited per appid:
 * each check is a call against the app's WeChat quota, and a loop of guesses should stop early.
 */
import { AppError } from '@weunion/errors';
import type { CredentialCheck, WechatAppType } from '@weunion/wechat';
import type { AppContext } from '../http/app.ts';
import { RateLimiter, type RateRule } from '../http/rate-limit.ts';
import { findConnection } from './store.ts';

export const CREDENTIAL_CHECK_PER_APPID: RateRule = { name: 'credential-check-appid', limit: 10, windowMs: 60_000 };

export interface CredentialCheckInput {
  connectionId?: string | undefined;
  appType?: WechatAppType | undefined;
  appid?: string | undefined;
  secret?: string | undefined;
}

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

export async function checkCredentials(ctx: AppContext, input: CredentialCheckInput): Promise<CredentialCheckResult> {
  const app = await resolveApp(ctx, input);
  await new RateLimiter(ctx.state).consume(CREDENTIAL_CHECK_PER_APPID, app.appid);
  let check: CredentialCheck;
  try {
    check = await ctx.wechat.credentials.check(app);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    const method = app.appType === 'official_account' || app.appType === 'mini_program' ? 'stable_token' : 'oauth_probe';
    const explanation =
      error.code === 'wechat_unreachable'
        ? 'WeChat could not be reached, so nothing was checked. Check this server’s network access to api.weixin.qq.com and try again.'
        : 'WeChat answered something unexpected, so nothing was checked. Try again in a moment.';
    return { ok: false, method, errcode: null, errmsg: null, explanation, checkedAt: Date.now() };
  }
  return { ...check, explanation: explain(check, app.appType), checkedAt: Date.now() };
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

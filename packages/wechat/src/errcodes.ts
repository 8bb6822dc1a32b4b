/**
 * WeChat errcode → weunion AppError. The only place errcodes are translated
 * (table: shared/wechat-protocol.md, "Error codes that matter").
 *
 * Three kinds of failure stay apart, so callers and operators can tell them apart:
 * - WeChat said no: an `errcode` → the code from the table below (`details.errcode` keeps the number);
 * - the network failed or timed out → `wechat_unreachable` (see `unreachableError`);
 * - WeChat answered something we cannot read → `wechat_bad_response` (see `badResponseError`).
 */
import { AppError, type ErrorCode } from '@weunion/errors';

/** WeChat's "system busy": the only errcode worth retrying as is. */
export const ERRCODE_BUSY = -1;
/** access_token invalid / not the latest / expired: drop the cached token, fetch a new one, retry once. */
export const ACCESS_TOKEN_ERRCODES: ReadonlySet<number> = new Set([40001, 40014, 42001]);

const ERRCODE_TABLE: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [-1, 'wechat_busy'],
  [40001, 'wechat_access_token_invalid'],
  [40014, 'wechat_access_token_invalid'],
  [42001, 'wechat_access_token_invalid'],
  [40013, 'wechat_credentials_invalid'],
  [40125, 'wechat_credentials_invalid'],
  [40029, 'wechat_code_invalid'],
  [40163, 'wechat_code_invalid'],
  [42003, 'wechat_code_invalid'],
  [41008, 'wechat_code_missing'],
  [40030, 'wechat_refresh_token_invalid'],
  [42002, 'wechat_refresh_token_invalid'],
  [40164, 'wechat_ip_not_allowed'],
  [40226, 'wechat_high_risk_user'],
  [45009, 'wechat_quota_exceeded'],
  [45011, 'wechat_rate_limited'],
  // URL Scheme / URL Link generation: too many per second.
  [44990, 'wechat_rate_limited'],
  [48001, 'wechat_scope_unauthorized'],
  // The request itself was wrong (a bug on our side, or a bad page/scene/openid passed through):
  // invalid grant_type, openid, QR action name/info, args, scene, page, data format; missing
  // access_token/appid/secret/refresh_token-or-openid.
  [40002, 'wechat_invalid_argument'],
  [40052, 'wechat_invalid_argument'],
  [40053, 'wechat_invalid_argument'],
  [41001, 'wechat_invalid_argument'],
  [41002, 'wechat_invalid_argument'],
  [41004, 'wechat_invalid_argument'],
  [41009, 'wechat_invalid_argument'],
  [41030, 'wechat_invalid_argument'],
  [40129, 'wechat_invalid_argument'],
  [40169, 'wechat_invalid_argument'],
  [40003, 'wechat_invalid_argument'],
  [40097, 'wechat_invalid_argument'],
  [47001, 'wechat_invalid_argument'],
  // user/info/batchget list size; GET of a POST API; scheme/link page path, query, expiry.
  [40032, 'wechat_invalid_argument'],
  [43002, 'wechat_invalid_argument'],
  [40165, 'wechat_invalid_argument'],
  [40212, 'wechat_invalid_argument'],
  [85401, 'wechat_invalid_argument'],
  [85402, 'wechat_invalid_argument'],
  // wxa/checksession: the signature does not match the current session_key (it was rotated or expired).
  [87009, 'wechat_signature_invalid'],
]);

/** Endpoints that take appid + secret to issue an app access_token. */
const TOKEN_ENDPOINTS: ReadonlySet<string> = new Set(['cgi-bin/token', 'cgi-bin/stable_token']);

export interface WechatErrorContext {
  /** The API path without leading slash, e.g. `sns/jscode2session`. */
  endpoint: string;
  errcode: number;
  /** WeChat's errmsg, already stripped of anything secret the request carried. */
  errmsg: string;
}

/** The weunion code for a WeChat errcode returned by `endpoint`. */
export function errorCodeFor(endpoint: string, errcode: number): ErrorCode {
  // Quirk: cgi-bin/token answers a wrong AppSecret with 40001 ("AppSecret错误"), the same number
  // other APIs use for a bad access_token. There it is a configuration error; retrying would loop.
  if (TOKEN_ENDPOINTS.has(endpoint) && ACCESS_TOKEN_ERRCODES.has(errcode)) return 'wechat_credentials_invalid';
  return ERRCODE_TABLE.get(errcode) ?? 'wechat_error';
}

/** The AppError for a WeChat errcode; `details` carries endpoint, errcode and errmsg. */
export function wechatError(context: WechatErrorContext): AppError {
  const code = errorCodeFor(context.endpoint, context.errcode);
  return new AppError(code, `WeChat ${context.endpoint} answered errcode ${context.errcode}: ${context.errmsg}`, {
    details: { endpoint: context.endpoint, errcode: context.errcode, errmsg: context.errmsg },
  });
}

/** Whether an error is WeChat rejecting the access_token the call carried (refresh and retry once). */
export function isAccessTokenRejected(error: unknown): boolean {
  return error instanceof AppError && error.code === 'wechat_access_token_invalid';
}

/** Whether an error is WeChat's "system busy" (-1), worth retrying after a pause. */
export function isBusy(error: unknown): boolean {
  return error instanceof AppError && error.code === 'wechat_busy';
}

/** WeChat could not be reached: connection refused/reset, DNS, TLS, or the call's timeout elapsed. */
export function unreachableError(endpoint: string, reason: string): AppError {
  return new AppError('wechat_unreachable', `WeChat ${endpoint} could not be reached: ${reason}`, {
    details: { endpoint, reason },
  });
}

/** WeChat answered, but not with anything the endpoint documents. */
export function badResponseError(endpoint: string, reason: string, status?: number): AppError {
  return new AppError('wechat_bad_response', `WeChat ${endpoint} answered something unexpected: ${reason}`, {
    details: status === undefined ? { endpoint, reason } : { endpoint, reason, status },
  });
}

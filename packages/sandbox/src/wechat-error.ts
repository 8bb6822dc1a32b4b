/**
 * WeChat's way of saying no: HTTP 200 with `{errcode, errmsg: "…, rid: …"}`. Every refusal on a
 * WeChat path is one of these; the errmsg texts are WeChat's own.
 */
import { newRid } from './ids.ts';

export const WECHAT_ERRORS = {
  busy: [-1, 'system error'],
  invalidCredential: [40001, 'invalid credential, access_token is invalid or not latest'],
  invalidGrantType: [40002, 'invalid grant_type'],
  invalidOpenid: [40003, 'invalid openid'],
  invalidAppid: [40013, 'invalid appid'],
  invalidAccessToken: [40014, 'invalid access_token'],
  invalidCode: [40029, 'invalid code'],
  invalidRefreshToken: [40030, 'invalid refresh_token'],
  invalidActionName: [40052, 'invalid action name'],
  invalidActionInfo: [40053, 'invalid action info'],
  invalidArgs: [40097, 'invalid args'],
  invalidListSize: [40032, 'invalid openid list size'],
  invalidAppsecret: [40125, 'invalid appsecret'],
  invalidScene: [40129, 'invalid scene'],
  codeUsed: [40163, 'code been used'],
  invalidPagePath: [40165, 'invalid weapp pagepath'],
  sceneTooLong: [40169, 'invalid length for scene, or the data is not json string'],
  invalidQuery: [40212, 'invalid query'],
  highRiskUser: [40226, 'high risk user'],
  accessTokenMissing: [41001, 'access_token missing'],
  appidMissing: [41002, 'appid missing'],
  secretMissing: [41004, 'appsecret missing'],
  codeMissing: [41008, 'missing code'],
  refreshTokenMissing: [41009, 'missing refresh_token'],
  openidMissing: [41009, 'missing openid'],
  invalidPage: [41030, 'invalid page'],
  accessTokenExpired: [42001, 'access_token expired'],
  refreshTokenExpired: [42002, 'refresh_token expired'],
  codeExpired: [42003, 'code expired'],
  dailyQuota: [45009, 'reach max api daily quota limit'],
  minuteQuota: [45011, 'api minute-quota reach limit  mustslower  retry next minute'],
  dataFormat: [47001, 'data format error'],
  requirePost: [43002, 'require POST method'],
  unauthorized: [48001, 'api unauthorized'],
  invalidExpireTime: [85401, 'time limit between 1min and 1year'],
  invalidInterval: [85402, 'invalid expire interval'],
  invalidSignature: [87009, 'invalid signature'],
} as const satisfies Record<string, readonly [number, string]>;

export type WechatErrorName = keyof typeof WECHAT_ERRORS;

export class WechatApiError extends Error {
  override readonly name = 'WechatApiError';
  readonly errcode: number;
  readonly errmsg: string;

  constructor(which: WechatErrorName | readonly [number, string], detail?: string) {
    const [errcode, errmsg] = typeof which === 'string' ? WECHAT_ERRORS[which] : which;
    const text = detail === undefined ? errmsg : `${errmsg} ${detail}`;
    super(`${errcode} ${text}`);
    this.errcode = errcode;
    this.errmsg = text;
  }

  /** The body WeChat sends, with a fresh request id. */
  toBody(): { errcode: number; errmsg: string } {
    return { errcode: this.errcode, errmsg: `${this.errmsg}, rid: ${newRid()}` };
  }
}

/** The errmsg text for a bare errcode (fault injection names only the number). */
export function errmsgFor(errcode: number): string {
  for (const [code, message] of Object.values(WECHAT_ERRORS)) if (code === errcode) return message;
  return 'sandbox injected error';
}

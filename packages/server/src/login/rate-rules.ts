/**
 * Rate limits of the browser logins. What they protect: WeChat quota (every S1 ticket is a
 * `qrcode/create`, every S3 ticket a `getwxacodeunlimit`; both have daily quotas per app), shared
 * state filled by anonymous clients (S2/S4 state handles), SMS/email costs (binding codes) and the
 * CPU of checking forged WeChat callbacks. Per IP stops one client; per appid caps what all
 * clients together can spend of one app's quota.
 */
import type { RateRule } from '../http/rate-limit.ts';

const MINUTE = 60_000;

export const QR_TICKET_PER_IP: RateRule = { name: 'login-qr-ip', limit: 30, windowMs: MINUTE };
export const QR_TICKET_PER_APPID: RateRule = { name: 'login-qr-appid', limit: 3000, windowMs: MINUTE };
export const REDIRECT_START_PER_IP: RateRule = { name: 'login-start-ip', limit: 60, windowMs: MINUTE };
export const CODE_SEND_PER_IP: RateRule = { name: 'login-code-ip', limit: 10, windowMs: 10 * MINUTE };
/** Callbacks whose signature fails: a flood of forgeries from one address is cut off early. */
export const CALLBACK_FORGED_PER_IP: RateRule = { name: 'wechat-callback-forged-ip', limit: 20, windowMs: MINUTE };
/** Callbacks that lead to WeChat calls (user/info) for one official account. */
export const CALLBACK_PER_APPID: RateRule = { name: 'wechat-callback-appid', limit: 6000, windowMs: MINUTE };

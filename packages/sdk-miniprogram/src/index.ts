/**
 * @weunion/sdk-miniprogram — weunion inside a WeChat mini program, against the `wx` API only.
 * See README.md for a complete page.
 */
export {
  type AccountCandidate,
  type AddedPhone,
  type BindAccount,
  type BindingCodeTarget,
  createWeunion,
  type LoginResult,
  type SelectAccount,
  type SignedIn,
  type Weunion,
  type WeunionOptions,
} from './client.ts';
export { WeunionError, type WeunionErrorCode } from './errors.ts';
export { type WxCompatible, wxFromTaro, wxFromUni } from './frameworks.ts';
export { type ConfirmedTicket, type PhoneRequest, type ScannedTicket, ticketFromLaunchOptions } from './tickets.ts';
export type { IdClaims } from './tokens.ts';
export type { LaunchOptions, PhoneNumberEvent, Wx, WxFail, WxLoginSuccess, WxRequestOptions, WxRequestSuccess } from './wx.ts';

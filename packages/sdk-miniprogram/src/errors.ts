/**
 * The one error the mini program SDK throws, with a literal `code` so `switch (error.code)` narrows.
 * Kept apart as callers handle them differently:
 * - weunion said no: the RFC 9457 problem's `code` (`wechat_code_invalid`, `phone_required`,
 *   `wechat_high_risk_user`, `rate_limited`, `login_refused`…) and HTTP `status`;
 * - the person said no: `phone_denied` (the getPhoneNumber button was refused or failed);
 * - WeChat's client failed: `wx_login_failed` (wx.login), `network_error` (wx.request, status 0);
 * - weunion answered something this SDK does not understand: `invalid_response`;
 * - the SDK has nothing to work with: `not_logged_in`, `no_ticket`.
 */

export type WeunionErrorCode =
  | 'network_error'
  | 'invalid_response'
  | 'wx_login_failed'
  | 'phone_denied'
  | 'not_logged_in'
  | 'no_ticket'
  | 'invalid_options'
  | 'wechat_code_invalid'
  | 'wechat_high_risk_user'
  | 'wechat_rate_limited'
  | 'wechat_quota_exceeded'
  | 'phone_required'
  | 'login_refused'
  | 'login_expired'
  | 'binding_failed'
  | 'binding_locked'
  | 'verification_failed'
  | 'verification_attempts_exceeded'
  | 'token_invalid'
  | 'refresh_token_reused'
  | 'rate_limited'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'forbidden'
  | 'validation_failed'
  | (string & {});

export class WeunionError extends Error {
  override readonly name = 'WeunionError';
  readonly code: WeunionErrorCode;
  /** HTTP status of weunion's answer (0: no answer, or not an HTTP failure). */
  readonly status: number;
  /** Extra fields of the problem document (`reason` of `login_refused`, `state` of a ticket…). */
  readonly details: Record<string, unknown>;

  constructor(code: WeunionErrorCode, message: string, status = 0, details: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

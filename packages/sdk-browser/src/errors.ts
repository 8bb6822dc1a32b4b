/**
 * The one error the browser SDK throws, with a literal `code` so a `switch (error.code)` narrows.
 * Three kinds, kept apart as callers handle them differently:
 * - weunion said no: its RFC 9457 problem `code` (`not_found`, `rate_limited`, `gone`…) and `status`;
 * - the network failed (`network_error`, status 0) — worth retrying;
 * - weunion answered something this SDK does not understand (`invalid_response`) — a version mismatch
 *   or a proxy in the way.
 * OIDC redirect failures use the protocol's codes (`access_denied`, `invalid_grant`…) or
 * `state_mismatch` when the callback does not belong to a login this browser started.
 */

export type WeunionErrorCode =
  | 'network_error'
  | 'invalid_response'
  | 'state_mismatch'
  | 'not_found'
  | 'unauthorized'
  | 'validation_failed'
  | 'rate_limited'
  | 'conflict'
  | 'gone'
  | 'access_denied'
  | 'invalid_grant'
  | (string & {});

export class WeunionError extends Error {
  override readonly name = 'WeunionError';
  readonly code: WeunionErrorCode;
  /** HTTP status of the answer (0: no answer, or not an HTTP failure). */
  readonly status: number;

  constructor(code: WeunionErrorCode, message: string, status = 0, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = status;
  }
}

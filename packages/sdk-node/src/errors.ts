/**
 * The SDK's errors, each with a literal `code` so a `switch (error.code)` narrows:
 * - `WeunionTokenError`: a token was refused (or could not be checked: `jwks_unavailable`);
 * - `WeunionApiError`: the management API said no (its RFC 9457 problem `code`, `status`, `detail`),
 *   the network failed (`network_error`), or it answered something that is not what it documents
 *   (`invalid_response`).
 */

export type TokenErrorCode =
  | 'token_expired'
  | 'token_invalid'
  | 'signature_invalid'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'claims_invalid'
  | 'insufficient_scope'
  | 'jwks_unavailable'
  /** Introspection: the token is unknown, expired, revoked, or not this client's (RFC 7662 `active: false`). */
  | 'token_inactive'
  /** Introspection could not be done (network, weunion's answer, or this client's credentials were refused). */
  | 'introspection_unavailable';

export class WeunionTokenError extends Error {
  override readonly name = 'WeunionTokenError';
  readonly code: TokenErrorCode;

  constructor(code: TokenErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A problem code weunion documents, or any other string a newer server may send. */
export type ApiErrorCode =
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'internal'
  | 'network_error'
  | 'invalid_response'
  | (string & {});

export class WeunionApiError extends Error {
  override readonly name = 'WeunionApiError';
  readonly code: ApiErrorCode;
  /** HTTP status (0 when no answer arrived). */
  readonly status: number;
  /** The problem document's `detail`, when the server sent one. */
  readonly detail: string | undefined;
  /** The whole problem document (RFC 9457), for fields such as `errors`. */
  readonly problem: Readonly<Record<string, unknown>>;

  constructor(
    input: { code: ApiErrorCode; status: number; message: string; detail?: string; problem?: Record<string, unknown> },
    options?: { cause?: unknown },
  ) {
    super(input.message, options);
    this.code = input.code;
    this.status = input.status;
    this.detail = input.detail;
    this.problem = input.problem ?? {};
  }
}

export type WebhookErrorCode =
  /** `webhook-id`, `webhook-timestamp` or `webhook-signature` is missing. */
  | 'webhook_headers_missing'
  /** `webhook-timestamp` is not a number of seconds, or too far from now (replay protection). */
  | 'webhook_timestamp_invalid'
  /** No signature in `webhook-signature` matches any of the secrets given. */
  | 'webhook_signature_invalid'
  /** The signed body is not the JSON event weunion sends. */
  | 'webhook_payload_invalid';

/** A webhook delivery that must not be trusted: answer it with a 4xx and do not act on it. */
export class WeunionWebhookError extends Error {
  override readonly name = 'WeunionWebhookError';
  readonly code: WebhookErrorCode;

  constructor(code: WebhookErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

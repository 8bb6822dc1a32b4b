/**
 * The one weunion error type.
 *
 * Every failure a caller can act on is an `AppError` with a literal `code` from the registry
 * below, so `switch (err.code)` narrows it, SDKs can switch on the same strings, and the HTTP
 * layer turns it into an RFC 9457 problem document without guessing. `expose` says whether the
 * message is safe to show to the end user; when it is not, clients get the registry's title only.
 */

interface ErrorSpec {
  /** HTTP status used when this error reaches a client. */
  readonly status: number;
  /** Short, stable, human summary (RFC 9457 `title`). */
  readonly title: string;
  /** Whether the instance's message may be shown to the client. */
  readonly expose: boolean;
}

const spec = (status: number, title: string, expose = true): ErrorSpec => ({ status, title, expose });

/** The registry of every error code weunion emits. Add new codes here, nowhere else. */
export const errorRegistry = {
  // Generic request problems
  bad_request: spec(400, 'The request is not valid'),
  validation_failed: spec(400, 'A field of the request is not valid'),
  unauthorized: spec(401, 'Authentication is required'),
  forbidden: spec(403, 'This action is not allowed'),
  not_found: spec(404, 'Not found'),
  method_not_allowed: spec(405, 'Method not allowed'),
  conflict: spec(409, 'The request conflicts with the current state'),
  gone: spec(410, 'This no longer exists or has expired'),
  payload_too_large: spec(413, 'The request body is too large'),
  unsupported_media_type: spec(415, 'Unsupported content type'),
  rate_limited: spec(429, 'Too many requests; try again later'),
  internal: spec(500, 'Internal server error', false),
  unavailable: spec(503, 'The service is temporarily unavailable'),

  // Configuration and start-up
  config_invalid: spec(500, 'The configuration is not valid'),
  storage_unreachable: spec(503, 'Storage is not reachable'),

  // Identity core
  login_refused: spec(403, 'This WeChat login cannot sign in'),
  agreement_required: spec(400, 'Agree to the user agreement and privacy policy before logging in'),
  login_expired: spec(410, 'This sign-in has expired or was already completed; please sign in again'),
  binding_failed: spec(400, 'The existing account could not be verified'),
  verification_failed: spec(400, 'The verification code is wrong or has expired'),
  verification_attempts_exceeded: spec(429, 'Too many wrong attempts; request a new code'),
  binding_locked: spec(429, 'Too many failed attempts to link an account; try again later'),
  merge_refused: spec(409, 'These accounts cannot be merged'),
  merge_conflict: spec(409, 'Merging would put two WeChat accounts of the same app into one account'),
  binding_conflict: spec(409, 'That account is already linked to a different WeChat account of this app'),
  unmerge_refused: spec(409, 'This merge cannot be undone'),
  identity_conflict: spec(409, 'This identity is already linked to another account'),

  // Admin console (issue #9)
  console_login_failed: spec(401, 'The username or password is wrong'),
  totp_required: spec(401, 'Enter the code from your authenticator app'),
  totp_invalid: spec(401, 'The authenticator code is wrong or was already used'),
  csrf_failed: spec(403, 'This request did not come from the console; reload the page and try again'),

  // Browser login (S1–S4)
  login_state_mismatch: spec(403, 'This sign-in was started in another browser; please start again here'),
  wechat_snapshot_user: spec(403, 'This page was opened in WeChat preview mode; open it in WeChat itself to sign in'),

  // App logins (S3, S5–S7) and the tokens they end in
  phone_required: spec(400, 'This app needs a phone number to sign in; share one and try again'),
  token_invalid: spec(401, 'The token is not valid, has expired or was revoked'),
  refresh_token_reused: spec(401, 'This refresh token was already used; the session was ended for safety'),

  // SMS and email delivery (messaging/): what a provider said, translated in one place per provider
  message_provider_missing: spec(503, 'No SMS or email provider is configured for this'),
  message_credentials_invalid: spec(502, 'The SMS/email provider refused our credentials or signature', false),
  message_destination_invalid: spec(400, 'This phone number or email address cannot receive messages'),
  message_rate_limited: spec(429, 'Too many messages to this destination; try again later'),
  message_rejected: spec(502, 'The SMS/email provider refused the message'),
  message_timeout: spec(504, 'The SMS/email provider did not answer in time; the message may still arrive'),
  message_unreachable: spec(504, 'The SMS/email provider could not be reached'),
  phone_country_not_allowed: spec(400, 'Phone numbers of this country or region are not accepted here'),

  // WeChat, as seen by weunion (translated from errcodes in one place: @weunion/wechat)
  wechat_code_invalid: spec(400, 'The WeChat login has expired or was already used; please try again'),
  wechat_code_missing: spec(400, 'The WeChat login code is missing'),
  wechat_refresh_token_invalid: spec(401, 'The WeChat authorization has expired; please authorize again'),
  wechat_access_token_invalid: spec(502, 'WeChat refused the access token', false),
  wechat_credentials_invalid: spec(502, 'The WeChat app ID or secret is not valid', false),
  wechat_ip_not_allowed: spec(502, 'This server is not on the WeChat IP whitelist', false),
  wechat_high_risk_user: spec(403, 'WeChat has blocked this login for security reasons'),
  wechat_quota_exceeded: spec(503, 'The WeChat daily quota has been reached; try again tomorrow'),
  wechat_rate_limited: spec(429, 'WeChat is limiting requests; try again in a minute'),
  wechat_scope_unauthorized: spec(403, 'The person did not grant this WeChat permission'),
  wechat_busy: spec(503, 'WeChat is busy; try again shortly'),
  wechat_invalid_argument: spec(400, 'WeChat rejected a parameter of the request'),
  wechat_signature_invalid: spec(401, 'The WeChat signature does not match'),
  wechat_decrypt_failed: spec(400, 'The WeChat encrypted data could not be decrypted'),
  wechat_error: spec(502, 'WeChat returned an error', false),
  wechat_unreachable: spec(504, 'WeChat could not be reached', false),
  wechat_bad_response: spec(502, 'WeChat answered with something unexpected', false),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorRegistry;

export interface AppErrorOptions {
  /** Override the registry's status (rarely needed). */
  status?: number;
  /** Extra, safe-to-show fields merged into the problem document (e.g. `{ field: 'PORT' }`). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly expose: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, options: AppErrorOptions = {}) {
    const entry = errorRegistry[code];
    super(message ?? entry.title, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? entry.status;
    this.expose = entry.expose;
    this.details = options.details;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** RFC 9457 problem details, as weunion sends them. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail?: string;
  instance?: string;
  requestId?: string;
  [extension: string]: unknown;
}

export const PROBLEM_TYPE_BASE = 'https://weunion.dev/problems/';

/**
 * The problem document for any thrown value. Unknown errors become a generic 500 that reveals
 * nothing but the request id; the caller is expected to log the original with its stack.
 */
export function toProblem(error: unknown, requestId?: string): ProblemDocument {
  const appError = isAppError(error) ? error : new AppError('internal');
  const entry = errorRegistry[appError.code];
  const problem: ProblemDocument = {
    ...(appError.expose ? appError.details : undefined),
    type: `${PROBLEM_TYPE_BASE}${appError.code}`,
    title: entry.title,
    status: appError.status,
    code: appError.code,
  };
  if (appError.expose && appError.message !== entry.title) problem.detail = appError.message;
  if (requestId !== undefined) problem.requestId = requestId;
  return problem;
}

/**
 * The shape of every durable table, as Kysely sees it. Portable conventions, the same on SQLite
 * and PostgreSQL: ids are text, times are integer milliseconds since the epoch (`bigint`),
 * booleans are integers 0/1, structured values are JSON text.
 */
import type { Generated } from 'kysely';

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: number;
}

export type UserStatus = 'active' | 'blocked' | 'merged' | 'deleted';

export interface UsersTable {
  id: string;
  status: UserStatus;
  name: string | null;
  nickname: string | null;
  picture: string | null;
  gender: string | null;
  locale: string | null;
  phone_number: string | null;
  phone_number_verified: number;
  email: string | null;
  email_verified: number;
  /** Set while the user is merged into another (status `merged`). */
  merged_into: string | null;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
}

/** One row per (appid, openid): what WeChat told us about one person in one app. */
export interface WechatIdentitiesTable {
  id: string;
  user_id: string;
  appid: string;
  app_type: string;
  open_platform_id: string | null;
  openid: string;
  unionid: string | null;
  first_seen_at: number;
  last_seen_at: number;
  /** A phone WeChat verified for this identity (E.164), kept even when another account holds it. */
  phone: string | null;
  phone_verified_at: number | null;
  /** The last raw WeChat profile, JSON. */
  last_profile: string | null;
}

export interface UnionidOwnersTable {
  open_platform_id: string;
  unionid: string;
  user_id: string;
  created_at: number;
}

export type IdentifierKind = 'phone' | 'email';

export interface UserIdentifiersTable {
  id: string;
  user_id: string;
  kind: IdentifierKind;
  /** Normalized: E.164 phone, lower-case email. */
  value: string;
  verified_at: number;
  /** WeChat showed the number in another WeChat person's hands since (migration 0027): no field matching to it. */
  disputed_at: number | null;
}

export interface PasswordCredentialsTable {
  user_id: string;
  hash: string;
  created_at: number;
  updated_at: number;
}

/** `admin` is a person signed in to the console; `admin_key` an API key. */
export type ActorKind = 'user' | 'admin_key' | 'admin' | 'system';

export interface AuditLogTable {
  id: string;
  at: number;
  actor_kind: ActorKind;
  actor_id: string | null;
  /** The admin's username or the admin key's name at the time; null for users and the system. */
  actor_name: string | null;
  action: string;
  subject_id: string | null;
  /** JSON */
  before: string | null;
  /** JSON */
  after: string | null;
}

export interface MergeRecordsTable {
  id: string;
  target_user_id: string;
  source_user_id: string;
  /** JSON: the source user's row and everything moved from it, for an exact undo. */
  source_snapshot: string;
  /** `merge`: the whole source account; `move`: one WeChat person's identities (a person's account choice). */
  kind: Generated<MergeKind>;
  actor_kind: ActorKind;
  actor_id: string | null;
  created_at: number;
  undone_at: number | null;
}

export type MergeKind = 'merge' | 'move';

export type MergeSuggestionStatus = 'open' | 'merged' | 'dismissed';

export interface MergeSuggestionsTable {
  id: string;
  user_id: string;
  other_user_id: string;
  reason: string;
  open_platform_id: string | null;
  unionid: string | null;
  appid: string | null;
  openid: string | null;
  status: MergeSuggestionStatus;
  created_at: number;
  resolved_at: number | null;
}

export interface ConnectionsTable {
  id: string;
  name: string;
  app_type: string;
  appid: string;
  open_platform_id: string | null;
  original_id: string | null;
  /** Sealed with the master key (SecretBox); never returned by the API. */
  secret_sealed: string | null;
  token_sealed: string | null;
  encoding_aes_key_sealed: string | null;
  /** JSON array of scenario names. */
  scenarios: string;
  /** JSON policy. */
  policy: string;
  /** JSON scenario settings (see connections/schema.ts `connectionSettingsSchema`). */
  settings: string;
  /** When the first unionid arrived while the connection named no Open Platform account (bound in WeChat only). */
  unionid_seen_at: number | null;
  /** The Open Platform account such a unionid is already known under (through another connection). */
  detected_open_platform_id: string | null;
  /** Who declared it: `api`, `config` (config file) or `sandbox` (demo seed). */
  source: string;
  created_at: number;
  updated_at: number;
}

export interface AdminKeysTable {
  id: string;
  name: string;
  /** SHA-256 of the key, hex: keys are 32 random bytes, so a slow hash adds nothing. */
  key_hash: string;
  /** The first characters of the key, to tell keys apart in listings. */
  key_prefix: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  /** Null: a full key. A JSON array of connection ids: a token reader limited to their tokens (0019). */
  token_connections: string | null;
}

/** Token-broker reads per admin key (or console admin) and connection (0019). */
export interface TokenReadsTable {
  /** The admin key's id, or `admin:<id>` for a console session. */
  key_id: string;
  connection_id: string;
  count: number;
  last_read_at: number;
}

/** A person who signs in to the admin console (issue #9). */
export interface AdminAccountsTable {
  /** `adm_…` */
  id: string;
  /** Lower-case, 3–64 of [a-z0-9._-]. */
  username: string;
  display_name: string | null;
  /** scrypt hash (identity/password.ts). */
  password_hash: string;
  /** The TOTP secret sealed with the master key (SecretBox); null when TOTP is off. */
  totp_secret_sealed: string | null;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
  disabled_at: number | null;
}

/** The latest mini program `session_key` per (appid, openid), sealed; never leaves the server. */
export interface MiniProgramSessionsTable {
  appid: string;
  openid: string;
  session_key_sealed: string;
  /** The key the latest one replaced: data encrypted just before a new `wx.login` is under it. */
  previous_session_key_sealed: string | null;
  updated_at: number;
}

/** Opaque refresh tokens (S5–S7), by hash, in one family per sign-in; rotated on every use. */
export interface RefreshTokensTable {
  id: string;
  /** SHA-256 of the token, base64url: tokens are 32 random bytes, so a slow hash adds nothing. */
  token_hash: string;
  family_id: string;
  user_id: string;
  /** The connection id the app signed in through (the OIDC client id). */
  client_id: string;
  scope: string;
  /** JSON array of authentication methods (scenario ids). */
  amr: string;
  auth_time: number;
  created_at: number;
  expires_at: number;
  /** Set when the token was exchanged for its successor; a second use revokes the family. */
  used_at: number | null;
  revoked_at: number | null;
}

export type LoginStatMetric = 'login' | 'new_user' | 'failure';

/** Hourly login counters (stats/login-stats.ts); absent dimensions are ''. */
export interface LoginStatsTable {
  /** The UTC hour the counted events fell in, ms. */
  hour_start: number;
  metric: LoginStatMetric;
  scenario: string;
  appid: string;
  /** The application the login was for (its client id), or ''. */
  client_id: string;
  /** For failures: the problem `code` the person got. */
  reason: string;
  count: number;
}

export interface WebhookEndpointsTable {
  id: string;
  url: string;
  description: string;
  /** JSON array of event types. */
  events: string;
  enabled: number;
  /** Sealed with the master key: the `whsec_…` secret deliveries are signed with. */
  secret: string;
  /** Sealed: the secret before the last rotation, still signed with until `previous_secret_expires_at`. */
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
  /** When the current run of failed attempts began; null after a success. */
  failing_since: number | null;
  disabled_at: number | null;
  /** Why weunion disabled the endpoint (persistent failure); null when an admin did, or it is enabled. */
  disabled_reason: string | null;
  created_at: number;
  updated_at: number;
}

/** The outbox: one row per identity event, written in the transaction of the change. */
export interface WebhookEventsTable {
  seq: Generated<number>;
  /** `msg_…`: the `webhook-id` header, the same on every attempt and replay. */
  id: string;
  type: string;
  /** The person the event is about (events are sent in order per person); null for a test ping. */
  subject_id: string | null;
  /** JSON: the exact body sent. */
  payload: string;
  created_at: number;
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveriesTable {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_seq: number;
  /** The person (or the event itself): a later delivery with the same key waits for earlier ones. */
  ordering_key: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  /** Which instance is sending it (a random id per deliverer) and until when; expired: anyone may. */
  lease_owner: string | null;
  lease_until: number | null;
  created_at: number;
  last_attempt_at: number | null;
  delivered_at: number | null;
}

export interface WebhookAttemptsTable {
  id: string;
  delivery_id: string;
  endpoint_id: string;
  event_id: string;
  at: number;
  ok: number;
  status_code: number | null;
  error: string | null;
  /** The start of the response body (capped). */
  response_excerpt: string | null;
  duration_ms: number;
}

export type LoginOutcome = 'succeeded' | 'failed';

/** One end-user login or failure (login/history.ts, 0024); absent facts are null. */
export interface LoginEventsTable {
  /** `lge_…`, time-ordered. */
  id: string;
  at: number;
  outcome: LoginOutcome;
  user_id: string | null;
  scenario: string | null;
  appid: string | null;
  /** The application (OIDC client id) the login was for. */
  client_id: string | null;
  /** For failures: the problem `code` (and its `reason` detail, `code:reason`). */
  reason: string | null;
  ip: string | null;
  user_agent: string | null;
}

/** A console admin's TOTP recovery codes, hashed; each used once (0024). */
export interface AdminRecoveryCodesTable {
  admin_id: string;
  /** SHA-256 of the normalized code, hex. */
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

/** The id a person had in the system they were imported from (0021). */
export interface UserExternalIdsTable {
  /** `authing`, or the source a generic import names. */
  source: string;
  external_id: string;
  user_id: string;
  /** The source's custom data, JSON, kept as it was; never released in tokens. */
  data: string | null;
  created_at: number;
}

export type ImportRunStatus = 'running' | 'stopped' | 'done';

/** One import and its checkpoint (0021). */
export interface ImportRunsTable {
  id: string;
  /** `authing` or `people`. */
  kind: string;
  input_hash: string;
  status: ImportRunStatus;
  /** The index of the next record to import: written in the transaction of each batch. */
  next_index: number;
  total: number;
  /** JSON: the report so far (import/engine.ts `ImportReport`). */
  report: string;
  actor: string | null;
  created_at: number;
  updated_at: number;
}

export interface Tables {
  settings: SettingsTable;
  users: UsersTable;
  wechat_identities: WechatIdentitiesTable;
  unionid_owners: UnionidOwnersTable;
  user_identifiers: UserIdentifiersTable;
  password_credentials: PasswordCredentialsTable;
  audit_log: AuditLogTable;
  merge_records: MergeRecordsTable;
  merge_suggestions: MergeSuggestionsTable;
  connections: ConnectionsTable;
  admin_keys: AdminKeysTable;
  admin_accounts: AdminAccountsTable;
  mini_program_sessions: MiniProgramSessionsTable;
  refresh_tokens: RefreshTokensTable;
  login_stats: LoginStatsTable;
  token_reads: TokenReadsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  login_events: LoginEventsTable;
  admin_recovery_codes: AdminRecoveryCodesTable;
  user_external_ids: UserExternalIdsTable;
  import_runs: ImportRunsTable;
}

/**
 * What the management API answers with, as schemas. The server documents its responses with them
 * in the OpenAPI document (and `defineRoute` requires each handler to return its response schema's
 * type); the console and the Node SDK parse what the server sends with the same ones.
 */
import { z } from 'zod';
import { connectionSettingsSchema, identityPolicySchema, SETUP_KEYS_DESCRIPTION } from './connection.ts';
import { SCENARIO_IDS, USER_STATUSES, WEBHOOK_EVENT_TYPES, WECHAT_APP_TYPES } from './vocabulary.ts';

const time = z.number().int().describe('Milliseconds since the epoch.');

/** Who did something: an admin (console), an admin key (API), the system, or the user. */
export const actorView = z.object({
  kind: z.string().describe('`admin` (console), `admin_key`, `user` or `system`.'),
  id: z.string().nullable(),
  name: z.string().nullable().describe("The admin's username (console) or the admin key's name; null for users and the system."),
});

export const userView = z.object({
  id: z.string(),
  status: z.enum(USER_STATUSES),
  name: z.string().nullable(),
  nickname: z.string().nullable(),
  picture: z.string().nullable(),
  gender: z.string().nullable(),
  locale: z.string().nullable(),
  phoneNumber: z.string().nullable(),
  phoneNumberVerified: z.boolean(),
  email: z.string().nullable(),
  emailVerified: z.boolean(),
  mergedInto: z.string().nullable(),
  createdAt: time,
  updatedAt: time,
  lastLoginAt: time.nullable(),
});

export const wechatIdentityView = z.object({
  id: z.string(),
  userId: z.string(),
  appid: z.string(),
  appType: z.string(),
  openPlatformId: z.string().nullable(),
  openid: z.string(),
  unionid: z.string().nullable(),
  firstSeenAt: time,
  lastSeenAt: time,
  lastProfile: z.unknown().describe('The last raw WeChat profile, as WeChat sent it.'),
});

export const identifierView = z.object({ kind: z.enum(['phone', 'email']), value: z.string(), verifiedAt: time });

export const userDetailView = userView.extend({
  identities: z.array(wechatIdentityView),
  identifiers: z.array(identifierView),
  hasPassword: z.boolean(),
});

export const mergePreviewView = z.object({
  target: userDetailView,
  source: userDetailView,
  result: z
    .object({
      identitiesMoving: z.array(wechatIdentityView).describe("The source's WeChat identities, as they would be on the target."),
      identifiersMoving: userDetailView.shape.identifiers.describe("The source's verified identifiers that would move to the target."),
      profile: z
        .array(z.object({ field: z.string(), target: z.unknown(), source: z.unknown(), result: z.unknown() }))
        .describe("Each profile field: the target's value, the source's, and the target's after the merge."),
    })
    .describe('What the merge would do (nothing moves when it is refused).'),
  allowed: z.boolean(),
  refusal: z
    .object({ code: z.string(), detail: z.string() })
    .nullable()
    .describe('Why the merge would be refused: the problem `code` and `detail` the merge itself would answer with.'),
  conflicts: z
    .array(
      z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('appid'), appid: z.string(), targetOpenid: z.string(), sourceOpenid: z.string() }),
        z.object({
          kind: z.literal('open_platform'),
          openPlatformId: z.string(),
          targetUnionid: z.string(),
          sourceUnionid: z.string(),
        }),
      ]),
    )
    .describe(
      'What the merge would put into the target twice: two openids of one app, or two unionids of one Open Platform account (two WeChat people in one account). When not empty, the merge needs `allowConflicts: true`.',
    ),
});

export const userPage = z.object({ users: z.array(userView), nextCursor: z.string().nullable() });

export const mergeResultView = z.object({
  mergeId: z.string(),
  kind: z
    .enum(['merge', 'move'])
    .describe("`merge`: the whole source account; `move`: one WeChat person's identities only (a person's own account choice)."),
  targetUserId: z.string(),
  sourceUserId: z.string(),
  moved: z.object({ identities: z.number().int(), unionids: z.number().int(), identifiers: z.number().int() }),
});

export const mergeView = z.object({
  id: z.string(),
  kind: z.enum(['merge', 'move']),
  targetUserId: z.string(),
  sourceUserId: z.string(),
  actor: actorView,
  createdAt: time,
  undoneAt: time.nullable(),
});
export const mergePage = z.object({ merges: z.array(mergeView), nextCursor: z.string().nullable() });

export const mergeSuggestionView = z.object({
  id: z.string(),
  userId: z.string(),
  otherUserId: z.string(),
  reason: z.string(),
  openPlatformId: z.string().nullable(),
  unionid: z.string().nullable(),
  appid: z.string().nullable(),
  openid: z.string().nullable(),
  status: z.string(),
  createdAt: time,
  resolvedAt: time.nullable(),
});
export const mergeSuggestionPage = z.object({ suggestions: z.array(mergeSuggestionView), nextCursor: z.string().nullable() });

export const auditEntryView = z.object({
  id: z.string(),
  at: time,
  actor: actorView,
  action: z.string(),
  subjectId: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
});
export const auditPage = z.object({ entries: z.array(auditEntryView), nextCursor: z.string().nullable() });

export const loginEventView = z.object({
  id: z.string(),
  at: time,
  outcome: z.enum(['succeeded', 'failed']),
  userId: z.string().nullable().describe('The person, when known (failures before identity decided have none).'),
  scenario: z.string().nullable().describe('The login scenario (`s1`–`s7`).'),
  appid: z.string().nullable().describe('The WeChat app (appid) the person came through.'),
  clientId: z.string().nullable().describe('The application (OIDC client id) the login was for.'),
  reason: z.string().nullable().describe('For failures: the problem code, or `code:reason` (e.g. `login_refused:blocked`).'),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
});
export const loginEventPage = z.object({ events: z.array(loginEventView), nextCursor: z.string().nullable() });

export const connectionView = z.object({
  id: z.string(),
  name: z.string(),
  appType: z.enum(WECHAT_APP_TYPES),
  appid: z.string(),
  openPlatformId: z.string().nullable(),
  originalId: z.string().nullable(),
  scenarios: z.array(z.enum(SCENARIO_IDS)),
  policy: identityPolicySchema,
  settings: connectionSettingsSchema,
  source: z.enum(['api', 'config', 'sandbox']),
  secretSet: z.boolean(),
  tokenSet: z.boolean(),
  encodingAesKeySet: z.boolean(),
  setup: z.array(z.object({ key: z.string(), value: z.string() })).describe(SETUP_KEYS_DESCRIPTION),
  createdAt: time,
  updatedAt: time,
  unboundUnionid: z
    .object({
      firstSeenAt: time,
      detectedOpenPlatformId: z
        .string()
        .nullable()
        .describe('The Open Platform account one of those unionids is already known under (through another connection), if any.'),
    })
    .nullable()
    .describe(
      'WeChat sent unionids through this app while the connection names no Open Platform account: the app was bound in WeChat only, and every person since is split until `openPlatformId` is set (which reconciles them).',
    ),
});

export const credentialCheckView = z.object({
  ok: z.boolean().describe('Whether WeChat accepted the AppID and AppSecret.'),
  method: z.enum(['stable_token', 'oauth_probe']),
  errcode: z.number().int().nullable().describe("WeChat's errcode (null when a token was issued or WeChat gave no answer)."),
  errmsg: z.string().nullable(),
  explanation: z.string().describe('What the answer means and what to do, in a sentence.'),
  checkedAt: time,
});

const series = z.array(z.number().int()).describe('One number per bucket, aligned with `buckets`.');
export const loginStatsView = z.object({
  bucket: z.enum(['day', 'hour']),
  buckets: z.array(time).describe('Bucket starts, ascending, every bucket present.'),
  logins: z.object({
    total: series,
    byScenario: z.record(z.string(), series).describe('By scenario (s1–s7).'),
    byApp: z.record(z.string(), series).describe('By WeChat appid.'),
    byApplication: z.record(z.string(), series).describe('By application client id (logins started for an application).'),
  }),
  newUsers: series.describe('Sign-ins that created a user.'),
  failures: z.object({
    total: series,
    byReason: z.record(z.string(), series).describe('By the problem `code` the person got (e.g. `wechat_code_invalid`, `login_expired`).'),
  }),
});

export const adminKeyView = z.object({
  id: z.string(),
  name: z.string(),
  keyPrefix: z.string(),
  createdAt: time,
  lastUsedAt: time.nullable(),
  revokedAt: time.nullable(),
  scope: z
    .enum(['full', 'tokens:read'])
    .describe('`full`: every management route. `tokens:read`: only the token broker, for `connections`.'),
  connections: z.array(z.string()).nullable().describe('For a `tokens:read` key, the connections whose tokens it may read.'),
  tokenReads: z
    .array(z.object({ connectionId: z.string(), count: z.number().int(), lastReadAt: time }))
    .describe('Token-broker reads by this key, per connection.'),
});

/** What the token broker hands an app backend: the token weunion itself uses, never the AppSecret. */
export const brokeredAccessToken = z.object({
  access_token: z.string(),
  expires_in: z.number().int().describe('Seconds this token may still be used (a little less than WeChat says, as weunion does).'),
});

export const brokeredJsapiTicket = z.object({
  ticket: z.string(),
  expires_in: z.number().int().describe('Seconds this ticket may still be used.'),
});

export const webhookEndpointView = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).describe('The event types sent to this endpoint.'),
  enabled: z.boolean(),
  failingSince: time.nullable().describe('When the current run of failed attempts began; null after a success.'),
  disabledAt: time.nullable(),
  disabledReason: z
    .string()
    .nullable()
    .describe('Set when weunion disabled the endpoint after persistent failure (the console shows an alert); enabling clears it.'),
  previousSecretExpiresAt: time.nullable().describe('While a rotation overlaps: until when the previous secret also signs.'),
  deliveries: z.object({ pending: z.number().int(), failed: z.number().int(), delivered: z.number().int() }),
  createdAt: time,
  updatedAt: time,
});

export const webhookEndpointWithSecret = z.object({
  endpoint: webhookEndpointView,
  secret: z.string().describe('The signing secret (`whsec_…`), shown only in this response.'),
});

export const webhookAttemptView = z.object({
  id: z.string(),
  deliveryId: z.string(),
  at: time,
  ok: z.boolean(),
  statusCode: z.number().int().nullable().describe('The HTTP status the endpoint answered; null when it did not answer.'),
  error: z.string().nullable(),
  responseExcerpt: z.string().nullable().describe('The start of the response body (at most 500 characters).'),
  durationMs: z.number().int(),
});

export const webhookDeliveryView = z.object({
  id: z.string(),
  endpointId: z.string(),
  eventId: z.string().describe('The `webhook-id` header: the same on every attempt and replay.'),
  eventType: z.string(),
  subjectId: z.string().nullable().describe('The person the event is about.'),
  status: z.enum(['pending', 'delivered', 'failed']).describe('`failed`: given up after the retry window.'),
  attempts: z.number().int(),
  nextAttemptAt: time.nullable(),
  createdAt: time,
  lastAttemptAt: time.nullable(),
  deliveredAt: time.nullable(),
  lastAttempt: webhookAttemptView.nullable(),
});

export const webhookDeliveryPage = z.object({ deliveries: z.array(webhookDeliveryView), nextCursor: z.string().nullable() });

export const webhookEventView = z.object({
  id: z.string(),
  type: z.string(),
  subjectId: z.string().nullable(),
  createdAt: time,
  payload: z.unknown().describe('The body as sent: `{type, timestamp, data}`.'),
  deliveries: z.array(webhookDeliveryView.extend({ attemptLog: z.array(webhookAttemptView) })),
});

export const webhookEventPage = z.object({
  events: z.array(webhookEventView.omit({ deliveries: true })),
  nextCursor: z.string().nullable(),
});

export const noContent = z.void();

const importDetail = z.object({
  key: z.string(),
  position: z.number(),
  kind: z.enum(['skipped', 'conflict']),
  reason: z.string(),
  detail: z.string(),
  userId: z.string().optional(),
  otherUserId: z.string().optional(),
});
const importCounts = z.record(z.string(), z.number());
/** Where an import stands, or what it did (`POST /imports`, `POST /imports/dry-run`, `GET /imports/{id}`). */
export const importReportView = z.object({
  runId: z.string().nullable(),
  kind: z.enum(['authing', 'people']),
  dryRun: z.boolean(),
  status: z.enum(['running', 'stopped', 'done']),
  total: z.number(),
  processed: z.number(),
  created: z.number(),
  joined: z.number(),
  unchanged: z.number(),
  skipped: z.number(),
  conflicts: z.number(),
  identitiesAdded: z.number(),
  unionidsClaimed: z.number(),
  suggestions: z.number(),
  skippedReasons: importCounts,
  conflictReasons: importCounts,
  identitiesLeftOut: importCounts,
  details: z.array(importDetail),
  failure: z.string().optional().describe('Why a run stopped before its end (resume it with the same file).'),
});

/**
 * The management API's answers the console reads (see packages/server/src/management/views.ts and
 * contract §2), as zod schemas: the console parses, never casts, what the server sends.
 */
import { z } from 'zod';

export const userSchema = z.object({
  id: z.string(),
  status: z.enum(['active', 'blocked', 'merged', 'deleted']),
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
  createdAt: z.number(),
  updatedAt: z.number(),
  lastLoginAt: z.number().nullable(),
});
export type User = z.infer<typeof userSchema>;

export const wechatIdentitySchema = z.object({
  id: z.string(),
  userId: z.string(),
  appid: z.string(),
  appType: z.string(),
  openPlatformId: z.string().nullable(),
  openid: z.string(),
  unionid: z.string().nullable(),
  firstSeenAt: z.number(),
  lastSeenAt: z.number(),
});
export type WechatIdentity = z.infer<typeof wechatIdentitySchema>;

export const identifierSchema = z.object({ kind: z.enum(['phone', 'email']), value: z.string(), verifiedAt: z.number() });
export type Identifier = z.infer<typeof identifierSchema>;

export const userDetailSchema = userSchema.extend({
  identities: z.array(wechatIdentitySchema),
  identifiers: z.array(identifierSchema),
  hasPassword: z.boolean(),
});
export type UserDetail = z.infer<typeof userDetailSchema>;

export const userPageSchema = z.object({ users: z.array(userSchema), nextCursor: z.string().nullable() });

/** Who did something: an admin (console), an admin key (API), the system, or the user. */
export const actorSchema = z.object({ kind: z.string(), id: z.string().nullable(), name: z.string().nullable().optional() });
export type Actor = z.infer<typeof actorSchema>;

export const auditEntrySchema = z.object({
  id: z.string(),
  at: z.number(),
  actor: actorSchema,
  action: z.string(),
  subjectId: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;
export const auditPageSchema = z.object({ entries: z.array(auditEntrySchema), nextCursor: z.string().nullable() });

export const mergeSchema = z.object({
  id: z.string(),
  targetUserId: z.string(),
  sourceUserId: z.string(),
  actor: actorSchema,
  createdAt: z.number(),
  undoneAt: z.number().nullable(),
});
export type Merge = z.infer<typeof mergeSchema>;
export const mergePageSchema = z.object({ merges: z.array(mergeSchema), nextCursor: z.string().nullable() });

export const mergeResultSchema = z.object({
  mergeId: z.string(),
  targetUserId: z.string(),
  sourceUserId: z.string(),
  moved: z.object({ identities: z.number(), unionids: z.number(), identifiers: z.number() }),
});

export const mergePreviewSchema = z.object({
  target: userDetailSchema,
  source: userDetailSchema,
  result: z.object({
    identitiesMoving: z.array(wechatIdentitySchema),
    identifiersMoving: z.array(identifierSchema),
    profile: z.array(z.object({ field: z.string(), target: z.unknown(), source: z.unknown(), result: z.unknown() })),
  }),
  allowed: z.boolean(),
  refusal: z.object({ code: z.string(), detail: z.string() }).nullable(),
});
export type MergePreview = z.infer<typeof mergePreviewSchema>;

export const mergeSuggestionSchema = z.object({
  id: z.string(),
  userId: z.string(),
  otherUserId: z.string(),
  reason: z.string(),
  openPlatformId: z.string().nullable(),
  unionid: z.string().nullable(),
  appid: z.string().nullable(),
  openid: z.string().nullable(),
  status: z.string(),
  createdAt: z.number(),
  resolvedAt: z.number().nullable(),
});
export type MergeSuggestion = z.infer<typeof mergeSuggestionSchema>;
export const mergeSuggestionPageSchema = z.object({ suggestions: z.array(mergeSuggestionSchema), nextCursor: z.string().nullable() });

/** The fields of a connection most pages need (the connections pages parse the full view). */
export const connectionSummarySchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  appType: z.string(),
  appid: z.string(),
  scenarios: z.array(z.string()),
});
export type ConnectionSummary = z.infer<typeof connectionSummarySchema>;
export const connectionListSchema = z.object({ connections: z.array(connectionSummarySchema) });

export const loginStatsSchema = z.object({
  bucket: z.enum(['day', 'hour']),
  buckets: z.array(z.number()),
  logins: z.object({
    total: z.array(z.number()),
    byScenario: z.record(z.string(), z.array(z.number())),
    byApp: z.record(z.string(), z.array(z.number())),
    byApplication: z.record(z.string(), z.array(z.number())),
  }),
  newUsers: z.array(z.number()),
  failures: z.object({ total: z.array(z.number()), byReason: z.record(z.string(), z.array(z.number())) }),
});
export type LoginStats = z.infer<typeof loginStatsSchema>;

/**
 * What the management API answers with, as schemas: they document the responses in the OpenAPI
 * document, and `defineRoute` requires each handler to return something of its response schema's
 * type, so the TypeScript compiler keeps the two in step.
 */
import { WECHAT_APP_TYPES } from '@weunion/wechat';
import { z } from 'zod';
import { connectionSettingsSchema, SCENARIO_IDS } from '../connections/schema.ts';
import { identityPolicySchema } from '../identity/policy.ts';

const time = z.number().int().describe('Milliseconds since the epoch.');

export const userView = z.object({
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

export const userDetailView = userView.extend({
  identities: z.array(wechatIdentityView),
  identifiers: z.array(z.object({ kind: z.enum(['phone', 'email']), value: z.string(), verifiedAt: time })),
  hasPassword: z.boolean(),
});

export const userPage = z.object({ users: z.array(userView), nextCursor: z.string().nullable() });

export const mergeResultView = z.object({
  mergeId: z.string(),
  targetUserId: z.string(),
  sourceUserId: z.string(),
  moved: z.object({ identities: z.number().int(), unionids: z.number().int(), identifiers: z.number().int() }),
});

export const mergePage = z.object({
  merges: z.array(
    z.object({
      id: z.string(),
      targetUserId: z.string(),
      sourceUserId: z.string(),
      actor: z.object({ kind: z.string(), id: z.string().nullable() }),
      createdAt: time,
      undoneAt: time.nullable(),
    }),
  ),
  nextCursor: z.string().nullable(),
});

export const mergeSuggestionPage = z.object({
  suggestions: z.array(
    z.object({
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
    }),
  ),
  nextCursor: z.string().nullable(),
});

export const auditPage = z.object({
  entries: z.array(
    z.object({
      id: z.string(),
      at: time,
      actor: z.object({ kind: z.string(), id: z.string().nullable() }),
      action: z.string(),
      subjectId: z.string().nullable(),
      before: z.unknown(),
      after: z.unknown(),
    }),
  ),
  nextCursor: z.string().nullable(),
});

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
  createdAt: time,
  updatedAt: time,
});

export const adminKeyView = z.object({
  id: z.string(),
  name: z.string(),
  keyPrefix: z.string(),
  createdAt: time,
  lastUsedAt: time.nullable(),
  revokedAt: time.nullable(),
});

export const noContent = z.void();

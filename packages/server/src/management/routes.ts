/**
 * The management API's routes (admin only, under `/api/v1`): users, their WeChat identities,
 * merges and merge suggestions, the audit log, connections and admin keys. Routes parse and
 * delegate; the rules live in `identity/`, `connections/` and `admin-keys/`.
 */
import { AppError } from '@weunion/errors';
import { SCENARIO_IDS } from '@weunion/management-api';
import { WECHAT_APP_TYPES } from '@weunion/wechat';
import { z } from 'zod';
import { createAdminKey, listAdminKeys, revokeAdminKey } from '../admin-keys/store.ts';
import { checkCredentials, EXPLANATION_LANGUAGES } from '../connections/check-credentials.ts';
import { connectionInputSchema, connectionPatchSchema } from '../connections/schema.ts';
import { connectionSetup } from '../connections/setup.ts';
import {
  type ConnectionView,
  deleteConnection,
  getConnectionView,
  listConnections,
  updateConnection,
  upsertConnection,
} from '../connections/store.ts';
import { webOriginRoutes } from '../embedding/management-routes.ts';
import type { AppContext } from '../http/context.ts';
import { listMerges, mergeUsers, previewMerge, unmergeUsers } from '../identity/merge.ts';
import {
  createUser,
  deleteUser,
  dismissMergeSuggestion,
  getUserDetail,
  listIdentities,
  listMergeSuggestions,
  readAuditLog,
  removeUserPassword,
  searchUsers,
  setUserBlocked,
  setUserPassword,
  unlinkIdentity,
  updateUserProfile,
} from '../identity/users.ts';
import { importRoutes } from '../import/routes.ts';
import { listLoginEvents } from '../login/history.ts';
import { readLoginStats } from '../stats/login-stats.ts';
import { tokenBrokerRoutes } from '../token-broker/routes.ts';
import { webhookRoutes } from '../webhooks/routes.ts';
import { applicationRoutes } from './applications-routes.ts';
import { defineRoute, type ManagementRoute } from './route.ts';
import { logOutEverywhere } from './session-end.ts';
import {
  adminKeyView,
  auditPage,
  connectionView,
  credentialCheckView,
  loginEventPage,
  loginStatsView,
  mergePage,
  mergePreviewView,
  mergeResultView,
  mergeSuggestionPage,
  noContent,
  userDetailView,
  userPage,
  wechatIdentityView,
} from './views.ts';

const id = (description: string) => z.string().min(1).max(100).describe(description);
const userParams = z.object({ userId: id('The user id (usr_…).') }).strict();
const limit = z.coerce.number().int().min(1).max(200).default(50).describe('Page size (1–200).');
const cursor = z.string().min(1).max(100).optional().describe('`nextCursor` from the previous page.');
const phone = z.string().regex(/^\+[1-9]\d{4,16}$/, { error: 'must be an E.164 phone number' });

const profileFields = {
  name: z.string().max(200).nullable().optional(),
  nickname: z.string().max(200).nullable().optional(),
  picture: z.url().max(2000).nullable().optional(),
  gender: z.string().max(40).nullable().optional(),
  locale: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { error: 'must be a BCP 47 language tag' })
    .nullable()
    .optional(),
  phoneNumber: phone.nullable().optional(),
  phoneNumberVerified: z.boolean().optional().describe('Verified numbers are unique and used for matching and binding.'),
  email: z.email().max(320).nullable().optional(),
  emailVerified: z.boolean().optional().describe('Verified emails are unique and used for matching and binding.'),
  password: z.string().min(8).max(200).optional().describe('Sets the password used for query binding. Write-only.'),
};
const profileSchema = z.object(profileFields).strict();
const msTime = (what: string) => z.coerce.number().int().min(0).max(8.64e15).optional().describe(what);
const loginEventFilters = {
  outcome: z.enum(['succeeded', 'failed']).optional(),
  scenario: z.enum(SCENARIO_IDS).optional(),
  appid: z.string().max(64).optional().describe('The WeChat app the person came through.'),
  clientId: z.string().max(100).optional().describe('The application the login was for.'),
  from: msTime('At or after, ms since the epoch.'),
  to: msTime('Before, ms since the epoch.'),
  cursor,
  limit,
};

const users: ManagementRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/users',
    tag: 'users',
    summary: 'List or search users (every filter given must match), cursor-paged in creation order.',
    response: userPage,
    query: z
      .object({
        id: z.string().max(100).optional(),
        phone: phone.optional(),
        email: z.email().optional(),
        openid: z.string().max(128).optional(),
        unionid: z.string().max(128).optional(),
        status: z.enum(['active', 'blocked', 'merged', 'deleted']).optional(),
        appid: z.string().max(64).optional().describe('People with a WeChat identity of this app.'),
        scenario: z.enum(SCENARIO_IDS).optional().describe('People who signed in through this scenario (within the login history).'),
        createdFrom: msTime('Created at or after, ms since the epoch.'),
        createdTo: msTime('Created before, ms since the epoch.'),
        lastLoginFrom: msTime('Last login at or after, ms since the epoch.'),
        lastLoginTo: msTime('Last login before, ms since the epoch.'),
        hasPhone: z
          .enum(['true', 'false'])
          .transform((v) => v === 'true')
          .optional()
          .describe('With (`true`) or without (`false`) a verified phone number.'),
        q: z
          .string()
          .max(200)
          .optional()
          .describe(
            'One search box: an exact user id, phone (E.164), email, openid or unionid, or part of the name or nickname (any case).',
          ),
        cursor,
        limit,
      })
      .strict(),
    handler: ({ query, ctx }) => searchUsers(ctx.database.db, query),
  }),
  defineRoute({
    method: 'POST',
    path: '/users',
    tag: 'users',
    status: 201,
    summary: 'Create a user (e.g. to pre-provision someone who will bind WeChat later).',
    response: userDetailView,
    body: profileSchema,
    handler: ({ body, actor, ctx }) => createUser(ctx.database.db, body, actor),
  }),
  defineRoute({
    method: 'GET',
    path: '/users/:userId',
    tag: 'users',
    summary: 'A user with their WeChat identities and verified identifiers.',
    response: userDetailView,
    params: userParams,
    handler: ({ params, ctx }) => getUserDetail(ctx.database.db, params.userId),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/users/:userId',
    tag: 'users',
    summary: "Change a user's profile (null clears a field).",
    response: userDetailView,
    params: userParams,
    body: profileSchema,
    handler: ({ params, body, actor, ctx }) => updateUserProfile(ctx.database.db, params.userId, body, actor),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/users/:userId',
    tag: 'users',
    status: 204,
    summary: 'Delete a user: profile cleared, every sign-in method removed; the audit log keeps the record.',
    response: noContent,
    params: userParams,
    handler: async ({ params, actor, ctx }) => {
      await deleteUser(ctx.database.db, params.userId, actor);
      await logOutEverywhere(ctx, params.userId, 'deleted');
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/users/:userId/block',
    tag: 'users',
    summary: 'Block a user: every sign-in through any app is refused.',
    response: userDetailView,
    params: userParams,
    handler: async ({ params, actor, ctx }) => {
      const user = await setUserBlocked(ctx.database.db, params.userId, true, actor);
      await logOutEverywhere(ctx, params.userId, 'blocked');
      return user;
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/users/:userId/unblock',
    tag: 'users',
    summary: 'Unblock a user.',
    response: userDetailView,
    params: userParams,
    handler: ({ params, actor, ctx }) => setUserBlocked(ctx.database.db, params.userId, false, actor),
  }),
  defineRoute({
    method: 'POST',
    path: '/users/:userId/password',
    tag: 'users',
    summary: "Set or reset a user's password (used to prove an account when binding WeChat). Write-only; audited.",
    response: userDetailView,
    params: userParams,
    body: z.object({ password: z.string().min(8).max(200) }).strict(),
    handler: ({ params, body, actor, ctx }) => setUserPassword(ctx.database.db, params.userId, body.password, actor),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/users/:userId/password',
    tag: 'users',
    summary: "Remove a user's password.",
    response: userDetailView,
    params: userParams,
    handler: ({ params, actor, ctx }) => removeUserPassword(ctx.database.db, params.userId, actor),
  }),
  defineRoute({
    method: 'GET',
    path: '/users/:userId/login-events',
    tag: 'users',
    summary: "A user's logins and failed logins, newest first (kept LOGIN_HISTORY_RETENTION_DAYS).",
    response: loginEventPage,
    params: userParams,
    query: z.object(loginEventFilters).strict(),
    handler: ({ params, query, ctx }) => listLoginEvents(ctx.database.db, { ...query, userId: params.userId }),
  }),
  defineRoute({
    method: 'GET',
    path: '/users/:userId/identities',
    tag: 'users',
    summary: "A user's WeChat identities: one per (appid, openid).",
    response: z.object({ identities: z.array(wechatIdentityView) }),
    params: userParams,
    handler: async ({ params, ctx }) => ({ identities: await listIdentities(ctx.database.db, params.userId) }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/users/:userId/identities/:identityId',
    tag: 'users',
    status: 204,
    summary: 'Unlink one WeChat identity; the next login through that app is treated as new.',
    response: noContent,
    params: userParams.extend({ identityId: id('The identity id (wid_…).') }),
    handler: ({ params, actor, ctx }) => unlinkIdentity(ctx.database.db, params.userId, params.identityId, actor),
  }),
];

const merges: ManagementRoute[] = [
  defineRoute({
    method: 'POST',
    path: '/users/:userId/merge',
    tag: 'merges',
    status: 201,
    summary: 'Merge another user (source) into this one: identities and identifiers move, the source is disabled. Undoable.',
    response: mergeResultView,
    params: userParams,
    body: z
      .object({
        sourceUserId: id('The user merged into this one.'),
        allowConflicts: z
          .boolean()
          .optional()
          .describe(
            "Confirms a merge that puts two WeChat people of one app or Open Platform account into one account (see the preview's `conflicts`); without it such a merge is refused with `merge_conflict`.",
          ),
      })
      .strict(),
    handler: async ({ params, body, actor, ctx }) => {
      const merged = await ctx.database.db.transaction().execute((trx) =>
        mergeUsers(trx, {
          targetUserId: params.userId,
          sourceUserId: body.sourceUserId,
          actor,
          allowConflicts: body.allowConflicts === true,
        }),
      );
      // The source's sessions end at its applications; it signs in as the target from now on.
      await logOutEverywhere(ctx, body.sourceUserId, 'merged');
      return merged;
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/users/:userId/merge-preview',
    tag: 'merges',
    summary:
      'What merging `sourceUserId` into this user would do, without doing it: what moves, the profile after, or why it would be refused.',
    response: mergePreviewView,
    params: userParams,
    query: z.object({ sourceUserId: id('The user that would be merged into this one.') }).strict(),
    handler: ({ params, query, ctx }) => previewMerge(ctx.database.db, { targetUserId: params.userId, sourceUserId: query.sourceUserId }),
  }),
  defineRoute({
    method: 'GET',
    path: '/merges',
    tag: 'merges',
    summary: 'Merges, newest first (optionally those involving one user), to find the one to undo.',
    response: mergePage,
    query: z.object({ userId: z.string().max(100).optional(), cursor, limit }).strict(),
    handler: ({ query, ctx }) => listMerges(ctx.database.db, query),
  }),
  defineRoute({
    method: 'POST',
    path: '/merges/:mergeId/undo',
    tag: 'merges',
    summary: 'Undo a merge: the source user is restored exactly as it was (a move: the identities go back).',
    response: mergeResultView,
    params: z.object({ mergeId: id('The merge id (mrg_…).') }).strict(),
    handler: ({ params, actor, ctx }) =>
      ctx.database.db.transaction().execute((trx) => unmergeUsers(trx, { mergeId: params.mergeId, actor })),
  }),
  defineRoute({
    method: 'GET',
    path: '/merge-suggestions',
    tag: 'merges',
    summary: 'Pairs of users that look like one person (e.g. a unionid that arrived later), for an admin to merge.',
    response: mergeSuggestionPage,
    query: z.object({ status: z.enum(['open', 'merged', 'dismissed']).optional(), cursor, limit }).strict(),
    handler: ({ query, ctx }) => listMergeSuggestions(ctx.database.db, query),
  }),
  defineRoute({
    method: 'POST',
    path: '/merge-suggestions/:suggestionId/dismiss',
    tag: 'merges',
    summary: 'Close a merge suggestion: the two users are different people.',
    response: mergeSuggestionPage.shape.suggestions.element,
    params: z.object({ suggestionId: id('The suggestion id (sug_…).') }).strict(),
    handler: ({ params, actor, ctx }) => dismissMergeSuggestion(ctx.database.db, params.suggestionId, actor),
  }),
];

const audit: ManagementRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/login-events',
    tag: 'audit',
    summary:
      'Every end-user login and failed login, newest first: scenario, WeChat app, application, IP, user agent, outcome and ' +
      'failure reason. Kept LOGIN_HISTORY_RETENTION_DAYS.',
    response: loginEventPage,
    query: z.object({ ...loginEventFilters, userId: z.string().max(100).optional() }).strict(),
    handler: ({ query, ctx }) => listLoginEvents(ctx.database.db, query),
  }),
  defineRoute({
    method: 'GET',
    path: '/audit-log',
    tag: 'audit',
    summary: 'The audit log, newest first.',
    response: auditPage,
    query: z.object({ subjectId: z.string().max(100).optional(), action: z.string().max(100).optional(), cursor, limit }).strict(),
    handler: ({ query, ctx }) => readAuditLog(ctx.database.db, query),
  }),
];

const connectionParams = z.object({ connectionId: id('The connection id.') }).strict();
const withSetup = (connection: ConnectionView, ctx: AppContext) => ({
  ...connection,
  setup: connectionSetup(connection, ctx.config.publicUrl),
});
const connections: ManagementRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/connections',
    tag: 'connections',
    summary: 'Every connection (secrets are never returned; `secretSet` says whether one is stored).',
    response: z.object({ connections: z.array(connectionView) }),
    handler: async ({ ctx }) => ({ connections: (await listConnections(ctx.database.db)).map((c) => withSetup(c, ctx)) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/connections',
    tag: 'connections',
    status: 201,
    summary: 'Create a connection: one WeChat app, the scenarios it serves and its identity policy.',
    response: connectionView,
    body: connectionInputSchema,
    handler: async ({ body, actor, ctx }) => {
      if ((await getConnectionView(ctx.database.db, body.id)) !== null)
        throw new AppError('conflict', `Connection ${body.id} already exists`);
      return withSetup((await upsertConnection(ctx.database.db, ctx.secrets, body, { source: 'api', actor })).connection, ctx);
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/connections/check-credentials',
    tag: 'connections',
    summary:
      'Ask WeChat whether an AppID and AppSecret are right, without saving or disturbing anything: a stored connection ' +
      '(`connectionId`, optionally with a new `secret` to try before saving it) or `appType`, `appid` and `secret`. ' +
      'Official accounts and mini programs: cgi-bin/stable_token without force_refresh; website and mobile apps: a code ' +
      'exchange with an impossible code (40029 means appid and secret passed). Limited per appid.',
    response: credentialCheckView,
    body: z
      .object({
        connectionId: id('A stored connection to check.').optional(),
        appType: z.enum(WECHAT_APP_TYPES).optional(),
        appid: z
          .string()
          .regex(/^wx[0-9a-zA-Z]{6,30}$/, { error: 'must be a WeChat appid (wx…)' })
          .optional(),
        secret: z.string().min(1).max(200).optional().describe('The AppSecret to check; never stored by this call.'),
        language: z.enum(EXPLANATION_LANGUAGES).optional().describe('The language of `explanation`: `en` (default) or `zh-CN`.'),
      })
      .strict(),
    handler: ({ body, ctx }) => checkCredentials(ctx, body),
  }),
  defineRoute({
    method: 'GET',
    path: '/connections/:connectionId',
    tag: 'connections',
    summary: 'One connection.',
    response: connectionView,
    params: connectionParams,
    handler: async ({ params, ctx }) => {
      const connection = await getConnectionView(ctx.database.db, params.connectionId);
      if (connection === null) throw new AppError('not_found', `No connection ${params.connectionId}`);
      return withSetup(connection, ctx);
    },
  }),
  defineRoute({
    method: 'PATCH',
    path: '/connections/:connectionId',
    tag: 'connections',
    summary: 'Change a connection; secrets left out keep their stored value.',
    response: connectionView,
    params: connectionParams,
    body: connectionPatchSchema,
    handler: async ({ params, body, actor, ctx }) =>
      withSetup(await updateConnection(ctx.database.db, ctx.secrets, params.connectionId, body, actor), ctx),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/connections/:connectionId',
    tag: 'connections',
    status: 204,
    summary: 'Delete a connection (its users and identities stay).',
    response: noContent,
    params: connectionParams,
    handler: ({ params, actor, ctx }) => deleteConnection(ctx.database.db, params.connectionId, actor),
  }),
];

const DAY_MS = 24 * 3_600_000;
const statsTime = (what: string) => z.coerce.number().int().min(0).max(8.64e15).optional().describe(what);
const stats: ManagementRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/stats/logins',
    tag: 'stats',
    summary:
      'Completed logins (by scenario, WeChat app and application), new users and failed logins (by problem code), ' +
      'in day or hour buckets aligned to the viewer’s UTC offset; every bucket present, at most 400.',
    response: loginStatsView,
    query: z
      .object({
        from: statsTime('Start, ms since the epoch (default: 14 days before `to`); rounded down to its bucket.'),
        to: statsTime('End (exclusive), ms since the epoch (default: now).'),
        bucket: z.enum(['day', 'hour']).default('day'),
        tzOffsetMinutes: z.coerce
          .number()
          .int()
          .min(-840)
          .max(840)
          .default(0)
          .describe('Minutes east of UTC (e.g. 480 for China): days start at local midnight.'),
      })
      .strict(),
    handler: ({ query, ctx }) => {
      const to = query.to ?? Date.now();
      return readLoginStats(ctx.database.db, { ...query, to, from: query.from ?? to - 14 * DAY_MS });
    },
  }),
];

const adminKeys: ManagementRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/admin-keys',
    tag: 'admin-keys',
    summary: 'Admin API keys (never the keys themselves).',
    response: z.object({ adminKeys: z.array(adminKeyView) }),
    handler: async ({ ctx }) => ({ adminKeys: await listAdminKeys(ctx.database.db) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin-keys',
    tag: 'admin-keys',
    status: 201,
    summary: 'Create an admin API key; the key is in this response only.',
    response: z.object({ key: z.string().describe('The key itself, shown only in this response.'), adminKey: adminKeyView }),
    body: z
      .object({
        name: z.string().min(1).max(100),
        scope: z.enum(['full', 'tokens:read']).default('full').describe('`tokens:read`: may only read the tokens of `connections`.'),
        connections: z.array(id('A connection id.')).min(1).max(100).optional(),
      })
      .strict()
      .refine((b) => (b.scope === 'tokens:read') === (b.connections !== undefined), {
        error: 'a tokens:read key needs `connections`, and only it',
        path: ['connections'],
      }),
    handler: ({ body, actor, ctx }) =>
      createAdminKey(ctx.database.db, body.name, actor, body.scope === 'tokens:read' ? body.connections : undefined),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/admin-keys/:keyId',
    tag: 'admin-keys',
    status: 204,
    summary: 'Revoke an admin API key; requests with it are refused from now on.',
    response: noContent,
    params: z.object({ keyId: id('The admin key id (key_…).') }).strict(),
    handler: ({ params, actor, ctx }) => revokeAdminKey(ctx.database.db, params.keyId, actor),
  }),
];

export const managementRoutes: ManagementRoute[] = [
  ...users,
  ...merges,
  ...audit,
  ...connections,
  ...applicationRoutes,
  ...importRoutes,
  ...webOriginRoutes,
  ...stats,
  ...tokenBrokerRoutes,
  ...adminKeys,
  ...webhookRoutes,
];

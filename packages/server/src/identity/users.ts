/**
 * Users as admins see and change them: listing and search (by id, phone, email, openid, unionid,
 * cursor-paged by id), creation, profile edits, block/unblock, delete, and unlinking one WeChat
 * identity. Every change is audited in the same transaction, with the state before and after.
 */
import { AppError } from '@weunion/errors';
import { type Kysely, type Selectable, sql } from 'kysely';
import { cursorPage } from '../storage/cursor-page.ts';
import { isUniqueViolation } from '../storage/database.ts';
import { precompiled } from '../storage/precompiled.ts';
import type { IdentifierKind, MergeSuggestionsTable, Tables, UserStatus, UsersTable, WechatIdentitiesTable } from '../storage/schema.ts';
import { normalizeEmail } from './assertion.ts';
import { type Actor, recordAudit } from './audit.ts';
import { newId } from './ids.ts';
import { setPassword } from './password.ts';

export interface UserView {
  id: string;
  status: UserStatus;
  name: string | null;
  nickname: string | null;
  picture: string | null;
  gender: string | null;
  locale: string | null;
  phoneNumber: string | null;
  phoneNumberVerified: boolean;
  email: string | null;
  emailVerified: boolean;
  mergedInto: string | null;
  createdAt: number;
  updatedAt: number;
  lastLoginAt: number | null;
}

export interface WechatIdentityView {
  id: string;
  userId: string;
  appid: string;
  appType: string;
  openPlatformId: string | null;
  openid: string;
  unionid: string | null;
  firstSeenAt: number;
  lastSeenAt: number;
  lastProfile: unknown;
}

export interface UserDetail extends UserView {
  identities: WechatIdentityView[];
  identifiers: { kind: IdentifierKind; value: string; verifiedAt: number }[];
  hasPassword: boolean;
}

export function toUserView(row: Selectable<UsersTable>): UserView {
  return {
    id: row.id,
    status: row.status,
    name: row.name,
    nickname: row.nickname,
    picture: row.picture,
    gender: row.gender,
    locale: row.locale,
    phoneNumber: row.phone_number,
    phoneNumberVerified: row.phone_number_verified === 1,
    email: row.email,
    emailVerified: row.email_verified === 1,
    mergedInto: row.merged_into,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastLoginAt: row.last_login_at,
  };
}

function toIdentityView(row: Selectable<WechatIdentitiesTable>): WechatIdentityView {
  let lastProfile: unknown = null;
  try {
    lastProfile = row.last_profile === null ? null : JSON.parse(row.last_profile);
  } catch {
    lastProfile = null;
  }
  return {
    id: row.id,
    userId: row.user_id,
    appid: row.appid,
    appType: row.app_type,
    openPlatformId: row.open_platform_id,
    openid: row.openid,
    unionid: row.unionid,
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
    lastProfile,
  };
}

export interface UserSearch {
  id?: string | undefined;
  phone?: string | undefined;
  email?: string | undefined;
  openid?: string | undefined;
  unionid?: string | undefined;
  status?: UserStatus | undefined;
  /** One search box: an exact id, phone, email, openid or unionid, or part of the name or nickname. */
  q?: string | undefined;
  /** People with a WeChat identity of this app. */
  appid?: string | undefined;
  /** People who signed in through this scenario (within the login history's retention). */
  scenario?: string | undefined;
  /** Created in [createdFrom, createdTo), ms. */
  createdFrom?: number | undefined;
  createdTo?: number | undefined;
  /** Last signed in within [lastLoginFrom, lastLoginTo), ms. */
  lastLoginFrom?: number | undefined;
  lastLoginTo?: number | undefined;
  /** With (true) or without (false) a verified phone number. */
  hasPhone?: boolean | undefined;
  /** The last id of the previous page. */
  cursor?: string | undefined;
  limit: number;
}

/** Users matching every given filter, in id (creation) order; `nextCursor` when there are more. */
export async function searchUsers(db: Kysely<Tables>, search: UserSearch): Promise<{ users: UserView[]; nextCursor: string | null }> {
  let query = db.selectFrom('users').selectAll('users');
  if (search.id !== undefined) query = query.where('users.id', '=', search.id);
  if (search.status !== undefined) query = query.where('users.status', '=', search.status);
  for (const [kind, value] of [
    ['phone', search.phone],
    ['email', search.email === undefined ? undefined : normalizeEmail(search.email)],
  ] as const) {
    if (value === undefined) continue;
    query = query.where('users.id', 'in', (eb) =>
      eb.selectFrom('user_identifiers').select('user_id').where('kind', '=', kind).where('value', '=', value),
    );
  }
  if (search.openid !== undefined) {
    const openid = search.openid;
    query = query.where('users.id', 'in', (eb) => eb.selectFrom('wechat_identities').select('user_id').where('openid', '=', openid));
  }
  if (search.unionid !== undefined) {
    const unionid = search.unionid;
    query = query.where((eb) =>
      eb.or([
        eb('users.id', 'in', eb.selectFrom('wechat_identities').select('user_id').where('unionid', '=', unionid)),
        eb('users.id', 'in', eb.selectFrom('unionid_owners').select('user_id').where('unionid', '=', unionid)),
      ]),
    );
  }
  // Every filter is an index range or an indexed sub-select (0024): ids sort by creation time, so the
  // creation filter is a range of the primary key the list is paged by; the app, phone and scenario
  // filters read matching user ids from an index alone — their cost grows with how many match, not
  // with all users (at 200,000 users on SQLite: 9 ms for an app a quarter of them use, under 1 ms
  // for the rest; the name search below remains the one scan).
  if (search.createdFrom !== undefined) query = query.where('users.id', '>=', userIdAt(search.createdFrom));
  if (search.createdTo !== undefined) query = query.where('users.id', '<', userIdAt(search.createdTo));
  if (search.lastLoginFrom !== undefined) query = query.where('users.last_login_at', '>=', search.lastLoginFrom);
  if (search.lastLoginTo !== undefined) query = query.where('users.last_login_at', '<', search.lastLoginTo);
  if (search.appid !== undefined) {
    const appid = search.appid;
    query = query.where('users.id', 'in', (eb) => eb.selectFrom('wechat_identities').select('user_id').where('appid', '=', appid));
  }
  if (search.scenario !== undefined) {
    const scenario = search.scenario;
    query = query.where('users.id', 'in', (eb) =>
      eb.selectFrom('login_events').select('user_id').where('scenario', '=', scenario).where('user_id', 'is not', null),
    );
  }
  if (search.hasPhone !== undefined) {
    const withPhone = db.selectFrom('user_identifiers').select('user_id').where('kind', '=', 'phone');
    query = query.where('users.id', search.hasPhone ? 'in' : 'not in', withPhone);
  }
  const q = search.q?.trim();
  if (q !== undefined && q !== '') {
    // An exact identifier (id, phone, email, openid, unionid) is found through indexes and wins; only
    // when nothing matches exactly is the box read as part of a name, which has to scan the users.
    // Asking both at once in one OR would scan every user even for an openid.
    const exact = await usersWithIdentifier(db, q);
    if (exact.length > 0) {
      query = query.where('users.id', 'in', exact);
    } else {
      // LIKE wildcards typed into the box are literal; `escape` is spelled out because SQLite has no default.
      const pattern = `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      const contains = (column: 'users.name' | 'users.nickname') => sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
      query = query.where((eb) => eb.or([contains('users.name'), contains('users.nickname')]));
    }
  }
  if (search.cursor !== undefined) query = query.where('users.id', '>', search.cursor);
  const rows = await query
    .orderBy('users.id')
    .limit(search.limit + 1)
    .execute();
  const { page, nextCursor } = cursorPage(rows, search.limit);
  return { users: page.map(toUserView), nextCursor };
}

/** The smallest user id of someone created at or after `at` (ids sort by creation time). */
function userIdAt(at: number): string {
  return `usr_${Math.max(0, Math.min(at, 0xfffffffffff)).toString(16).padStart(11, '0')}`;
}

/** The users an exact id, verified phone or email, openid or unionid names — each an indexed lookup. */
async function usersWithIdentifier(db: Kysely<Tables>, value: string): Promise<string[]> {
  const email = normalizeEmail(value);
  const [byId, byIdentifier, byLedger, byOwner] = await Promise.all([
    db.selectFrom('users').select('id as user_id').where('id', '=', value).execute(),
    db
      .selectFrom('user_identifiers')
      .select('user_id')
      // Naming the kinds lets the (kind, value) unique index answer.
      .where('kind', 'in', ['phone', 'email'])
      .where('value', 'in', [value, email])
      .execute(),
    db
      .selectFrom('wechat_identities')
      .select('user_id')
      .where((w) => w.or([w('openid', '=', value), w('unionid', '=', value)]))
      .execute(),
    db.selectFrom('unionid_owners').select('user_id').where('unionid', '=', value).execute(),
  ]);
  return [...new Set([...byId, ...byIdentifier, ...byLedger, ...byOwner].map((row) => row.user_id))];
}

export async function getUserDetail(db: Kysely<Tables>, id: string): Promise<UserDetail> {
  const user = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  if (user === undefined) throw new AppError('not_found', `No user ${id}`);
  const [identities, identifiers, password] = await Promise.all([
    db.selectFrom('wechat_identities').selectAll().where('user_id', '=', id).orderBy('id').execute(),
    db.selectFrom('user_identifiers').select(['kind', 'value', 'verified_at']).where('user_id', '=', id).orderBy('id').execute(),
    db.selectFrom('password_credentials').select('user_id').where('user_id', '=', id).executeTakeFirst(),
  ]);
  return {
    ...toUserView(user),
    identities: identities.map(toIdentityView),
    identifiers: identifiers.map((x) => ({ kind: x.kind, value: x.value, verifiedAt: x.verified_at })),
    hasPassword: password !== undefined,
  };
}

/** What tokens' claims are made of: the account and its WeChat identities (claims show no identifiers or password). */
export type ClaimsSource = UserView & Pick<UserDetail, 'identities'>;

// Every token issued reads these (storage/precompiled.ts: built once, run with new values).
const USER_BY_ID = precompiled<Tables, { id: string }, Selectable<UsersTable>>((db, p) =>
  db.selectFrom('users').selectAll().where('id', '=', p.id),
);
const IDENTITIES_OF = precompiled<Tables, { userId: string }, Selectable<WechatIdentitiesTable>>((db, p) =>
  db.selectFrom('wechat_identities').selectAll().where('user_id', '=', p.userId).orderBy('id'),
);

/** The account (any status), or null when there is none. */
export async function getUserView(db: Kysely<Tables>, id: string): Promise<UserView | null> {
  const [user] = (await USER_BY_ID.execute(db, { id })).rows;
  return user === undefined ? null : toUserView(user);
}

/** The account (any status) with its WeChat identities, or null when there is none: two reads, not getUserDetail's four. */
export async function getClaimsSource(db: Kysely<Tables>, id: string): Promise<ClaimsSource | null> {
  const user = await getUserView(db, id);
  return user === null ? null : { ...user, identities: await identitiesOf(db, id) };
}

/** An account's WeChat identities, without checking that the account exists. */
export async function identitiesOf(db: Kysely<Tables>, userId: string): Promise<WechatIdentityView[]> {
  return (await IDENTITIES_OF.execute(db, { userId })).rows.map(toIdentityView);
}

export async function listIdentities(db: Kysely<Tables>, userId: string): Promise<WechatIdentityView[]> {
  await requireUser(db, userId);
  return (await db.selectFrom('wechat_identities').selectAll().where('user_id', '=', userId).orderBy('id').execute()).map(toIdentityView);
}

async function requireUser(db: Kysely<Tables>, id: string): Promise<Selectable<UsersTable>> {
  const user = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  if (user === undefined) throw new AppError('not_found', `No user ${id}`);
  return user;
}

export interface ProfileInput {
  name?: string | null | undefined;
  nickname?: string | null | undefined;
  picture?: string | null | undefined;
  gender?: string | null | undefined;
  locale?: string | null | undefined;
  phoneNumber?: string | null | undefined;
  phoneNumberVerified?: boolean | undefined;
  email?: string | null | undefined;
  emailVerified?: boolean | undefined;
}

/** Keeps the verified-identifier table in step with a phone or email change on the profile. */
async function syncIdentifier(
  trx: Kysely<Tables>,
  userId: string,
  kind: IdentifierKind,
  previous: string | null,
  next: string | null,
  verified: boolean,
  now: number,
): Promise<void> {
  if (previous !== null) {
    await trx.deleteFrom('user_identifiers').where('user_id', '=', userId).where('kind', '=', kind).where('value', '=', previous).execute();
  }
  if (next !== null && verified) {
    // A verified phone or email names one person (README, "One account per person"): one held by
    // someone else is refused, never moved; merging the two is how it changes hands.
    const holder = await trx
      .selectFrom('user_identifiers')
      .select('user_id')
      .where('kind', '=', kind)
      .where('value', '=', next)
      .where('user_id', '!=', userId)
      .executeTakeFirst();
    if (holder !== undefined) {
      throw new AppError('identity_conflict', `This verified ${kind} already belongs to user ${holder.user_id}; merge the two to move it`, {
        details: { kind, heldBy: holder.user_id },
      });
    }
    try {
      await trx
        .insertInto('user_identifiers')
        .values({ id: newId('idf'), user_id: userId, kind, value: next, verified_at: now })
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('identity_conflict', `This verified ${kind} already belongs to another user`);
      throw error;
    }
  }
}

export async function createUser(
  db: Kysely<Tables>,
  input: ProfileInput & { password?: string | undefined },
  actor: Actor,
): Promise<UserDetail> {
  const now = Date.now();
  const id = newId('usr');
  const email = input.email == null ? null : normalizeEmail(input.email);
  await db.transaction().execute(async (trx) => {
    const row = {
      id,
      status: 'active' as const,
      name: input.name ?? null,
      nickname: input.nickname ?? null,
      picture: input.picture ?? null,
      gender: input.gender ?? null,
      locale: input.locale ?? null,
      phone_number: input.phoneNumber ?? null,
      phone_number_verified: input.phoneNumber != null && input.phoneNumberVerified === true ? 1 : 0,
      email,
      email_verified: email !== null && input.emailVerified === true ? 1 : 0,
      merged_into: null,
      created_at: now,
      updated_at: now,
      last_login_at: null,
    };
    await trx.insertInto('users').values(row).execute();
    await syncIdentifier(trx, id, 'phone', null, row.phone_number, row.phone_number_verified === 1, now);
    await syncIdentifier(trx, id, 'email', null, row.email, row.email_verified === 1, now);
    if (input.password !== undefined) await setPassword(trx, id, input.password, now);
    await recordAudit(
      trx,
      { actor, action: 'user.created', subjectId: id, after: { ...row, password: input.password !== undefined } },
      now,
    );
  });
  return getUserDetail(db, id);
}

export async function updateUserProfile(
  db: Kysely<Tables>,
  id: string,
  patch: ProfileInput & { password?: string | undefined },
  actor: Actor,
): Promise<UserDetail> {
  const now = Date.now();
  await db.transaction().execute(async (trx) => {
    const before = await requireUser(trx, id);
    if (before.status === 'merged' || before.status === 'deleted') throw new AppError('conflict', `User ${id} is ${before.status}`);
    const changes: Partial<Selectable<UsersTable>> = {};
    for (const key of ['name', 'nickname', 'picture', 'gender', 'locale'] as const) {
      const value = patch[key];
      if (value !== undefined) changes[key] = value;
    }
    if (patch.phoneNumber !== undefined || patch.phoneNumberVerified !== undefined) {
      const phone = patch.phoneNumber === undefined ? before.phone_number : patch.phoneNumber;
      const verified =
        phone !== null && (patch.phoneNumberVerified ?? (phone === before.phone_number && before.phone_number_verified === 1));
      changes.phone_number = phone;
      changes.phone_number_verified = verified ? 1 : 0;
      await syncIdentifier(trx, id, 'phone', before.phone_number, phone, verified, now);
    }
    if (patch.email !== undefined || patch.emailVerified !== undefined) {
      const email = patch.email === undefined ? before.email : patch.email === null ? null : normalizeEmail(patch.email);
      const verified = email !== null && (patch.emailVerified ?? (email === before.email && before.email_verified === 1));
      changes.email = email;
      changes.email_verified = verified ? 1 : 0;
      await syncIdentifier(trx, id, 'email', before.email, email, verified, now);
    }
    await trx
      .updateTable('users')
      .set({ ...changes, updated_at: now })
      .where('id', '=', id)
      .execute();
    if (patch.password !== undefined) await setPassword(trx, id, patch.password, now);
    const shownBefore = Object.fromEntries(Object.entries(before).filter(([key]) => key in changes));
    await recordAudit(
      trx,
      {
        actor,
        action: 'user.profile_updated',
        subjectId: id,
        before: shownBefore,
        after: { ...changes, ...(patch.password === undefined ? {} : { password: 'changed' }) },
      },
      now,
    );
  });
  return getUserDetail(db, id);
}

/** Sets or resets a person's password (used for query binding); audited, never the password itself. */
export async function setUserPassword(db: Kysely<Tables>, id: string, password: string, actor: Actor): Promise<UserDetail> {
  await db.transaction().execute(async (trx) => {
    const user = await requireUser(trx, id);
    if (user.status === 'merged' || user.status === 'deleted') throw new AppError('conflict', `User ${id} is ${user.status}`);
    const had = await trx.selectFrom('password_credentials').select('user_id').where('user_id', '=', id).executeTakeFirst();
    const now = Date.now();
    await setPassword(trx, id, password, now);
    await recordAudit(
      trx,
      { actor, action: had === undefined ? 'user.password_set' : 'user.password_reset', subjectId: id, after: { password: 'set' } },
      now,
    );
  });
  return getUserDetail(db, id);
}

/** Removes a person's password: binding by password is no longer possible for them. */
export async function removeUserPassword(db: Kysely<Tables>, id: string, actor: Actor): Promise<UserDetail> {
  await db.transaction().execute(async (trx) => {
    await requireUser(trx, id);
    const removed = await trx.deleteFrom('password_credentials').where('user_id', '=', id).executeTakeFirst();
    if (removed.numDeletedRows !== 1n) throw new AppError('not_found', `User ${id} has no password`);
    await recordAudit(trx, {
      actor,
      action: 'user.password_removed',
      subjectId: id,
      before: { password: 'set' },
      after: { password: null },
    });
  });
  return getUserDetail(db, id);
}

export async function setUserBlocked(db: Kysely<Tables>, id: string, blocked: boolean, actor: Actor): Promise<UserDetail> {
  await db.transaction().execute(async (trx) => {
    const user = await requireUser(trx, id);
    const from: UserStatus = blocked ? 'active' : 'blocked';
    if (user.status !== from) throw new AppError('conflict', `User ${id} is ${user.status}, not ${from}`);
    const now = Date.now();
    // Conditional on the status read above, so two concurrent blocks cannot both succeed.
    const changed = await trx
      .updateTable('users')
      .set({ status: blocked ? 'blocked' : 'active', updated_at: now })
      .where('id', '=', id)
      .where('status', '=', from)
      .executeTakeFirst();
    if (changed.numUpdatedRows !== 1n) throw new AppError('conflict', `User ${id} changed meanwhile; try again`);
    await recordAudit(
      trx,
      {
        actor,
        action: blocked ? 'user.blocked' : 'user.unblocked',
        subjectId: id,
        before: { status: from },
        after: { status: blocked ? 'blocked' : 'active' },
      },
      now,
    );
  });
  return getUserDetail(db, id);
}

/**
 * Deletes a user: the profile is cleared and every way to sign in as them (WeChat identities,
 * unionid claims, verified identifiers, password) is removed, so the person starts afresh next
 * time. The row stays, marked `deleted`, so the audit log and merge records still resolve; the
 * audit entry keeps what was removed.
 */
export async function deleteUser(db: Kysely<Tables>, id: string, actor: Actor): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const before = await getUserDetail(trx, id);
    if (before.status === 'deleted') throw new AppError('not_found', `User ${id} is already deleted`);
    if (before.status === 'merged') throw new AppError('conflict', `User ${id} is merged into ${before.mergedInto}; undo the merge first`);
    const now = Date.now();
    // Claim the row first (conditional on its status), so a concurrent merge or delete waits, then fails.
    const claimed = await trx
      .updateTable('users')
      .set({ status: 'deleted', updated_at: now })
      .where('id', '=', id)
      .where('status', '=', before.status)
      .executeTakeFirst();
    if (claimed.numUpdatedRows !== 1n) throw new AppError('conflict', `User ${id} changed meanwhile; try again`);
    await trx.deleteFrom('wechat_identities').where('user_id', '=', id).execute();
    await trx.deleteFrom('unionid_owners').where('user_id', '=', id).execute();
    await trx.deleteFrom('user_identifiers').where('user_id', '=', id).execute();
    await trx.deleteFrom('password_credentials').where('user_id', '=', id).execute();
    await trx
      .updateTable('merge_suggestions')
      .set({ status: 'dismissed', resolved_at: now })
      .where('status', '=', 'open')
      .where((eb) => eb.or([eb('user_id', '=', id), eb('other_user_id', '=', id)]))
      .execute();
    await trx
      .updateTable('users')
      .set({
        status: 'deleted',
        name: null,
        nickname: null,
        picture: null,
        gender: null,
        locale: null,
        phone_number: null,
        phone_number_verified: 0,
        email: null,
        email_verified: 0,
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
    await recordAudit(trx, { actor, action: 'user.deleted', subjectId: id, before, after: { status: 'deleted' } }, now);
  });
}

/**
 * Removes one WeChat identity from a user. Its unionid claim goes too when no other identity of the
 * user carries that unionid, so the next login through that app is a new person, not this user.
 */
export async function unlinkIdentity(db: Kysely<Tables>, userId: string, identityId: string, actor: Actor): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('wechat_identities')
      .selectAll()
      .where('id', '=', identityId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (row === undefined) throw new AppError('not_found', `User ${userId} has no identity ${identityId}`);
    const deleted = await trx.deleteFrom('wechat_identities').where('id', '=', identityId).where('user_id', '=', userId).executeTakeFirst();
    if (deleted.numDeletedRows !== 1n) throw new AppError('not_found', `User ${userId} has no identity ${identityId}`);
    if (row.unionid !== null && row.open_platform_id !== null) {
      const others = await trx
        .selectFrom('wechat_identities')
        .select('id')
        .where('user_id', '=', userId)
        .where('open_platform_id', '=', row.open_platform_id)
        .where('unionid', '=', row.unionid)
        .executeTakeFirst();
      if (others === undefined) {
        await trx
          .deleteFrom('unionid_owners')
          .where('open_platform_id', '=', row.open_platform_id)
          .where('unionid', '=', row.unionid)
          .where('user_id', '=', userId)
          .execute();
      }
    }
    await recordAudit(trx, { actor, action: 'identity.unlinked', subjectId: userId, before: toIdentityView(row) });
  });
}

export interface AuditView {
  id: string;
  at: number;
  actor: { kind: string; id: string | null; name: string | null };
  action: string;
  subjectId: string | null;
  before: unknown;
  after: unknown;
}

/** The audit log, newest first, optionally for one subject or action. */
export async function readAuditLog(
  db: Kysely<Tables>,
  filter: { subjectId?: string | undefined; action?: string | undefined; cursor?: string | undefined; limit: number },
): Promise<{ entries: AuditView[]; nextCursor: string | null }> {
  // Entries written before names were recorded fall back to the key's or account's current name.
  let query = db
    .selectFrom('audit_log')
    .leftJoin('admin_keys', (join) => join.onRef('admin_keys.id', '=', 'audit_log.actor_id').on('audit_log.actor_kind', '=', 'admin_key'))
    .leftJoin('admin_accounts', (join) =>
      join.onRef('admin_accounts.id', '=', 'audit_log.actor_id').on('audit_log.actor_kind', '=', 'admin'),
    )
    .selectAll('audit_log')
    .select(['admin_keys.name as key_name', 'admin_accounts.username as admin_username']);
  if (filter.subjectId !== undefined) query = query.where('audit_log.subject_id', '=', filter.subjectId);
  if (filter.action !== undefined) query = query.where('audit_log.action', '=', filter.action);
  if (filter.cursor !== undefined) query = query.where('audit_log.id', '<', filter.cursor);
  const rows = await query
    .orderBy('audit_log.id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const { page, nextCursor } = cursorPage(rows, filter.limit);
  const parse = (text: string | null): unknown => (text === null ? null : JSON.parse(text));
  return {
    entries: page.map((r) => ({
      id: r.id,
      at: r.at,
      actor: { kind: r.actor_kind, id: r.actor_id, name: r.actor_name ?? r.key_name ?? r.admin_username ?? null },
      action: r.action,
      subjectId: r.subject_id,
      before: parse(r.before),
      after: parse(r.after),
    })),
    nextCursor,
  };
}

export interface MergeSuggestionView {
  id: string;
  userId: string;
  otherUserId: string;
  reason: string;
  openPlatformId: string | null;
  unionid: string | null;
  appid: string | null;
  openid: string | null;
  status: string;
  createdAt: number;
  resolvedAt: number | null;
}

function toSuggestionView(r: Selectable<MergeSuggestionsTable>): MergeSuggestionView {
  return {
    id: r.id,
    userId: r.user_id,
    otherUserId: r.other_user_id,
    reason: r.reason,
    openPlatformId: r.open_platform_id,
    unionid: r.unionid,
    appid: r.appid,
    openid: r.openid,
    status: r.status,
    createdAt: r.created_at,
    resolvedAt: r.resolved_at,
  };
}

export async function listMergeSuggestions(
  db: Kysely<Tables>,
  filter: { status?: 'open' | 'merged' | 'dismissed' | undefined; cursor?: string | undefined; limit: number },
): Promise<{ suggestions: MergeSuggestionView[]; nextCursor: string | null }> {
  let query = db.selectFrom('merge_suggestions').selectAll();
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.cursor !== undefined) query = query.where('id', '>', filter.cursor);
  const rows = await query
    .orderBy('id')
    .limit(filter.limit + 1)
    .execute();
  const { page, nextCursor } = cursorPage(rows, filter.limit);
  return {
    suggestions: page.map(toSuggestionView),
    nextCursor,
  };
}

/** An admin decided the pair are different people: the suggestion is closed, nothing else changes. */
export async function dismissMergeSuggestion(db: Kysely<Tables>, id: string, actor: Actor): Promise<MergeSuggestionView> {
  await db.transaction().execute(async (trx) => {
    const now = Date.now();
    const result = await trx
      .updateTable('merge_suggestions')
      .set({ status: 'dismissed', resolved_at: now })
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    if (result.numUpdatedRows !== 1n) {
      const exists = await trx.selectFrom('merge_suggestions').select('status').where('id', '=', id).executeTakeFirst();
      throw exists === undefined
        ? new AppError('not_found', `No merge suggestion ${id}`)
        : new AppError('conflict', `Merge suggestion ${id} is ${exists.status}`);
    }
    await recordAudit(trx, { actor, action: 'merge_suggestion.dismissed', subjectId: id, after: { status: 'dismissed' } }, now);
  });
  const row = await db.selectFrom('merge_suggestions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  return toSuggestionView(row);
}

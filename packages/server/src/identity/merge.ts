/**
 * Merging user B (source) into user A (target), and undoing it exactly.
 *
 * A merge moves B's WeChat ledger rows, unionid claims and verified identifiers to A, marks B
 * `merged` (pointing at A), fills A's empty profile fields from B (so a verified phone or email
 * that moves is also A's `phone_number`/`email`) and keeps a merge record with B's row as it was,
 * A's fields as they were, and the ids of everything moved. Undo moves exactly those back and
 * restores both rows byte for byte. Nothing is deleted, so history (audit, ids other systems hold)
 * survives. A blocked user, a user into itself, or a user that is no longer active cannot be merged.
 *
 * A merge that would leave A holding two openids of one app, or two unionids of one Open Platform
 * account (two WeChat people in one account), is refused with `merge_conflict` unless the admin
 * confirms it (`allowConflicts`); automatic merges never confirm.
 *
 * `moveWechatPerson` is the narrow form a person's own account choice uses: one WeChat person's
 * ledger rows (and unionid claim) move from B to A, B stays; recorded and undone the same way.
 */
import { AppError } from '@weunion/errors';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import { cursorPage } from '../storage/cursor-page.ts';
import type { Tables, UsersTable } from '../storage/schema.ts';
import { type Actor, recordAudit } from './audit.ts';
import { newId } from './ids.ts';
import { PROFILE_COLUMNS } from './profile.ts';
import { getUserDetail, type UserDetail, type WechatIdentityView } from './users.ts';

const userRowSchema = z.object({
  id: z.string(),
  status: z.enum(['active', 'blocked', 'merged', 'deleted']),
  name: z.string().nullable(),
  nickname: z.string().nullable(),
  picture: z.string().nullable(),
  gender: z.string().nullable(),
  locale: z.string().nullable(),
  phone_number: z.string().nullable(),
  phone_number_verified: z.number(),
  email: z.string().nullable(),
  email_verified: z.number(),
  merged_into: z.string().nullable(),
  created_at: z.number(),
  updated_at: z.number(),
  last_login_at: z.number().nullable(),
});

type ProfileColumn = (typeof PROFILE_COLUMNS)[number];
type ProfileValues = Partial<Pick<Selectable<UsersTable>, ProfileColumn>>;

const mergeSnapshotSchema = z.object({
  user: userRowSchema,
  identityIds: z.array(z.string()),
  unionids: z.array(z.object({ open_platform_id: z.string(), unionid: z.string() })),
  identifierIds: z.array(z.string()),
  suggestionIds: z.array(z.string()),
  /** The target's profile columns the merge filled, as they were (absent in older records). */
  targetBefore: userRowSchema
    .pick(Object.fromEntries(PROFILE_COLUMNS.map((c) => [c, true])) as Record<ProfileColumn, true>)
    .partial()
    .optional(),
  targetUpdatedAt: z.number().optional(),
});

export type MergeSnapshot = z.output<typeof mergeSnapshotSchema>;

export interface MergeResult {
  mergeId: string;
  kind: 'merge' | 'move';
  targetUserId: string;
  sourceUserId: string;
  moved: { identities: number; unionids: number; identifiers: number };
}

/** What a merge would put into one account twice: two openids of one app, or two unionids of one Open Platform account. */
export type MergeConflict =
  | { kind: 'appid'; appid: string; targetOpenid: string; sourceOpenid: string }
  | { kind: 'open_platform'; openPlatformId: string; targetUnionid: string; sourceUnionid: string };

/**
 * The conflicts merging `sourceUserId` into `targetUserId` would create. Reads both users' own
 * rows (indexed by user), a handful per person.
 */
export async function findMergeConflicts(db: Kysely<Tables>, targetUserId: string, sourceUserId: string): Promise<MergeConflict[]> {
  const people = async (userId: string) => {
    const [rows, claims] = await Promise.all([
      db.selectFrom('wechat_identities').select(['appid', 'openid', 'open_platform_id', 'unionid']).where('user_id', '=', userId).execute(),
      db.selectFrom('unionid_owners').select(['open_platform_id', 'unionid']).where('user_id', '=', userId).execute(),
    ]);
    const openids = new Map(rows.map((r) => [r.appid, r.openid]));
    const unionids = new Map<string, string>();
    for (const claim of claims) unionids.set(claim.open_platform_id, claim.unionid);
    for (const row of rows) {
      if (row.open_platform_id !== null && row.unionid !== null && !unionids.has(row.open_platform_id)) {
        unionids.set(row.open_platform_id, row.unionid);
      }
    }
    return { openids, unionids };
  };
  const [target, source] = await Promise.all([people(targetUserId), people(sourceUserId)]);
  const conflicts: MergeConflict[] = [];
  for (const [appid, sourceOpenid] of source.openids) {
    const targetOpenid = target.openids.get(appid);
    if (targetOpenid !== undefined && targetOpenid !== sourceOpenid) conflicts.push({ kind: 'appid', appid, targetOpenid, sourceOpenid });
  }
  for (const [openPlatformId, sourceUnionid] of source.unionids) {
    const targetUnionid = target.unionids.get(openPlatformId);
    if (targetUnionid !== undefined && targetUnionid !== sourceUnionid) {
      conflicts.push({ kind: 'open_platform', openPlatformId, targetUnionid, sourceUnionid });
    }
  }
  return conflicts;
}

async function findUser(db: Kysely<Tables>, id: string): Promise<Selectable<UsersTable> | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Merges `sourceUserId` into `targetUserId` inside the caller's transaction. */
export async function mergeUsers(
  trx: Kysely<Tables>,
  input: {
    targetUserId: string;
    sourceUserId: string;
    actor: Actor;
    now?: number;
    /** The admin confirmed a merge that puts two WeChat people of one app / Open Platform account into one account. */
    allowConflicts?: boolean;
  },
): Promise<MergeResult> {
  const now = input.now ?? Date.now();
  const { targetUserId, sourceUserId } = input;
  if (targetUserId === sourceUserId) throw new AppError('merge_refused', 'A user cannot be merged into itself');
  // Lock both rows (a no-op update that only matches an active user), always in id order, so two
  // opposite merges of the same pair cannot both pass their checks or deadlock each other.
  for (const id of [targetUserId, sourceUserId].sort()) {
    const locked = await trx
      .updateTable('users')
      .set({ status: 'active' })
      .where('id', '=', id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (locked.numUpdatedRows === 1n) continue;
    const user = await findUser(trx, id);
    if (user === undefined) throw new AppError('not_found', `No user ${id}`);
    if (user.status === 'blocked') throw new AppError('merge_refused', `User ${id} is blocked; unblock it before merging`);
    throw new AppError('merge_refused', `User ${id} is ${user.status}`);
  }
  const source = await findUser(trx, sourceUserId);
  if (source === undefined) throw new AppError('not_found', `No user ${sourceUserId}`);
  const target = await findUser(trx, targetUserId);
  if (target === undefined) throw new AppError('not_found', `No user ${targetUserId}`);
  if (input.allowConflicts !== true) {
    const conflicts = await findMergeConflicts(trx, targetUserId, sourceUserId);
    if (conflicts.length > 0) {
      throw new AppError(
        'merge_conflict',
        'Both accounts hold a different WeChat person of the same app or Open Platform account; merging puts two people into one account. Confirm with allowConflicts to merge anyway',
        { details: { conflicts } },
      );
    }
  }

  const identities = await trx.selectFrom('wechat_identities').select('id').where('user_id', '=', sourceUserId).execute();
  const unionids = await trx
    .selectFrom('unionid_owners')
    .select(['open_platform_id', 'unionid'])
    .where('user_id', '=', sourceUserId)
    .execute();
  const identifiers = await trx.selectFrom('user_identifiers').select('id').where('user_id', '=', sourceUserId).execute();
  const suggestions = await trx
    .selectFrom('merge_suggestions')
    .select('id')
    .where('status', '=', 'open')
    .where((eb) =>
      eb.or([
        eb.and([eb('user_id', '=', targetUserId), eb('other_user_id', '=', sourceUserId)]),
        eb.and([eb('user_id', '=', sourceUserId), eb('other_user_id', '=', targetUserId)]),
      ]),
    )
    .execute();
  // The target keeps what it has; what it lacks comes from the source, a verified value with its flag.
  const filled: ProfileValues = {};
  const targetBefore: ProfileValues = {};
  for (const column of ['name', 'nickname', 'picture', 'gender', 'locale'] as const) {
    if (target[column] === null && source[column] !== null) {
      filled[column] = source[column];
      targetBefore[column] = target[column];
    }
  }
  if (target.phone_number === null && source.phone_number !== null) {
    Object.assign(filled, { phone_number: source.phone_number, phone_number_verified: source.phone_number_verified });
    Object.assign(targetBefore, { phone_number: null, phone_number_verified: target.phone_number_verified });
  }
  if (target.email === null && source.email !== null) {
    Object.assign(filled, { email: source.email, email_verified: source.email_verified });
    Object.assign(targetBefore, { email: null, email_verified: target.email_verified });
  }
  const snapshot: MergeSnapshot = {
    user: source,
    identityIds: identities.map((r) => r.id),
    unionids,
    identifierIds: identifiers.map((r) => r.id),
    suggestionIds: suggestions.map((r) => r.id),
    targetBefore,
    targetUpdatedAt: target.updated_at,
  };

  await trx
    .updateTable('users')
    .set({ status: 'merged', merged_into: targetUserId, updated_at: now })
    .where('id', '=', sourceUserId)
    .execute();
  if (Object.keys(filled).length > 0) {
    await trx
      .updateTable('users')
      .set({ ...filled, updated_at: now })
      .where('id', '=', targetUserId)
      .execute();
  }
  await trx.updateTable('wechat_identities').set({ user_id: targetUserId }).where('user_id', '=', sourceUserId).execute();
  await trx.updateTable('unionid_owners').set({ user_id: targetUserId }).where('user_id', '=', sourceUserId).execute();
  await trx.updateTable('user_identifiers').set({ user_id: targetUserId }).where('user_id', '=', sourceUserId).execute();
  if (snapshot.suggestionIds.length > 0) {
    await trx
      .updateTable('merge_suggestions')
      .set({ status: 'merged', resolved_at: now })
      .where('id', 'in', snapshot.suggestionIds)
      .execute();
  }
  const mergeId = newId('mrg');
  await trx
    .insertInto('merge_records')
    .values({
      id: mergeId,
      target_user_id: targetUserId,
      source_user_id: sourceUserId,
      source_snapshot: JSON.stringify(snapshot),
      kind: 'merge',
      actor_kind: input.actor.kind,
      actor_id: input.actor.id,
      created_at: now,
      undone_at: null,
    })
    .execute();
  const moved = { identities: identities.length, unionids: unionids.length, identifiers: identifiers.length };
  await recordAudit(
    trx,
    {
      actor: input.actor,
      action: 'user.merged',
      subjectId: targetUserId,
      ...(Object.keys(filled).length > 0 ? { before: targetBefore } : {}),
      after: { mergeId, sourceUserId, moved, ...(Object.keys(filled).length > 0 ? { profile: filled } : {}) },
    },
    now,
  );
  await recordAudit(
    trx,
    {
      actor: input.actor,
      action: 'user.merged_into',
      subjectId: sourceUserId,
      before: source,
      after: { mergeId, status: 'merged', merged_into: targetUserId },
    },
    now,
  );
  return { mergeId, kind: 'merge', targetUserId, sourceUserId, moved };
}

/**
 * Moves one WeChat person — the ledger rows of `person` (their row in one app, and every row under
 * their unionid and Open Platform account) and that unionid's claim — from `sourceUserId` to
 * `targetUserId`, the account the person chose. When those rows are all the source holds (and it
 * has no password), the source *is* this person's other account and is merged whole instead, so
 * its verified phone and email come along. Either way it is recorded and can be undone.
 */
export async function moveWechatPerson(
  trx: Kysely<Tables>,
  input: {
    targetUserId: string;
    sourceUserId: string;
    person: { appid: string; openid: string; openPlatformId: string | null; unionid: string | undefined };
    actor: Actor;
    now?: number;
  },
): Promise<MergeResult> {
  const now = input.now ?? Date.now();
  const { targetUserId, sourceUserId, person } = input;
  const rows = await trx
    .selectFrom('wechat_identities')
    .select(['id', 'appid', 'openid', 'open_platform_id', 'unionid'])
    .where('user_id', '=', sourceUserId)
    .execute();
  const isPerson = (row: (typeof rows)[number]) =>
    (row.appid === person.appid && row.openid === person.openid) ||
    (person.openPlatformId !== null &&
      person.unionid !== undefined &&
      row.open_platform_id === person.openPlatformId &&
      row.unionid === person.unionid);
  const moving = rows.filter(isPerson);
  const [password, otherClaims] = await Promise.all([
    trx.selectFrom('password_credentials').select('user_id').where('user_id', '=', sourceUserId).executeTakeFirst(),
    trx
      .selectFrom('unionid_owners')
      .select('unionid')
      .where('user_id', '=', sourceUserId)
      .where((eb) =>
        person.openPlatformId === null || person.unionid === undefined
          ? eb.val(true)
          : eb.or([eb('open_platform_id', '<>', person.openPlatformId), eb('unionid', '<>', person.unionid)]),
      )
      .limit(1)
      .executeTakeFirst(),
  ]);
  if (moving.length === rows.length && password === undefined && otherClaims === undefined) {
    try {
      return await mergeUsers(trx, { targetUserId, sourceUserId, actor: input.actor, now });
    } catch (error) {
      // Merging whole would put two people into one account: move only this person instead.
      if (!(error instanceof AppError && error.code === 'merge_conflict')) throw error;
    }
  }
  const source = await findUser(trx, sourceUserId);
  if (source === undefined) throw new AppError('not_found', `No user ${sourceUserId}`);
  const identityIds = moving.map((r) => r.id);
  if (identityIds.length > 0) {
    await trx.updateTable('wechat_identities').set({ user_id: targetUserId }).where('id', 'in', identityIds).execute();
  }
  const unionids: { open_platform_id: string; unionid: string }[] = [];
  if (person.openPlatformId !== null && person.unionid !== undefined) {
    const claim = await trx
      .updateTable('unionid_owners')
      .set({ user_id: targetUserId })
      .where('open_platform_id', '=', person.openPlatformId)
      .where('unionid', '=', person.unionid)
      .where('user_id', '=', sourceUserId)
      .executeTakeFirst();
    if (claim.numUpdatedRows === 1n) unionids.push({ open_platform_id: person.openPlatformId, unionid: person.unionid });
  }
  const snapshot: MergeSnapshot = { user: source, identityIds, unionids, identifierIds: [], suggestionIds: [] };
  const mergeId = newId('mrg');
  await trx
    .insertInto('merge_records')
    .values({
      id: mergeId,
      target_user_id: targetUserId,
      source_user_id: sourceUserId,
      source_snapshot: JSON.stringify(snapshot),
      kind: 'move',
      actor_kind: input.actor.kind,
      actor_id: input.actor.id,
      created_at: now,
      undone_at: null,
    })
    .execute();
  const moved = { identities: identityIds.length, unionids: unionids.length, identifiers: 0 };
  await recordAudit(
    trx,
    { actor: input.actor, action: 'identity.moved', subjectId: targetUserId, after: { mergeId, sourceUserId, identityIds, unionids } },
    now,
  );
  await recordAudit(
    trx,
    { actor: input.actor, action: 'identity.moved_out', subjectId: sourceUserId, after: { mergeId, targetUserId, identityIds, unionids } },
    now,
  );
  return { mergeId, kind: 'move', targetUserId, sourceUserId, moved };
}

const PROFILE_FIELDS = [
  'name',
  'nickname',
  'picture',
  'gender',
  'locale',
  'phoneNumber',
  'phoneNumberVerified',
  'email',
  'emailVerified',
] as const satisfies readonly (keyof UserDetail)[];

export interface MergePreview {
  target: UserDetail;
  source: UserDetail;
  result: {
    identitiesMoving: WechatIdentityView[];
    identifiersMoving: UserDetail['identifiers'];
    profile: { field: string; target: unknown; source: unknown; result: unknown }[];
  };
  allowed: boolean;
  refusal: { code: string; detail: string } | null;
  /** Two WeChat people of one app or Open Platform account would end up in one account: the merge needs `allowConflicts`. */
  conflicts: MergeConflict[];
}

/** Carries what the rehearsed merge produced out of the transaction it rolls back. */
class RehearsalRollback extends Error {
  readonly after: UserDetail;
  constructor(after: UserDetail) {
    super('merge preview rolled back');
    this.after = after;
  }
}

/**
 * What `mergeUsers` would do, without doing it. It runs the real merge inside a transaction and
 * rolls it back, rather than a second copy of the merge's rules: a preview that re-implemented the
 * checks and moves could drift from the merge (and the console would promise one thing and do
 * another); a rehearsal cannot. It costs the merge's row locks for the length of one transaction,
 * and writes nothing (merge record, audit entries and moves all roll back).
 */
export async function previewMerge(db: Kysely<Tables>, input: { targetUserId: string; sourceUserId: string }): Promise<MergePreview> {
  const [target, source, conflicts] = await Promise.all([
    getUserDetail(db, input.targetUserId),
    getUserDetail(db, input.sourceUserId),
    findMergeConflicts(db, input.targetUserId, input.sourceUserId),
  ]);
  let after: UserDetail;
  try {
    await db.transaction().execute(async (trx) => {
      await mergeUsers(trx, { ...input, actor: { kind: 'system', id: null }, allowConflicts: true });
      throw new RehearsalRollback(await getUserDetail(trx, input.targetUserId));
    });
    throw new Error('the merge rehearsal was not rolled back');
  } catch (error) {
    if (error instanceof RehearsalRollback) {
      after = error.after;
    } else if (error instanceof AppError && error.code === 'merge_refused') {
      return {
        target,
        source,
        result: { identitiesMoving: [], identifiersMoving: [], profile: profileRows(target, source, target) },
        allowed: false,
        refusal: { code: error.code, detail: error.message },
        conflicts,
      };
    } else {
      throw error;
    }
  }
  const had = new Set(target.identities.map((i) => i.id));
  const hadIdentifiers = new Set(target.identifiers.map((i) => `${i.kind}:${i.value}`));
  return {
    target,
    source,
    result: {
      identitiesMoving: after.identities.filter((i) => !had.has(i.id)),
      identifiersMoving: after.identifiers.filter((i) => !hadIdentifiers.has(`${i.kind}:${i.value}`)),
      profile: profileRows(target, source, after),
    },
    allowed: true,
    refusal: null,
    conflicts,
  };
}

function profileRows(target: UserDetail, source: UserDetail, result: UserDetail): MergePreview['result']['profile'] {
  return PROFILE_FIELDS.map((field) => ({ field, target: target[field], source: source[field], result: result[field] }));
}

/**
 * Undoes a merge inside the caller's transaction. Refused when anything it moved has since moved
 * again (unlinked, or merged further): restoring part of it would not be the state before.
 */
export async function unmergeUsers(trx: Kysely<Tables>, input: { mergeId: string; actor: Actor; now?: number }): Promise<MergeResult> {
  const now = input.now ?? Date.now();
  // Claiming the record first makes a second, concurrent undo of the same merge wait, then refuse.
  const claimed = await trx
    .updateTable('merge_records')
    .set({ undone_at: now })
    .where('id', '=', input.mergeId)
    .where('undone_at', 'is', null)
    .executeTakeFirst();
  const record = await trx.selectFrom('merge_records').selectAll().where('id', '=', input.mergeId).executeTakeFirst();
  if (record === undefined) throw new AppError('not_found', `No merge ${input.mergeId}`);
  if (claimed.numUpdatedRows !== 1n) throw new AppError('unmerge_refused', 'This merge was already undone');
  const snapshot = mergeSnapshotSchema.parse(JSON.parse(record.source_snapshot));
  const target = record.target_user_id;
  const source = await findUser(trx, record.source_user_id);
  const kind = record.kind === 'move' ? 'move' : 'merge';
  if (kind === 'merge' && (source === undefined || source.status !== 'merged' || source.merged_into !== target)) {
    throw new AppError('unmerge_refused', `User ${record.source_user_id} is no longer merged into ${target}`);
  }
  if (kind === 'move' && (source === undefined || source.status === 'merged' || source.status === 'deleted')) {
    throw new AppError('unmerge_refused', `User ${record.source_user_id} is no longer there to move the identities back to`);
  }
  if (source === undefined) throw new AppError('unmerge_refused');
  const stillThere = async (count: Promise<{ n: number | string | bigint } | undefined>, expected: number, what: string) => {
    const row = await count;
    if (Number(row?.n ?? 0) !== expected) {
      throw new AppError('unmerge_refused', `Some ${what} moved by this merge have changed since; undo later changes first`);
    }
  };
  if (snapshot.identityIds.length > 0) {
    await stillThere(
      trx
        .selectFrom('wechat_identities')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('id', 'in', snapshot.identityIds)
        .where('user_id', '=', target)
        .executeTakeFirst(),
      snapshot.identityIds.length,
      'WeChat identities',
    );
  }
  if (snapshot.identifierIds.length > 0) {
    await stillThere(
      trx
        .selectFrom('user_identifiers')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('id', 'in', snapshot.identifierIds)
        .where('user_id', '=', target)
        .executeTakeFirst(),
      snapshot.identifierIds.length,
      'identifiers',
    );
  }
  for (const claim of snapshot.unionids) {
    const owner = await trx
      .selectFrom('unionid_owners')
      .select('user_id')
      .where('open_platform_id', '=', claim.open_platform_id)
      .where('unionid', '=', claim.unionid)
      .executeTakeFirst();
    if (owner?.user_id !== target) throw new AppError('unmerge_refused', 'A unionid moved by this merge has changed since');
  }

  // The source's person may have signed in through another app since (their unionid led to the
  // target): those ledger rows are theirs too and go back with their unionid, or the undo would
  // leave that person split across both accounts.
  const later: string[] = [];
  for (const claim of snapshot.unionids) {
    const rows = await trx
      .selectFrom('wechat_identities')
      .select('id')
      .where('user_id', '=', target)
      .where('open_platform_id', '=', claim.open_platform_id)
      .where('unionid', '=', claim.unionid)
      .execute();
    for (const row of rows) if (!snapshot.identityIds.includes(row.id)) later.push(row.id);
  }
  const identityIds = [...snapshot.identityIds, ...later];
  if (identityIds.length > 0) {
    await trx.updateTable('wechat_identities').set({ user_id: source.id }).where('id', 'in', identityIds).execute();
  }
  if (snapshot.identifierIds.length > 0) {
    await trx.updateTable('user_identifiers').set({ user_id: source.id }).where('id', 'in', snapshot.identifierIds).execute();
  }
  for (const claim of snapshot.unionids) {
    await trx
      .updateTable('unionid_owners')
      .set({ user_id: source.id })
      .where('open_platform_id', '=', claim.open_platform_id)
      .where('unionid', '=', claim.unionid)
      .execute();
  }
  if (snapshot.suggestionIds.length > 0) {
    await trx
      .updateTable('merge_suggestions')
      .set({ status: 'open', resolved_at: null })
      .where('id', 'in', snapshot.suggestionIds)
      .execute();
  }
  const moved = { identities: identityIds.length, unionids: snapshot.unionids.length, identifiers: snapshot.identifierIds.length };
  if (kind === 'move') {
    await recordAudit(
      trx,
      {
        actor: input.actor,
        action: 'identity.moved_back',
        subjectId: source.id,
        after: { mergeId: record.id, identityIds, targetUserId: target },
      },
      now,
    );
    return { mergeId: record.id, kind, targetUserId: target, sourceUserId: source.id, moved };
  }
  const { id: _id, ...restored } = snapshot.user;
  await trx.updateTable('users').set(restored).where('id', '=', source.id).execute();
  // The target's profile fields the merge filled go back to what they were.
  const targetBefore = snapshot.targetBefore ?? {};
  if (Object.keys(targetBefore).length > 0) {
    // Untouched since the merge: back to the row as it was; changed since: the fields only.
    const current = await findUser(trx, target);
    const untouched = current?.updated_at === record.created_at && snapshot.targetUpdatedAt !== undefined;
    await trx
      .updateTable('users')
      .set({ ...targetBefore, updated_at: untouched && snapshot.targetUpdatedAt !== undefined ? snapshot.targetUpdatedAt : now })
      .where('id', '=', target)
      .execute();
  }
  await recordAudit(trx, { actor: input.actor, action: 'user.unmerged', subjectId: source.id, before: source, after: snapshot.user }, now);
  await recordAudit(
    trx,
    {
      actor: input.actor,
      action: 'user.unmerged_from',
      subjectId: target,
      after: {
        mergeId: record.id,
        moved,
        ...(later.length > 0 ? { laterIdentityIds: later } : {}),
        ...(Object.keys(targetBefore).length > 0 ? { profile: targetBefore } : {}),
      },
    },
    now,
  );
  return { mergeId: record.id, kind, targetUserId: target, sourceUserId: source.id, moved };
}

export interface MergeRecordView {
  id: string;
  kind: 'merge' | 'move';
  targetUserId: string;
  sourceUserId: string;
  actor: { kind: string; id: string | null; name: string | null };
  createdAt: number;
  undoneAt: number | null;
}

/** Merge records (newest first), optionally those involving one user, to find what to undo. */
export async function listMerges(
  db: Kysely<Tables>,
  filter: { userId?: string | undefined; cursor?: string | undefined; limit: number },
): Promise<{ merges: MergeRecordView[]; nextCursor: string | null }> {
  // The name is the one the merge's own audit entry recorded (same transaction, same time, same
  // target), so it reads right after the account or key is renamed or gone; merges from before
  // names were recorded fall back to the key's or account's current name.
  let query = db
    .selectFrom('merge_records')
    .leftJoin('admin_keys', (join) =>
      join.onRef('admin_keys.id', '=', 'merge_records.actor_id').on('merge_records.actor_kind', '=', 'admin_key'),
    )
    .leftJoin('admin_accounts', (join) =>
      join.onRef('admin_accounts.id', '=', 'merge_records.actor_id').on('merge_records.actor_kind', '=', 'admin'),
    )
    .select([
      'merge_records.id',
      'merge_records.kind',
      'merge_records.target_user_id',
      'merge_records.source_user_id',
      'merge_records.actor_kind',
      'merge_records.actor_id',
      'merge_records.created_at',
      'merge_records.undone_at',
      'admin_keys.name as key_name',
      'admin_accounts.username as admin_username',
    ])
    .select((eb) =>
      eb
        .selectFrom('audit_log')
        .select('audit_log.actor_name')
        .where('audit_log.action', '=', 'user.merged')
        .whereRef('audit_log.subject_id', '=', 'merge_records.target_user_id')
        .whereRef('audit_log.at', '=', 'merge_records.created_at')
        .whereRef('audit_log.actor_kind', '=', 'merge_records.actor_kind')
        .limit(1)
        .as('audit_actor_name'),
    );
  const userId = filter.userId;
  if (userId !== undefined) {
    query = query.where((eb) => eb.or([eb('merge_records.target_user_id', '=', userId), eb('merge_records.source_user_id', '=', userId)]));
  }
  if (filter.cursor !== undefined) query = query.where('merge_records.id', '<', filter.cursor);
  const rows = await query
    .orderBy('merge_records.id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const { page, nextCursor } = cursorPage(rows, filter.limit);
  return {
    merges: page.map((r) => ({
      id: r.id,
      kind: r.kind === 'move' ? 'move' : 'merge',
      targetUserId: r.target_user_id,
      sourceUserId: r.source_user_id,
      actor: { kind: r.actor_kind, id: r.actor_id, name: r.audit_actor_name ?? r.key_name ?? r.admin_username ?? null },
      createdAt: r.created_at,
      undoneAt: r.undone_at,
    })),
    nextCursor,
  };
}

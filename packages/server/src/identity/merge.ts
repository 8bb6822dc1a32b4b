/**
 * Merging user B (source) into user A (target), and undoing it exactly.
 *
 * A merge moves B's WeChat ledger rows, unionid claims and verified identifiers to A, marks B
 * `merged` (pointing at A) and keeps a merge record with B's row as it was and the ids of
 * everything moved. Undo moves exactly those back and restores B's row byte for byte. Nothing is
 * deleted, so history (audit, ids other systems hold) survives. A blocked user, a user into itself,
 * or a user that is no longer active cannot be merged.
 */
import { AppError } from '@weunion/errors';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import type { Tables, UsersTable } from '../storage/schema.ts';
import { type Actor, recordAudit } from './audit.ts';
import { newId } from './ids.ts';
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

const mergeSnapshotSchema = z.object({
  user: userRowSchema,
  identityIds: z.array(z.string()),
  unionids: z.array(z.object({ open_platform_id: z.string(), unionid: z.string() })),
  identifierIds: z.array(z.string()),
  suggestionIds: z.array(z.string()),
});

export type MergeSnapshot = z.output<typeof mergeSnapshotSchema>;

export interface MergeResult {
  mergeId: string;
  targetUserId: string;
  sourceUserId: string;
  moved: { identities: number; unionids: number; identifiers: number };
}

async function findUser(db: Kysely<Tables>, id: string): Promise<Selectable<UsersTable> | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Merges `sourceUserId` into `targetUserId` inside the caller's transaction. */
export async function mergeUsers(
  trx: Kysely<Tables>,
  input: { targetUserId: string; sourceUserId: string; actor: Actor; now?: number },
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
  const snapshot: MergeSnapshot = {
    user: source,
    identityIds: identities.map((r) => r.id),
    unionids,
    identifierIds: identifiers.map((r) => r.id),
    suggestionIds: suggestions.map((r) => r.id),
  };

  await trx
    .updateTable('users')
    .set({ status: 'merged', merged_into: targetUserId, updated_at: now })
    .where('id', '=', sourceUserId)
    .execute();
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
      actor_kind: input.actor.kind,
      actor_id: input.actor.id,
      created_at: now,
      undone_at: null,
    })
    .execute();
  const moved = { identities: identities.length, unionids: unionids.length, identifiers: identifiers.length };
  await recordAudit(
    trx,
    { actor: input.actor, action: 'user.merged', subjectId: targetUserId, after: { mergeId, sourceUserId, moved } },
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
  return { mergeId, targetUserId, sourceUserId, moved };
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
  const [target, source] = await Promise.all([getUserDetail(db, input.targetUserId), getUserDetail(db, input.sourceUserId)]);
  let after: UserDetail;
  try {
    await db.transaction().execute(async (trx) => {
      await mergeUsers(trx, { ...input, actor: { kind: 'system', id: null } });
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
  if (source === undefined || source.status !== 'merged' || source.merged_into !== target) {
    throw new AppError('unmerge_refused', `User ${record.source_user_id} is no longer merged into ${target}`);
  }
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

  if (snapshot.identityIds.length > 0) {
    await trx.updateTable('wechat_identities').set({ user_id: source.id }).where('id', 'in', snapshot.identityIds).execute();
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
  const { id: _id, ...restored } = snapshot.user;
  await trx.updateTable('users').set(restored).where('id', '=', source.id).execute();
  const moved = { identities: snapshot.identityIds.length, unionids: snapshot.unionids.length, identifiers: snapshot.identifierIds.length };
  await recordAudit(trx, { actor: input.actor, action: 'user.unmerged', subjectId: source.id, before: source, after: snapshot.user }, now);
  await recordAudit(
    trx,
    { actor: input.actor, action: 'user.unmerged_from', subjectId: target, after: { mergeId: record.id, moved } },
    now,
  );
  return { mergeId: record.id, targetUserId: target, sourceUserId: source.id, moved };
}

export interface MergeRecordView {
  id: string;
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
  const page = rows.slice(0, filter.limit);
  return {
    merges: page.map((r) => ({
      id: r.id,
      targetUserId: r.target_user_id,
      sourceUserId: r.source_user_id,
      actor: { kind: r.actor_kind, id: r.actor_id, name: r.audit_actor_name ?? r.key_name ?? r.admin_username ?? null },
      createdAt: r.created_at,
      undoneAt: r.undone_at,
    })),
    nextCursor: rows.length > filter.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

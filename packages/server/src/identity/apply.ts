/**
 * Applying a resolution: one transaction that looks up the facts, resolves, and writes the result.
 *
 * Concurrency is settled by the database, not by locks in this process: every "one X per Y" rule
 * is a unique constraint, and when a concurrent login wins a race (two first logins both try to
 * create the person, or to add the same app's row), the loser's transaction fails on the constraint
 * and the whole look-up-resolve-apply runs again, now seeing the winner's rows. Writes happen in a
 * fixed order (user, unionid claim, identifiers, ledger row, suggestions, audit) so PostgreSQL
 * transactions cannot deadlock on each other.
 */
import { AppError } from '@weunion/errors';
import type { Kysely } from 'kysely';
import { recordLoginStat } from '../stats/login-stats.ts';
import type { Database } from '../storage/database.ts';
import { isUniqueViolation } from '../storage/database.ts';
import type { Tables } from '../storage/schema.ts';
import { type IdentityAssertion, normalizeEmail } from './assertion.ts';
import { type Actor, recordAudit, SYSTEM_ACTOR } from './audit.ts';
import { findKnownFacts } from './facts.ts';
import { newId } from './ids.ts';
import { mergeUsers } from './merge.ts';
import type { BindingMethod, IdentityPolicy } from './policy.ts';
import { claimsFromWechatProfile, missingClaims } from './profile.ts';
import {
  type IdentityDecision,
  type KnownFacts,
  type MatchSignal,
  type RefusalReason,
  type ResolutionNote,
  refusal,
  resolveIdentity,
  scopedUnionid,
} from './resolve.ts';

export type SignInResult =
  | {
      kind: 'signed_in';
      userId: string;
      /** The ledger row for (appid, openid). */
      identityId: string;
      created: boolean;
      /** The (appid, openid) row was added to an existing user in this sign-in. */
      linked: boolean;
      via: MatchSignal | 'openid' | 'created' | 'selection' | 'binding';
      /** Merge suggestions recorded because of a unionid conflict. */
      suggestionIds: string[];
      /** Users merged into this one automatically (autoMergeOnUnionid). */
      mergeIds: string[];
    }
  | { kind: 'select'; candidates: { userId: string; via: MatchSignal[] }[] }
  | { kind: 'bind'; methods: BindingMethod[]; mayCreateInstead: boolean }
  | { kind: 'refused'; reason: RefusalReason; message: string };

/** The facts changed between look-up and write (a concurrent change); look up again. */
class StaleFacts extends Error {}

const MAX_ATTEMPTS = 12;

function isRetryable(error: unknown): boolean {
  if (error instanceof StaleFacts || isUniqueViolation(error)) return true;
  // PostgreSQL deadlock / serialization failure: the other transaction went ahead; run again.
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return code === '40P01' || code === '40001';
}

/** Runs `work` in a transaction, running it again (with a little jitter) when it lost a race. */
export async function inRetriedTransaction<T>(database: Database, work: (trx: Kysely<Tables>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await database.db.transaction().execute(work);
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }
}

/**
 * Signs a verified WeChat assertion in: resolve it against the database and the connection's
 * policy, then apply the decision. Selection and binding come back as results for the caller to
 * ask the person; nothing is written for them until the follow-up (see `pending-sign-in.ts`).
 */
export async function signInWithAssertion(
  database: Database,
  assertion: IdentityAssertion,
  policy: IdentityPolicy,
  actor: Actor = SYSTEM_ACTOR,
): Promise<SignInResult> {
  const result = await inRetriedTransaction(database, async (trx): Promise<SignInResult> => {
    const facts = await findKnownFacts(trx, assertion);
    const decision = resolveIdentity(assertion, facts, policy);
    switch (decision.kind) {
      case 'refuse':
        return { kind: 'refused', reason: decision.reason, message: decision.message };
      case 'select':
        return { kind: 'select', candidates: decision.candidates };
      case 'bind':
        return { kind: 'bind', methods: decision.methods, mayCreateInstead: decision.mayCreateInstead };
      default:
        return applyDecision(trx, assertion, decision, facts, actor);
    }
  });
  // Counted once the user is committed (a retried transaction would otherwise count twice); the
  // only place a sign-in creates users, so each new user counts exactly once.
  if (result.kind === 'signed_in' && result.created) await recordLoginStat(database.db, { metric: 'new_user', appid: assertion.appid });
  return result;
}

/**
 * Links the assertion to a user the person proved or chose (selection, binding). The chosen user
 * must be active; a unionid owned by someone else is left with them and surfaced as a suggestion.
 */
export async function linkAssertionToUser(
  database: Database,
  assertion: IdentityAssertion,
  userId: string,
  via: 'selection' | 'binding',
  actor: Actor,
): Promise<SignInResult> {
  return inRetriedTransaction(database, async (trx) => {
    const chosen = await trx.selectFrom('users').select('status').where('id', '=', userId).executeTakeFirst();
    if (chosen === undefined || chosen.status !== 'active') {
      return refusalResult(chosen?.status === 'blocked' ? 'account_blocked' : 'account_unavailable');
    }
    const facts = await findKnownFacts(trx, assertion);
    if (facts.identity !== null) {
      if (facts.identity.user.id !== userId) return refusalResult('account_unavailable');
      return applyDecision(trx, assertion, { kind: 'existing', userId, notes: notesForChosenUser(assertion, facts, userId) }, facts, actor);
    }
    return applyDecision(trx, assertion, { kind: 'link', userId, via, notes: notesForChosenUser(assertion, facts, userId) }, facts, actor);
  });
}

function refusalResult(reason: RefusalReason): SignInResult {
  const { message } = refusal(reason);
  return { kind: 'refused', reason, message };
}

/** What linking to a user the person chose or proved takes along, and what stays with others. */
function notesForChosenUser(assertion: IdentityAssertion, facts: KnownFacts, userId: string): ResolutionNote[] {
  const notes: ResolutionNote[] = [];
  if (scopedUnionid(assertion) !== undefined) {
    if (facts.unionidOwner === null) notes.push({ kind: 'claim_unionid' });
    else if (facts.unionidOwner.id !== userId) {
      notes.push({ kind: 'unionid_conflict', openidUserId: userId, unionidUserId: facts.unionidOwner.id, resolution: 'suggest' });
    }
  }
  if (assertion.unionid !== undefined && facts.identity !== null && facts.identity.unionid !== assertion.unionid)
    notes.push({ kind: 'record_unionid' });
  if (assertion.phone !== undefined && facts.phoneOwner === null) notes.push({ kind: 'record_phone' });
  if (assertion.email !== undefined && facts.emailOwner === null) notes.push({ kind: 'record_email' });
  return notes;
}

/** A decision that writes; a link may also come from the person's own choice or proof. */
type WritableDecision =
  | Extract<IdentityDecision, { kind: 'existing' | 'create' }>
  | { kind: 'link'; userId: string; via: MatchSignal | 'selection' | 'binding'; notes: ResolutionNote[] };

async function applyDecision(
  trx: Kysely<Tables>,
  assertion: IdentityAssertion,
  decision: WritableDecision,
  facts: KnownFacts,
  actor: Actor,
): Promise<SignInResult> {
  const now = Date.now();
  const has = (kind: ResolutionNote['kind']) => decision.notes.some((n) => n.kind === kind);
  const unionid = scopedUnionid(assertion);
  const phone = has('record_phone') ? assertion.phone : undefined;
  const email = has('record_email') && assertion.email !== undefined ? normalizeEmail(assertion.email) : undefined;
  const profileJson = assertion.profile === undefined ? null : JSON.stringify(assertion.profile);
  const mergeIds: string[] = [];

  // Merging first: it moves the ledger row this login is about to the unionid's owner.
  for (const note of decision.notes) {
    if (note.kind === 'unionid_conflict' && note.resolution === 'auto_merge') {
      // Resolution only asks for this between two active users, so a refusal here means a
      // concurrent login merged them first: look again and find the merged state.
      const merged = await mergeUsers(trx, {
        targetUserId: note.unionidUserId,
        sourceUserId: note.openidUserId,
        actor: SYSTEM_ACTOR,
        now,
      }).catch((error: unknown) => {
        throw error instanceof AppError && error.code === 'merge_refused' ? new StaleFacts() : error;
      });
      mergeIds.push(merged.mergeId);
    }
  }

  let userId: string;
  if (decision.kind === 'create') {
    userId = newId('usr');
    const claims = claimsFromWechatProfile(assertion.profile);
    const user = {
      id: userId,
      status: 'active' as const,
      name: null,
      nickname: claims.nickname ?? null,
      picture: claims.picture ?? null,
      gender: claims.gender ?? null,
      locale: claims.locale ?? null,
      phone_number: phone ?? null,
      phone_number_verified: phone === undefined ? 0 : 1,
      email: email ?? null,
      email_verified: email === undefined ? 0 : 1,
      merged_into: null,
      created_at: now,
      updated_at: now,
      last_login_at: now,
    };
    await trx.insertInto('users').values(user).execute();
    await recordAudit(
      trx,
      { actor, action: 'user.created', subjectId: userId, after: { ...user, source: { appid: assertion.appid } } },
      now,
    );
  } else {
    userId = decision.userId;
    const current = await trx
      .selectFrom('users')
      .select(['nickname', 'picture', 'gender', 'locale', 'phone_number', 'email', 'status'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (current === undefined || current.status !== 'active') throw new StaleFacts();
    const fill = missingClaims(current, claimsFromWechatProfile(assertion.profile));
    const contact = {
      ...(phone !== undefined && current.phone_number === null ? { phone_number: phone, phone_number_verified: 1 } : {}),
      ...(email !== undefined && current.email === null ? { email, email_verified: 1 } : {}),
    };
    const changes = { ...fill, ...contact };
    const updated = await trx
      .updateTable('users')
      .set({ ...changes, last_login_at: now, ...(Object.keys(changes).length > 0 ? { updated_at: now } : {}) })
      .where('id', '=', userId)
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (updated.numUpdatedRows !== 1n) throw new StaleFacts();
    if (Object.keys(changes).length > 0) {
      await recordAudit(
        trx,
        { actor, action: 'user.profile_updated', subjectId: userId, after: changes, before: pick(current, Object.keys(changes)) },
        now,
      );
    }
  }

  if (has('claim_unionid') && unionid !== undefined && assertion.openPlatformId !== null) {
    await trx
      .insertInto('unionid_owners')
      .values({ open_platform_id: assertion.openPlatformId, unionid, user_id: userId, created_at: now })
      .execute();
  }
  for (const [kind, value] of [
    ['phone', phone],
    ['email', email],
  ] as const) {
    if (value === undefined) continue;
    await trx
      .insertInto('user_identifiers')
      .values({ id: newId('idf'), user_id: userId, kind, value, verified_at: now })
      .execute();
    await recordAudit(trx, { actor, action: 'identifier.added', subjectId: userId, after: { kind, value, source: assertion.appid } }, now);
  }

  let identityId: string;
  if (decision.kind === 'existing') {
    const row = facts.identity;
    if (row === null) throw new StaleFacts();
    identityId = row.id;
    const recordUnionid = has('record_unionid') && assertion.unionid !== undefined;
    const touched = await trx
      .updateTable('wechat_identities')
      .set({
        last_seen_at: now,
        ...(profileJson === null ? {} : { last_profile: profileJson }),
        ...(recordUnionid ? { unionid: assertion.unionid, open_platform_id: assertion.openPlatformId, app_type: assertion.appType } : {}),
      })
      .where('id', '=', row.id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (touched.numUpdatedRows !== 1n) throw new StaleFacts();
    if (recordUnionid) {
      await recordAudit(
        trx,
        {
          actor,
          action: 'identity.unionid_recorded',
          subjectId: userId,
          before: { identityId: row.id, unionid: row.unionid, openPlatformId: row.openPlatformId },
          after: { identityId: row.id, unionid: assertion.unionid, openPlatformId: assertion.openPlatformId },
        },
        now,
      );
    }
  } else {
    identityId = newId('wid');
    const identity = {
      id: identityId,
      user_id: userId,
      appid: assertion.appid,
      app_type: assertion.appType,
      open_platform_id: assertion.openPlatformId,
      openid: assertion.openid,
      unionid: assertion.unionid ?? null,
      first_seen_at: now,
      last_seen_at: now,
      last_profile: profileJson,
    };
    await trx.insertInto('wechat_identities').values(identity).execute();
    const { last_profile: _profile, ...shown } = identity;
    await recordAudit(
      trx,
      {
        actor,
        action: 'identity.linked',
        subjectId: userId,
        after: { ...shown, via: decision.kind === 'link' ? decision.via : 'created' },
      },
      now,
    );
  }

  const suggestionIds: string[] = [];
  for (const note of decision.notes) {
    if (note.kind !== 'unionid_conflict' || note.resolution !== 'suggest') continue;
    const id = await suggestMerge(trx, {
      userId: note.openidUserId,
      otherUserId: note.unionidUserId,
      reason: 'unionid_conflict',
      openPlatformId: assertion.openPlatformId,
      unionid: assertion.unionid ?? null,
      appid: assertion.appid,
      openid: assertion.openid,
      now,
    });
    if (id !== null) suggestionIds.push(id);
  }

  return {
    kind: 'signed_in',
    userId,
    identityId,
    created: decision.kind === 'create',
    linked: decision.kind === 'link',
    via: decision.kind === 'create' ? 'created' : decision.kind === 'link' ? decision.via : 'openid',
    suggestionIds,
    mergeIds,
  };
}

function pick<T extends object>(row: T, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([key]) => keys.includes(key)));
}

/** Records a merge suggestion once per pair and reason; returns its id when newly recorded. */
async function suggestMerge(
  trx: Kysely<Tables>,
  input: {
    userId: string;
    otherUserId: string;
    reason: string;
    openPlatformId: string | null;
    unionid: string | null;
    appid: string;
    openid: string;
    now: number;
  },
): Promise<string | null> {
  const existing = await trx
    .selectFrom('merge_suggestions')
    .select('id')
    .where('user_id', '=', input.userId)
    .where('other_user_id', '=', input.otherUserId)
    .where('reason', '=', input.reason)
    .executeTakeFirst();
  if (existing !== undefined) return null;
  const id = newId('sug');
  await trx
    .insertInto('merge_suggestions')
    .values({
      id,
      user_id: input.userId,
      other_user_id: input.otherUserId,
      reason: input.reason,
      open_platform_id: input.openPlatformId,
      unionid: input.unionid,
      appid: input.appid,
      openid: input.openid,
      status: 'open',
      created_at: input.now,
      resolved_at: null,
    })
    .execute();
  await recordAudit(
    trx,
    {
      actor: SYSTEM_ACTOR,
      action: 'merge_suggestion.created',
      subjectId: input.userId,
      after: { id, otherUserId: input.otherUserId, reason: input.reason },
    },
    input.now,
  );
  return id;
}

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
import { catalogChanged } from '../storage/catalog-cache.ts';
import type { Database } from '../storage/database.ts';
import { isUniqueViolation } from '../storage/database.ts';
import type { Tables } from '../storage/schema.ts';
import { type IdentityAssertion, normalizeEmail } from './assertion.ts';
import { type Actor, recordAudit, SYSTEM_ACTOR } from './audit.ts';
import { findKnownFacts, holdsAnotherPerson } from './facts.ts';
import { newId } from './ids.ts';
import { mergeUsers, moveWechatPerson } from './merge.ts';
import type { BindingMethod, IdentityPolicy } from './policy.ts';
import { claimsFromWechatProfile, missingClaims } from './profile.ts';
import {
  type Candidate,
  type IdentityDecision,
  identifierNotes,
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
  | { kind: 'select'; candidates: Candidate[] }
  | { kind: 'bind'; methods: BindingMethod[]; mayCreateInstead: boolean }
  | { kind: 'refused'; reason: RefusalReason; message: string };

/** Something an operator should hear about once (the caller logs it): see `recordUnboundUnionid`. */
export interface SignInNotice {
  kind: 'unbound_unionid';
  appid: string;
  openPlatformHint: string | null;
}

/** The facts changed between look-up and write (a concurrent change); look up again. */
class StaleFacts extends Error {}

/** An automatic merge would put two WeChat people into one account: resolve again without merging. */
class AutoMergeBlocked extends Error {}

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
  onNotice?: (notice: SignInNotice) => void,
): Promise<SignInResult> {
  const notices: SignInNotice[] = [];
  const attempt = (effective: IdentityPolicy) =>
    inRetriedTransaction(database, async (trx): Promise<SignInResult> => {
      notices.length = 0;
      const facts = await findKnownFacts(trx, assertion);
      const decision = resolveIdentity(assertion, facts, effective);
      switch (decision.kind) {
        case 'refuse':
          await recordNotes(trx, assertion, decision.notes, facts, notices);
          return { kind: 'refused', reason: decision.reason, message: decision.message };
        case 'select':
          await recordNotes(trx, assertion, decision.notes, facts, notices);
          return { kind: 'select', candidates: decision.candidates };
        case 'bind':
          await recordNotes(trx, assertion, decision.notes, facts, notices);
          return { kind: 'bind', methods: decision.methods, mayCreateInstead: decision.mayCreateInstead };
        default:
          return applyDecision(trx, assertion, decision, facts, actor, notices);
      }
    });
  let result: SignInResult;
  try {
    result = await attempt(policy);
  } catch (error) {
    if (!(error instanceof AutoMergeBlocked)) throw error;
    result = await attempt({ ...policy, autoMergeOnUnionid: false });
  }
  for (const notice of notices) onNotice?.(notice);
  // The connection row changed (unionid first seen): every instance's catalog cache hears of it.
  if (notices.some((notice) => notice.kind === 'unbound_unionid')) await catalogChanged(database.db);
  // Counted once the user is committed (a retried transaction would otherwise count twice); the
  // only place a sign-in creates users, so each new user counts exactly once.
  if (result.kind === 'signed_in' && result.created) await recordLoginStat(database.db, { metric: 'new_user', appid: assertion.appid });
  return result;
}

/**
 * Links the assertion to a user the person chose (selection) or proved (binding). The choice is the
 * person's, not one app's: their WeChat identities elsewhere — the row of this app and every row
 * under their unionid — follow the chosen account through a recorded, undoable move (or a merge,
 * when the other account held nothing but this person), so every scenario agrees afterwards.
 * The chosen user must be active and must not hold another WeChat person of this app or Open
 * Platform account (`binding_conflict`).
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
    if (await holdsAnotherPerson(trx, userId, assertion)) {
      throw new AppError(
        'binding_conflict',
        'That account is already linked to a different WeChat account of this app; sign in with that WeChat account, or ask an administrator',
      );
    }
    const before = await findKnownFacts(trx, assertion);
    const unionid = scopedUnionid(assertion);
    const others = new Set<string>();
    if (before.identity !== null && before.identity.user.id !== userId) others.add(before.identity.user.id);
    if (unionid !== undefined) {
      for (const user of [before.unionidOwner, ...before.unionidHolders]) if (user !== null && user.id !== userId) others.add(user.id);
    }
    const now = Date.now();
    for (const sourceUserId of [...others].sort()) {
      await moveWechatPerson(trx, {
        targetUserId: userId,
        sourceUserId,
        person: { appid: assertion.appid, openid: assertion.openid, openPlatformId: assertion.openPlatformId, unionid },
        actor,
        now,
      }).catch((error: unknown) => {
        throw error instanceof AppError && (error.code === 'merge_refused' || error.code === 'not_found') ? new StaleFacts() : error;
      });
    }
    const facts = others.size === 0 ? before : await findKnownFacts(trx, assertion);
    const notes = notesForChosenUser(assertion, facts, userId);
    if (facts.identity !== null) {
      if (facts.identity.user.id !== userId) throw new StaleFacts();
      return applyDecision(trx, assertion, { kind: 'existing', userId, notes }, facts, actor, []);
    }
    return applyDecision(trx, assertion, { kind: 'link', userId, via, notes }, facts, actor, []);
  });
}

function refusalResult(reason: RefusalReason): SignInResult {
  const { message } = refusal(reason);
  return { kind: 'refused', reason, message };
}

/** What linking to a user the person chose or proved takes along, and what stays with others. */
function notesForChosenUser(assertion: IdentityAssertion, facts: KnownFacts, userId: string): ResolutionNote[] {
  const notes: ResolutionNote[] = [];
  if (scopedUnionid(assertion) !== undefined && facts.unionidOwner === null) notes.push({ kind: 'claim_unionid' });
  if (
    assertion.unionid !== undefined &&
    facts.identity !== null &&
    (facts.identity.unionid !== assertion.unionid || facts.identity.openPlatformId !== assertion.openPlatformId)
  ) {
    notes.push({ kind: 'record_unionid' });
  }
  notes.push(...identifierNotes(assertion, facts, userId));
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
  notices: SignInNotice[],
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
        if (error instanceof AppError && error.code === 'merge_conflict') throw new AutoMergeBlocked();
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
    // A verified value the user holds (or gains now) is their profile's when it has none: after a
    // merge moved the identifier, or an admin cleared the field, a fresh WeChat phone restores it.
    const ownPhone = phone ?? (facts.phoneOwner?.id === userId ? assertion.phone : undefined);
    const ownEmail =
      email ?? (facts.emailOwner?.id === userId && assertion.email !== undefined ? normalizeEmail(assertion.email) : undefined);
    const contact = {
      ...(ownPhone !== undefined && current.phone_number === null ? { phone_number: ownPhone, phone_number_verified: 1 } : {}),
      ...(ownEmail !== undefined && current.email === null ? { email: ownEmail, email_verified: 1 } : {}),
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
        ...(assertion.phone === undefined ? {} : { phone: assertion.phone, phone_verified_at: now }),
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
      phone: assertion.phone ?? null,
      phone_verified_at: assertion.phone === undefined ? null : now,
      last_profile: profileJson,
    };
    await trx.insertInto('wechat_identities').values(identity).execute();
    const { last_profile: _profile, phone: _phone, phone_verified_at: _phoneAt, ...shown } = identity;
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

  // The holder's own WeChat verified the disputed number again: it is theirs, matching resumes.
  if (assertion.phone !== undefined && facts.phoneDisputed === true && facts.phoneOwner?.id === userId) {
    await trx
      .updateTable('user_identifiers')
      .set({ disputed_at: null })
      .where('kind', '=', 'phone')
      .where('value', '=', assertion.phone)
      .where('user_id', '=', userId)
      .execute();
    await recordAudit(
      trx,
      { actor, action: 'identifier.reconfirmed', subjectId: userId, after: { kind: 'phone', value: assertion.phone } },
      now,
    );
  }
  const suggestionIds = await recordSuggestions(trx, assertion, decision.notes, userId, now);
  await recordUnboundUnionid(trx, assertion, decision.notes, actor, now, notices);

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

/**
 * The facts a login that does not sign in yet (selection, binding, refusal) still records: the
 * unionid and phone WeChat verified for the ledger row, admin suggestions, an app bound in WeChat
 * only. Nobody's account changes.
 */
async function recordNotes(
  trx: Kysely<Tables>,
  assertion: IdentityAssertion,
  notes: ResolutionNote[],
  facts: KnownFacts,
  notices: SignInNotice[],
): Promise<void> {
  if (notes.length === 0) return;
  const now = Date.now();
  const row = facts.identity;
  const recordUnionid = notes.some((n) => n.kind === 'record_unionid') && assertion.unionid !== undefined;
  if (row !== null && (recordUnionid || assertion.phone !== undefined)) {
    await trx
      .updateTable('wechat_identities')
      .set({
        ...(recordUnionid ? { unionid: assertion.unionid, open_platform_id: assertion.openPlatformId } : {}),
        ...(assertion.phone === undefined ? {} : { phone: assertion.phone, phone_verified_at: now }),
      })
      .where('id', '=', row.id)
      .execute();
    if (recordUnionid) {
      await recordAudit(
        trx,
        {
          actor: SYSTEM_ACTOR,
          action: 'identity.unionid_recorded',
          subjectId: row.user.id,
          before: { identityId: row.id, unionid: row.unionid, openPlatformId: row.openPlatformId },
          after: { identityId: row.id, unionid: assertion.unionid, openPlatformId: assertion.openPlatformId },
        },
        now,
      );
    }
  }
  await recordSuggestions(trx, assertion, notes, row?.user.id ?? null, now);
  await recordUnboundUnionid(trx, assertion, notes, SYSTEM_ACTOR, now, notices);
}

/**
 * Admin suggestions from a login: a person found split across accounts (`unionid_conflict`), or a
 * verified phone held by another account (`phone_conflict`: the number may have changed hands, or
 * the person has two accounts — an admin decides). With no user of this login (nothing created
 * yet), the phone conflict is recorded on the holder's audit trail only.
 */
async function recordSuggestions(
  trx: Kysely<Tables>,
  assertion: IdentityAssertion,
  notes: ResolutionNote[],
  userId: string | null,
  now: number,
): Promise<string[]> {
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const note of notes) {
    let pair: { userId: string; otherUserId: string; reason: string } | null = null;
    if (note.kind === 'unionid_conflict' && note.resolution === 'suggest') {
      pair = { userId: note.openidUserId, otherUserId: note.unionidUserId, reason: 'unionid_conflict' };
    } else if (note.kind === 'phone_conflict') {
      const key = `phone:${note.otherUserId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      // WeChat verified the number for another WeChat person just now: the holder's claim to it is
      // disputed, and it joins nobody to the holder by field matching any more (resolve.ts step 3).
      if (assertion.phone !== undefined) {
        await trx
          .updateTable('user_identifiers')
          .set({ disputed_at: now })
          .where('kind', '=', 'phone')
          .where('value', '=', assertion.phone)
          .where('user_id', '=', note.otherUserId)
          .where('disputed_at', 'is', null)
          .execute();
      }
      await recordAudit(
        trx,
        {
          actor: SYSTEM_ACTOR,
          action: 'identifier.conflict',
          subjectId: note.otherUserId,
          after: { kind: 'phone', value: assertion.phone ?? null, appid: assertion.appid, openid: assertion.openid, userId },
        },
        now,
      );
      if (userId !== null && userId !== note.otherUserId) pair = { userId, otherUserId: note.otherUserId, reason: 'phone_conflict' };
    }
    if (pair === null) continue;
    const id = await suggestMerge(trx, {
      ...pair,
      openPlatformId: assertion.openPlatformId,
      unionid: assertion.unionid ?? null,
      appid: assertion.appid,
      openid: assertion.openid,
      now,
    });
    if (id !== null) ids.push(id);
  }
  return ids;
}

/**
 * A unionid arrived through an app whose connection names no Open Platform account: the app was
 * bound in WeChat only, and every person from now on would be split. The connection remembers the
 * first time (audited, shown on the connection and in /readyz, logged once by the caller) and the
 * Open Platform account the unionid is already known under, if any; binding the connection then
 * reconciles everyone seen meanwhile (`reconcileOpenPlatformBinding`).
 */
async function recordUnboundUnionid(
  trx: Kysely<Tables>,
  assertion: IdentityAssertion,
  notes: ResolutionNote[],
  actor: Actor,
  now: number,
  notices: SignInNotice[],
): Promise<void> {
  const note = notes.find((n) => n.kind === 'unbound_unionid');
  if (note === undefined) return;
  const first = await trx
    .updateTable('connections')
    .set({ unionid_seen_at: now })
    .where('appid', '=', assertion.appid)
    .where('open_platform_id', 'is', null)
    .where('unionid_seen_at', 'is', null)
    .executeTakeFirst();
  const hint = note.openPlatformHint;
  const detected =
    hint === null
      ? { numUpdatedRows: 0n }
      : await trx
          .updateTable('connections')
          .set({ detected_open_platform_id: hint })
          .where('appid', '=', assertion.appid)
          .where('open_platform_id', 'is', null)
          .where((eb) => eb.or([eb('detected_open_platform_id', 'is', null), eb('detected_open_platform_id', '<>', hint)]))
          .executeTakeFirst();
  if (first.numUpdatedRows === 0n && detected.numUpdatedRows === 0n) return;
  await recordAudit(
    trx,
    {
      actor,
      action: 'connection.unionid_unbound',
      subjectId: null,
      after: { appid: assertion.appid, firstSeen: first.numUpdatedRows > 0n, openPlatformHint: hint },
    },
    now,
  );
  notices.push({ kind: 'unbound_unionid', appid: assertion.appid, openPlatformHint: hint });
}

function pick<T extends object>(row: T, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([key]) => keys.includes(key)));
}

/** Records a merge suggestion once per pair and reason; returns its id when newly recorded. */
export async function suggestMerge(
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
  // One suggestion per pair and reason, whichever side of the pair signed in.
  const existing = await trx
    .selectFrom('merge_suggestions')
    .select('id')
    .where((eb) =>
      eb.or([
        eb.and([eb('user_id', '=', input.userId), eb('other_user_id', '=', input.otherUserId)]),
        eb.and([eb('user_id', '=', input.otherUserId), eb('other_user_id', '=', input.userId)]),
      ]),
    )
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

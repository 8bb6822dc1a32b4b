/**
 * Identity resolution, as a pure function: given a verified WeChat assertion, what the database
 * knows about it (looked up beforehand by indexed queries) and the connection's policy, decide who
 * this is. No I/O here, so every branch is a table test.
 *
 * Precedence:
 *  1. (appid, openid) known → that user. A unionid seen for the first time is recorded; if another
 *     user already owns that unionid, that is a backfill conflict (auto-merge only if the policy
 *     says so, otherwise a merge suggestion for admins). The ledger row wins: it is exact.
 *  2. unionid owned under the same Open Platform account → that user; the app's row is added.
 *  3. Field matching, if enabled: verified phone, then verified email → that user.
 *  4. Nothing matched: create, ask the person to bind an existing account, or refuse, per policy.
 * Steps 2–3 are weighed together: if they point at different users, the person chooses among them
 * or the login is refused (`onMultipleMatches`). Snapshot-mode users never create or match.
 * A user's id never changes here: a later unionid is added to the user, never used to re-key it.
 */
import type { UserStatus } from '../storage/schema.ts';
import type { IdentityAssertion } from './assertion.ts';
import type { BindingMethod, IdentityPolicy } from './policy.ts';

export interface KnownUser {
  id: string;
  status: UserStatus;
}

/** What the database knows about the assertion's keys. */
export interface KnownFacts {
  /** The ledger row for (appid, openid). */
  identity: { id: string; unionid: string | null; openPlatformId: string | null; user: KnownUser } | null;
  /** The owner of the assertion's unionid under the assertion's Open Platform account. */
  unionidOwner: KnownUser | null;
  /** The user holding the assertion's phone as a verified identifier. */
  phoneOwner: KnownUser | null;
  /** The user holding the assertion's email as a verified identifier. */
  emailOwner: KnownUser | null;
}

export type MatchSignal = 'unionid' | 'phone' | 'email';

export type ResolutionNote =
  /** The ledger row learns its unionid (and Open Platform account) for the first time. */
  | { kind: 'record_unionid' }
  /** The user becomes the owner of the unionid. */
  | { kind: 'claim_unionid' }
  /**
   * The login's user and the unionid's owner differ. `auto_merge`: the login's user is merged into
   * the owner (the decision's user). `suggest`: a merge suggestion is recorded for admins.
   */
  | { kind: 'unionid_conflict'; openidUserId: string; unionidUserId: string; resolution: 'auto_merge' | 'suggest' }
  /** The WeChat-verified phone is added to the user as a verified identifier. */
  | { kind: 'record_phone' }
  | { kind: 'record_email' };

export type RefusalReason = 'snapshot_user' | 'account_blocked' | 'account_unavailable' | 'registration_closed' | 'multiple_accounts';

export type IdentityDecision =
  | { kind: 'existing'; userId: string; notes: ResolutionNote[] }
  | { kind: 'link'; userId: string; via: MatchSignal; notes: ResolutionNote[] }
  | { kind: 'create'; notes: ResolutionNote[] }
  | { kind: 'bind'; methods: BindingMethod[]; mayCreateInstead: boolean }
  | { kind: 'select'; candidates: { userId: string; via: MatchSignal[] }[] }
  | { kind: 'refuse'; reason: RefusalReason; message: string };

const REFUSALS: Record<RefusalReason, string> = {
  snapshot_user: 'WeChat snapshot mode cannot sign in; open the page in WeChat to continue',
  account_blocked: 'This account is blocked',
  account_unavailable: 'This account is no longer available',
  registration_closed: 'No account matches this WeChat login, and this app does not create new accounts',
  multiple_accounts: 'This WeChat login matches several accounts; contact the administrator to merge them',
};

export function refusal(reason: RefusalReason): Extract<IdentityDecision, { kind: 'refuse' }> {
  return { kind: 'refuse', reason, message: REFUSALS[reason] };
}

function unusable(user: KnownUser): RefusalReason | null {
  if (user.status === 'active') return null;
  return user.status === 'blocked' ? 'account_blocked' : 'account_unavailable';
}

/** The unionid that counts for matching: one without an Open Platform account has no scope. */
export function scopedUnionid(assertion: IdentityAssertion): string | undefined {
  return assertion.openPlatformId === null ? undefined : assertion.unionid;
}

export function resolveIdentity(assertion: IdentityAssertion, facts: KnownFacts, policy: IdentityPolicy): IdentityDecision {
  if (assertion.snapshot === true) return refusal('snapshot_user');
  const unionid = scopedUnionid(assertion);

  // 1. The ledger row is exact.
  if (facts.identity !== null) {
    const user = facts.identity.user;
    const refused = unusable(user);
    if (refused !== null) return refusal(refused);
    const notes: ResolutionNote[] = [];
    if (
      assertion.unionid !== undefined &&
      (facts.identity.unionid !== assertion.unionid || facts.identity.openPlatformId !== assertion.openPlatformId)
    ) {
      notes.push({ kind: 'record_unionid' });
    }
    let userId = user.id;
    if (unionid !== undefined) {
      const owner = facts.unionidOwner;
      if (owner === null) notes.push({ kind: 'claim_unionid' });
      else if (owner.id !== user.id) {
        const canMerge = policy.autoMergeOnUnionid && owner.status === 'active';
        notes.push({
          kind: 'unionid_conflict',
          openidUserId: user.id,
          unionidUserId: owner.id,
          resolution: canMerge ? 'auto_merge' : 'suggest',
        });
        if (canMerge) userId = owner.id;
      }
    }
    notes.push(...identifierNotes(assertion, facts));
    return { kind: 'existing', userId, notes };
  }

  // 2–3. Candidates from unionid, then enabled field matches, in precedence order.
  const matches: { user: KnownUser; via: MatchSignal }[] = [];
  if (unionid !== undefined && facts.unionidOwner !== null) matches.push({ user: facts.unionidOwner, via: 'unionid' });
  const fieldMatching: readonly string[] = policy.fieldMatching;
  if (fieldMatching.includes('phone') && assertion.phone !== undefined && facts.phoneOwner !== null) {
    matches.push({ user: facts.phoneOwner, via: 'phone' });
  }
  if (fieldMatching.includes('email') && assertion.email !== undefined && facts.emailOwner !== null) {
    matches.push({ user: facts.emailOwner, via: 'email' });
  }
  if (matches.length > 0) {
    // A blocked account among the matches refuses the login: otherwise a blocked person could sign
    // in (or register again) through another of their apps.
    for (const match of matches) {
      const refused = unusable(match.user);
      if (refused !== null) return refusal(refused);
    }
    const candidates: { userId: string; via: MatchSignal[] }[] = [];
    for (const match of matches) {
      const known = candidates.find((c) => c.userId === match.user.id);
      if (known === undefined) candidates.push({ userId: match.user.id, via: [match.via] });
      else known.via.push(match.via);
    }
    const [only, ...others] = candidates;
    if (only !== undefined && others.length === 0) {
      const notes: ResolutionNote[] = [];
      if (unionid !== undefined && facts.unionidOwner === null) notes.push({ kind: 'claim_unionid' });
      notes.push(...identifierNotes(assertion, facts));
      return { kind: 'link', userId: only.userId, via: only.via[0] ?? 'unionid', notes };
    }
    return policy.onMultipleMatches === 'select' ? { kind: 'select', candidates } : refusal('multiple_accounts');
  }

  // 4. Nobody: per policy.
  if (policy.queryBinding !== 'off') {
    return {
      kind: 'bind',
      methods: [...policy.bindingMethods],
      mayCreateInstead: policy.queryBinding === 'offer' && policy.registration === 'allow',
    };
  }
  if (policy.registration === 'deny') return refusal('registration_closed');
  return { kind: 'create', notes: creationNotes(assertion, facts) };
}

/** What a newly created user takes from the assertion: the unionid, a phone or email nobody holds. */
export function creationNotes(assertion: IdentityAssertion, facts: KnownFacts): ResolutionNote[] {
  const notes: ResolutionNote[] = [];
  if (scopedUnionid(assertion) !== undefined && facts.unionidOwner === null) notes.push({ kind: 'claim_unionid' });
  notes.push(...identifierNotes(assertion, facts));
  return notes;
}

/**
 * A verified phone or email nobody holds yet is added to the user who signs in with it. One that is
 * already this user's needs nothing; one that is another user's stays theirs.
 */
function identifierNotes(assertion: IdentityAssertion, facts: KnownFacts): ResolutionNote[] {
  const notes: ResolutionNote[] = [];
  if (assertion.phone !== undefined && facts.phoneOwner === null) notes.push({ kind: 'record_phone' });
  if (assertion.email !== undefined && facts.emailOwner === null) notes.push({ kind: 'record_email' });
  return notes;
}

/**
 * Identity resolution, as a pure function: given a verified WeChat assertion, what the database
 * knows about it (looked up beforehand by indexed queries) and the connection's policy, decide who
 * this is. No I/O here, so every branch is a table test. The rules, in the words of the README's
 * identity table:
 *
 *  0. Invariant: an account holds at most one openid per appid and at most one unionid per Open
 *     Platform account. An account that already holds *another* WeChat person for this app or this
 *     Open Platform account "clashes" with the assertion: it is never matched, linked or claimed
 *     automatically (a recycled phone number, an old mix-up), whatever signal points at it.
 *  1. (appid, openid) known → that user. A unionid seen for the first time is recorded. When the
 *     person's unionid (under the same Open Platform account) is also held by other accounts — the
 *     app was bound to the Open Platform account after the person used it — the person is split:
 *     `autoMergeOnUnionid` merges them into the unionid's owner, otherwise the person selects
 *     (`onMultipleMatches: select`) or the login is refused (`refuse`). An admin suggestion is
 *     recorded either way, for people who never come back.
 *  2. unionid owned or held under the same Open Platform account → that user; the app's row is added.
 *     The owner of the unionid is matched even when it clashes: its claim on this very unionid is
 *     exact, and only an admin-confirmed merge (`allowConflicts`) gives it another one.
 *  3. Field matching, if the policy enables it: verified phone, then verified email. A match on an
 *     account that clashes counts as no match (the number changed hands) and is recorded as a phone
 *     conflict for admins; nothing of that account is shown. The holder's number is then disputed:
 *     it joins nobody to that account any more, from any app (one without an Open Platform account
 *     has no unionid to tell the two people apart), until the holder's own WeChat verifies it again.
 *  4. Nothing matched: create, ask the person to bind an existing account, or refuse, per policy.
 * Steps 2–3 are weighed together: several accounts → the person chooses or the login is refused.
 * A blocked account among the matches refuses the login. Snapshot-mode users never create or match.
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
  identity: { id: string; unionid: string | null; openPlatformId: string | null; phone: string | null; user: KnownUser } | null;
  /** The owner of the assertion's unionid under the assertion's Open Platform account. */
  unionidOwner: KnownUser | null;
  /**
   * Users other than the owner holding ledger rows under the assertion's unionid and Open Platform
   * account (a person whose apps were joined to the Open Platform account after they used them).
   */
  unionidHolders: KnownUser[];
  /** The user holding the assertion's phone as a verified identifier. */
  phoneOwner: KnownUser | null;
  /**
   * WeChat has shown that phone in another WeChat person's hands since the holder verified it (a
   * phone conflict was recorded): it no longer joins anyone to the holder by field matching.
   */
  phoneDisputed?: boolean;
  /** The user holding the assertion's email as a verified identifier. */
  emailOwner: KnownUser | null;
  /**
   * Users (among the above) that already hold another openid of the assertion's app, or another
   * unionid under its Open Platform account: another WeChat person is theirs.
   */
  clashing: ReadonlySet<string>;
  /**
   * For an app whose connection names no Open Platform account: one this unionid is already known
   * under through another connection (the app was bound in WeChat only).
   */
  unboundUnionidHint: string | null;
}

export type MatchSignal = 'unionid' | 'phone' | 'email';
/** Why an account is offered to a person choosing: their own ledger row (`openid`) or a match. */
export type CandidateSignal = MatchSignal | 'openid';

export type ResolutionNote =
  /** The ledger row learns its unionid (and Open Platform account) for the first time. */
  | { kind: 'record_unionid' }
  /** The user becomes the owner of the unionid. */
  | { kind: 'claim_unionid' }
  /**
   * The login's user and another account of the same person differ. `auto_merge`: `openidUserId`
   * is merged into `unionidUserId` (the decision's user). `suggest`: a merge suggestion for admins.
   */
  | { kind: 'unionid_conflict'; openidUserId: string; unionidUserId: string; resolution: 'auto_merge' | 'suggest' }
  /** The WeChat-verified phone is added to the user as a verified identifier. */
  | { kind: 'record_phone' }
  | { kind: 'record_email' }
  /**
   * The verified phone is another account's identifier and that account is not this person's to
   * join (or field matching is off): recorded for admins, the phone stays on the ledger row.
   */
  | { kind: 'phone_conflict'; otherUserId: string }
  /** A unionid arrived through an app whose connection names no Open Platform account. */
  | { kind: 'unbound_unionid'; openPlatformHint: string | null };

export type RefusalReason = 'snapshot_user' | 'account_blocked' | 'account_unavailable' | 'registration_closed' | 'multiple_accounts';

export interface Candidate {
  userId: string;
  via: CandidateSignal[];
}

export type IdentityDecision =
  | { kind: 'existing'; userId: string; notes: ResolutionNote[] }
  | { kind: 'link'; userId: string; via: MatchSignal; notes: ResolutionNote[] }
  | { kind: 'create'; notes: ResolutionNote[] }
  | { kind: 'bind'; methods: BindingMethod[]; mayCreateInstead: boolean; notes: ResolutionNote[] }
  /** `notes`: facts to record even though nobody signs in yet (the unionid, admin suggestions). */
  | { kind: 'select'; candidates: Candidate[]; notes: ResolutionNote[] }
  | { kind: 'refuse'; reason: RefusalReason; message: string; notes: ResolutionNote[] };

const REFUSALS: Record<RefusalReason, string> = {
  snapshot_user: 'WeChat snapshot mode cannot sign in; open the page in WeChat to continue',
  account_blocked: 'This account is blocked',
  account_unavailable: 'This account is no longer available',
  registration_closed: 'No account matches this WeChat login, and this app does not create new accounts',
  multiple_accounts: 'This WeChat login matches several accounts; contact the administrator to merge them',
};

export function refusal(reason: RefusalReason, notes: ResolutionNote[] = []): Extract<IdentityDecision, { kind: 'refuse' }> {
  return { kind: 'refuse', reason, message: REFUSALS[reason], notes };
}

function unusable(user: KnownUser): RefusalReason | null {
  if (user.status === 'active') return null;
  return user.status === 'blocked' ? 'account_blocked' : 'account_unavailable';
}

/** The unionid that counts for matching: one without an Open Platform account has no scope. */
export function scopedUnionid(assertion: Pick<IdentityAssertion, 'openPlatformId' | 'unionid'>): string | undefined {
  return assertion.openPlatformId === null ? undefined : assertion.unionid;
}

/** Distinct users, first occurrence kept. */
function distinct(users: (KnownUser | null | undefined)[]): KnownUser[] {
  const seen = new Map<string, KnownUser>();
  for (const user of users) if (user != null && !seen.has(user.id)) seen.set(user.id, user);
  return [...seen.values()];
}

export function resolveIdentity(assertion: IdentityAssertion, facts: KnownFacts, policy: IdentityPolicy): IdentityDecision {
  if (assertion.snapshot === true) return refusal('snapshot_user');
  const unionid = scopedUnionid(assertion);
  const unbound = unboundNotes(assertion, facts);

  // 1. The ledger row is exact.
  if (facts.identity !== null) {
    const user = facts.identity.user;
    const refused = unusable(user);
    if (refused !== null) return refusal(refused);
    const recorded: ResolutionNote[] = [...unbound];
    if (
      assertion.unionid !== undefined &&
      (facts.identity.unionid !== assertion.unionid || facts.identity.openPlatformId !== assertion.openPlatformId)
    ) {
      recorded.push({ kind: 'record_unionid' });
    }
    const others = unionid === undefined ? [] : distinct([facts.unionidOwner, ...facts.unionidHolders]).filter((u) => u.id !== user.id);
    if (others.length === 0) {
      const notes = [...recorded];
      // A unionid nobody owns is claimed, unless this account already holds another of the same
      // Open Platform account (it would hold two WeChat people).
      if (unionid !== undefined && facts.unionidOwner === null && !facts.clashing.has(user.id)) notes.push({ kind: 'claim_unionid' });
      notes.push(...identifierNotes(assertion, facts, user.id));
      return { kind: 'existing', userId: user.id, notes };
    }

    // The person is split across accounts: their unionid is another account's too.
    for (const other of others) {
      const blocked = unusable(other);
      if (blocked !== null) return refusal(blocked, recorded);
    }
    const owner = facts.unionidOwner;
    const target = owner !== null && owner.id !== user.id ? owner : user;
    const mergeable = policy.autoMergeOnUnionid && ![user, ...others].some((u) => facts.clashing.has(u.id));
    if (mergeable) {
      const sources = [user, ...others].filter((u) => u.id !== target.id);
      const notes: ResolutionNote[] = [
        ...recorded,
        ...sources.map(
          (source): ResolutionNote => ({
            kind: 'unionid_conflict',
            openidUserId: source.id,
            unionidUserId: target.id,
            resolution: 'auto_merge',
          }),
        ),
      ];
      notes.push(...identifierNotes(assertion, facts, target.id));
      return { kind: 'existing', userId: target.id, notes };
    }
    const suggestions = others.map(
      (other): ResolutionNote => ({ kind: 'unionid_conflict', openidUserId: user.id, unionidUserId: other.id, resolution: 'suggest' }),
    );
    if (policy.onMultipleMatches === 'refuse') return refusal('multiple_accounts', [...recorded, ...suggestions]);
    return {
      kind: 'select',
      candidates: [{ userId: user.id, via: ['openid'] }, ...others.map((other): Candidate => ({ userId: other.id, via: ['unionid'] }))],
      notes: [...recorded, ...suggestions],
    };
  }

  // 2–3. Candidates from unionid, then enabled field matches, in precedence order. An account that
  // already holds another WeChat person of this app / Open Platform account is never a candidate.
  const matches: { user: KnownUser; via: MatchSignal }[] = [];
  const voided: ResolutionNote[] = [];
  if (unionid !== undefined) {
    // The unionid's owner is this very person's record, not a signal that could have changed
    // hands: it is matched even when it holds another unionid of the Open Platform account, which
    // only a merge an admin confirmed (`allowConflicts`: one person, two WeChat accounts) gives it.
    if (facts.unionidOwner !== null) matches.push({ user: facts.unionidOwner, via: 'unionid' });
    for (const user of distinct(facts.unionidHolders)) {
      if (!facts.clashing.has(user.id)) matches.push({ user, via: 'unionid' });
    }
  }
  const fieldMatching: readonly string[] = policy.fieldMatching;
  if (fieldMatching.includes('phone') && assertion.phone !== undefined && facts.phoneOwner !== null) {
    if (facts.clashing.has(facts.phoneOwner.id) || facts.phoneDisputed === true) {
      voided.push({ kind: 'phone_conflict', otherUserId: facts.phoneOwner.id });
    } else matches.push({ user: facts.phoneOwner, via: 'phone' });
  }
  if (fieldMatching.includes('email') && assertion.email !== undefined && facts.emailOwner !== null) {
    if (!facts.clashing.has(facts.emailOwner.id)) matches.push({ user: facts.emailOwner, via: 'email' });
  }
  if (matches.length > 0) {
    // A blocked account among the matches refuses the login: otherwise a blocked person could sign
    // in (or register again) through another of their apps.
    for (const match of matches) {
      const refused = unusable(match.user);
      if (refused !== null) return refusal(refused, unbound);
    }
    const candidates: Candidate[] = [];
    for (const match of matches) {
      const known = candidates.find((c) => c.userId === match.user.id);
      if (known === undefined) candidates.push({ userId: match.user.id, via: [match.via] });
      else known.via.push(match.via);
    }
    const [only, ...others] = candidates;
    if (only !== undefined && others.length === 0) {
      const notes: ResolutionNote[] = [...unbound];
      if (unionid !== undefined && facts.unionidOwner === null) notes.push({ kind: 'claim_unionid' });
      notes.push(...identifierNotes(assertion, facts, only.userId));
      const via = matches.find((m) => m.user.id === only.userId)?.via ?? 'unionid';
      return { kind: 'link', userId: only.userId, via, notes };
    }
    return policy.onMultipleMatches === 'select'
      ? { kind: 'select', candidates, notes: [...unbound, ...voided] }
      : refusal('multiple_accounts', [...unbound, ...voided]);
  }

  // 4. Nobody: per policy. A voided phone match is recorded whatever happens next.
  if (policy.queryBinding !== 'off') {
    return {
      kind: 'bind',
      methods: [...policy.bindingMethods],
      mayCreateInstead: policy.queryBinding === 'offer' && policy.registration === 'allow',
      notes: [...unbound, ...voided],
    };
  }
  if (policy.registration === 'deny') return refusal('registration_closed', [...unbound, ...voided]);
  return { kind: 'create', notes: [...unbound, ...creationNotes(assertion, facts)] };
}

/** A unionid from an app whose connection names no Open Platform account is surfaced for admins. */
function unboundNotes(assertion: IdentityAssertion, facts: KnownFacts): ResolutionNote[] {
  if (assertion.openPlatformId !== null || assertion.unionid === undefined) return [];
  return [{ kind: 'unbound_unionid', openPlatformHint: facts.unboundUnionidHint }];
}

/** What a newly created user takes from the assertion: the unionid, a phone or email nobody holds. */
export function creationNotes(assertion: IdentityAssertion, facts: KnownFacts): ResolutionNote[] {
  const notes: ResolutionNote[] = [];
  if (scopedUnionid(assertion) !== undefined && facts.unionidOwner === null) notes.push({ kind: 'claim_unionid' });
  notes.push(...identifierNotes(assertion, facts, null));
  return notes;
}

/**
 * A verified phone or email nobody holds yet is added to the user who signs in with it. One that is
 * already this user's needs nothing; a phone that is another user's stays theirs and is recorded as
 * a conflict for admins (`userId` null: the user is being created).
 */
export function identifierNotes(assertion: IdentityAssertion, facts: KnownFacts, userId: string | null): ResolutionNote[] {
  const notes: ResolutionNote[] = [];
  if (assertion.phone !== undefined) {
    if (facts.phoneOwner === null) notes.push({ kind: 'record_phone' });
    else if (facts.phoneOwner.id !== userId) notes.push({ kind: 'phone_conflict', otherUserId: facts.phoneOwner.id });
  }
  if (assertion.email !== undefined && facts.emailOwner === null) notes.push({ kind: 'record_email' });
  return notes;
}

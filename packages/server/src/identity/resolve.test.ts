import { describe, expect, it } from 'vitest';
import type { IdentityAssertion } from './assertion.ts';
import { DEFAULT_POLICY, type IdentityPolicy, identityPolicySchema } from './policy.ts';
import { type IdentityDecision, type KnownFacts, type KnownUser, resolveIdentity } from './resolve.ts';

const OP = 'op_demo';
const base: IdentityAssertion = { appid: 'wx_oa', appType: 'official_account', openPlatformId: OP, openid: 'o_1' };
const none: KnownFacts = {
  identity: null,
  unionidOwner: null,
  unionidHolders: [],
  phoneOwner: null,
  emailOwner: null,
  clashing: new Set(),
  unboundUnionidHint: null,
};
const alice: KnownUser = { id: 'usr_alice', status: 'active' };
const bob: KnownUser = { id: 'usr_bob', status: 'active' };
const carol: KnownUser = { id: 'usr_carol', status: 'active' };
const blocked: KnownUser = { id: 'usr_blocked', status: 'blocked' };
const row = (user: KnownUser, unionid: string | null = null, openPlatformId: string | null = OP) => ({
  id: 'wid_1',
  unionid,
  openPlatformId,
  phone: null,
  user,
});
const policy = (overrides: Partial<IdentityPolicy> = {}): IdentityPolicy => ({ ...DEFAULT_POLICY, ...overrides });

interface Case {
  name: string;
  assertion?: Partial<IdentityAssertion>;
  facts?: Partial<KnownFacts>;
  policy?: Partial<IdentityPolicy>;
  expected: IdentityDecision;
}

const cases: Case[] = [
  // The four quadrants: unionid yes/no × new/existing user.
  {
    name: 'quadrant: no unionid, new person → a user is created',
    expected: { kind: 'create', notes: [] },
  },
  {
    name: 'quadrant: no unionid, known openid → that user',
    facts: { identity: row(alice) },
    expected: { kind: 'existing', userId: 'usr_alice', notes: [] },
  },
  {
    name: 'quadrant: unionid, new person → a user is created and claims the unionid',
    assertion: { unionid: 'u_1' },
    expected: { kind: 'create', notes: [{ kind: 'claim_unionid' }] },
  },
  {
    name: 'quadrant: unionid, known through another app of the same Open Platform account → linked to that user',
    assertion: { unionid: 'u_1' },
    facts: { unionidOwner: alice },
    expected: { kind: 'link', userId: 'usr_alice', via: 'unionid', notes: [] },
  },
  {
    name: 'the unionid owner holds another unionid of the Open Platform account (an admin-confirmed merge) → still that user',
    assertion: { unionid: 'u_1' },
    facts: { unionidOwner: alice, clashing: new Set(['usr_alice']) },
    expected: { kind: 'link', userId: 'usr_alice', via: 'unionid', notes: [] },
  },
  {
    name: 'a clashing account that only holds a row under the unionid (not its owner) is never matched',
    assertion: { unionid: 'u_1' },
    facts: { unionidOwner: alice, unionidHolders: [bob], clashing: new Set(['usr_bob']) },
    expected: { kind: 'link', userId: 'usr_alice', via: 'unionid', notes: [] },
  },
  // Step 1 details.
  {
    name: 'known openid with its unionid already recorded → that user, nothing to record',
    assertion: { unionid: 'u_1' },
    facts: { identity: row(alice, 'u_1'), unionidOwner: alice },
    expected: { kind: 'existing', userId: 'usr_alice', notes: [] },
  },
  {
    name: 'unionid backfill: a row known by openid only gets its unionid, and the user claims it',
    assertion: { unionid: 'u_1' },
    facts: { identity: row(alice, null, null) },
    expected: { kind: 'existing', userId: 'usr_alice', notes: [{ kind: 'record_unionid' }, { kind: 'claim_unionid' }] },
  },
  {
    name: 'unionid backfill conflict (app bound to the Open Platform later): the person selects between both accounts; suggested to admins too',
    assertion: { unionid: 'u_1' },
    facts: { identity: row(alice, null, null), unionidOwner: bob },
    expected: {
      kind: 'select',
      candidates: [
        { userId: 'usr_alice', via: ['openid'] },
        { userId: 'usr_bob', via: ['unionid'] },
      ],
      notes: [
        { kind: 'record_unionid' },
        { kind: 'unionid_conflict', openidUserId: 'usr_alice', unionidUserId: 'usr_bob', resolution: 'suggest' },
      ],
    },
  },
  {
    name: 'unionid backfill conflict with autoMergeOnUnionid → the openid user is merged into the unionid owner',
    assertion: { unionid: 'u_1' },
    facts: { identity: row(alice, null, null), unionidOwner: bob },
    policy: { autoMergeOnUnionid: true },
    expected: {
      kind: 'existing',
      userId: 'usr_bob',
      notes: [
        { kind: 'record_unionid' },
        { kind: 'unionid_conflict', openidUserId: 'usr_alice', unionidUserId: 'usr_bob', resolution: 'auto_merge' },
      ],
    },
  },
  {
    name: 'unionid backfill conflict with onMultipleMatches refuse → refused clearly; the unionid is recorded and suggested',
    assertion: { unionid: 'u_1' },
    facts: { identity: row(alice, null, null), unionidOwner: bob },
    policy: { onMultipleMatches: 'refuse' },
    expected: {
      kind: 'refuse',
      reason: 'multiple_accounts',
      message: 'This WeChat login matches several accounts; contact the administrator to merge them',
      notes: [
        { kind: 'record_unionid' },
        { kind: 'unionid_conflict', openidUserId: 'usr_alice', unionidUserId: 'usr_bob', resolution: 'suggest' },
      ],
    },
  },
  {
    name: 'the other side of a late binding: the unionid owner signs in while another account holds a row under the unionid → select',
    assertion: { unionid: 'u_1' },
    facts: { identity: row(alice, 'u_1'), unionidOwner: alice, unionidHolders: [bob] },
    expected: {
      kind: 'select',
      candidates: [
        { userId: 'usr_alice', via: ['openid'] },
        { userId: 'usr_bob', via: ['unionid'] },
      ],
      notes: [{ kind: 'unionid_conflict', openidUserId: 'usr_alice', unionidUserId: 'usr_bob', resolution: 'suggest' }],
    },
  },
  {
    name: 'unionid backfill conflict with autoMergeOnUnionid but the owner is blocked → refused (a blocked person stays out)',
    assertion: { unionid: 'u_1' },
    facts: { identity: row(alice, null, null), unionidOwner: blocked },
    policy: { autoMergeOnUnionid: true },
    expected: { kind: 'refuse', reason: 'account_blocked', message: 'This account is blocked', notes: [{ kind: 'record_unionid' }] },
  },
  {
    name: 'autoMergeOnUnionid never merges an account that holds another WeChat person → the person selects instead',
    assertion: { unionid: 'u_1' },
    facts: { identity: row(alice, null, null), unionidOwner: bob, clashing: new Set(['usr_bob']) },
    policy: { autoMergeOnUnionid: true },
    expected: {
      kind: 'select',
      candidates: [
        { userId: 'usr_alice', via: ['openid'] },
        { userId: 'usr_bob', via: ['unionid'] },
      ],
      notes: [
        { kind: 'record_unionid' },
        { kind: 'unionid_conflict', openidUserId: 'usr_alice', unionidUserId: 'usr_bob', resolution: 'suggest' },
      ],
    },
  },
  {
    name: 'a known openid whose account already holds another unionid of the Open Platform account does not claim this one',
    assertion: { unionid: 'u_1' },
    facts: { identity: row(alice, null, null), clashing: new Set(['usr_alice']) },
    expected: { kind: 'existing', userId: 'usr_alice', notes: [{ kind: 'record_unionid' }] },
  },
  {
    name: 'known openid of a blocked user → refused',
    facts: { identity: row(blocked) },
    expected: { kind: 'refuse', reason: 'account_blocked', message: 'This account is blocked', notes: [] },
  },
  {
    name: 'known openid wins over a phone held by someone else, even with phone matching on; the conflict is recorded',
    assertion: { phone: '+8613800000001' },
    facts: { identity: row(alice), phoneOwner: bob },
    policy: { fieldMatching: ['phone'] },
    expected: { kind: 'existing', userId: 'usr_alice', notes: [{ kind: 'phone_conflict', otherUserId: 'usr_bob' }] },
  },
  {
    name: 'known openid with a verified phone nobody holds → the phone is recorded on the user',
    assertion: { phone: '+8613800000001' },
    facts: { identity: row(alice) },
    expected: { kind: 'existing', userId: 'usr_alice', notes: [{ kind: 'record_phone' }] },
  },
  {
    name: 'a unionid from an app without an Open Platform account is recorded but never matched',
    assertion: { unionid: 'u_1', openPlatformId: null },
    facts: { identity: row(alice, null, null), unionidOwner: bob },
    expected: {
      kind: 'existing',
      userId: 'usr_alice',
      notes: [{ kind: 'unbound_unionid', openPlatformHint: null }, { kind: 'record_unionid' }],
    },
  },
  {
    name: 'a unionid from an unbound app that is already known under an Open Platform account names that account for admins',
    assertion: { unionid: 'u_1', openPlatformId: null },
    facts: { unboundUnionidHint: OP },
    expected: { kind: 'create', notes: [{ kind: 'unbound_unionid', openPlatformHint: OP }] },
  },
  // Step 3: field matching.
  {
    name: 'phone matching on: a verified phone held by a user → linked to that user',
    assertion: { phone: '+8613800000001' },
    facts: { phoneOwner: alice },
    policy: { fieldMatching: ['phone'] },
    expected: { kind: 'link', userId: 'usr_alice', via: 'phone', notes: [] },
  },
  {
    name: 'phone matching off: a held phone does not link; a new user is created without it, the conflict recorded',
    assertion: { phone: '+8613800000001' },
    facts: { phoneOwner: alice },
    expected: { kind: 'create', notes: [{ kind: 'phone_conflict', otherUserId: 'usr_alice' }] },
  },
  {
    name: 'recycled number: the phone holder already has another openid in this app → no match, a new user, the conflict recorded',
    assertion: { phone: '+8613800000001' },
    facts: { phoneOwner: alice, clashing: new Set(['usr_alice']) },
    policy: { fieldMatching: ['phone'] },
    expected: { kind: 'create', notes: [{ kind: 'phone_conflict', otherUserId: 'usr_alice' }] },
  },
  {
    name: 'a disputed number (WeChat showed it in another person’s hands) joins nobody to its holder, even from an app without an Open Platform account',
    assertion: { phone: '+8613800000001', openPlatformId: null },
    facts: { phoneOwner: alice, phoneDisputed: true },
    policy: { fieldMatching: ['phone'] },
    expected: { kind: 'create', notes: [{ kind: 'phone_conflict', otherUserId: 'usr_alice' }] },
  },
  {
    name: 'recycled number of a blocked account → no match and nothing of it shown (not refused as blocked)',
    assertion: { phone: '+8613800000001' },
    facts: { phoneOwner: blocked, clashing: new Set(['usr_blocked']) },
    policy: { fieldMatching: ['phone'], registration: 'deny' },
    expected: {
      kind: 'refuse',
      reason: 'registration_closed',
      message: 'No account matches this WeChat login, and this app does not create new accounts',
      notes: [{ kind: 'phone_conflict', otherUserId: 'usr_blocked' }],
    },
  },
  {
    name: 'phone matching with a unionid nobody owns → linked by phone, and the user claims the unionid',
    assertion: { phone: '+8613800000001', unionid: 'u_1' },
    facts: { phoneOwner: alice },
    policy: { fieldMatching: ['phone'] },
    expected: { kind: 'link', userId: 'usr_alice', via: 'phone', notes: [{ kind: 'claim_unionid' }] },
  },
  {
    name: 'email matching: a verified email held by a user → linked to that user',
    assertion: { email: 'Alice@Example.com' },
    facts: { emailOwner: alice },
    policy: { fieldMatching: ['phone', 'email'] },
    expected: { kind: 'link', userId: 'usr_alice', via: 'email', notes: [] },
  },
  {
    name: 'email is not matched when only phone matching is on',
    assertion: { email: 'alice@example.com' },
    facts: { emailOwner: alice },
    policy: { fieldMatching: ['phone'] },
    expected: { kind: 'create', notes: [] },
  },
  {
    name: 'unionid and phone point at the same user → one candidate, linked by unionid',
    assertion: { unionid: 'u_1', phone: '+8613800000001' },
    facts: { unionidOwner: alice, phoneOwner: alice },
    policy: { fieldMatching: ['phone'] },
    expected: { kind: 'link', userId: 'usr_alice', via: 'unionid', notes: [] },
  },
  // Several matches.
  {
    name: 'unionid on one user, phone on another, email on a third → the person selects',
    assertion: { unionid: 'u_1', phone: '+8613800000001', email: 'c@example.com' },
    facts: { unionidOwner: alice, phoneOwner: bob, emailOwner: carol },
    policy: { fieldMatching: ['phone', 'email'] },
    expected: {
      kind: 'select',
      candidates: [
        { userId: 'usr_alice', via: ['unionid'] },
        { userId: 'usr_bob', via: ['phone'] },
        { userId: 'usr_carol', via: ['email'] },
      ],
      notes: [],
    },
  },
  {
    name: 'several matches with onMultipleMatches refuse → refused with the reason',
    assertion: { unionid: 'u_1', phone: '+8613800000001' },
    facts: { unionidOwner: alice, phoneOwner: bob },
    policy: { fieldMatching: ['phone'], onMultipleMatches: 'refuse' },
    expected: {
      kind: 'refuse',
      reason: 'multiple_accounts',
      message: 'This WeChat login matches several accounts; contact the administrator to merge them',
      notes: [],
    },
  },
  {
    name: 'a blocked user among the matches → refused, never a fresh account',
    assertion: { unionid: 'u_1', phone: '+8613800000001' },
    facts: { unionidOwner: blocked, phoneOwner: bob },
    policy: { fieldMatching: ['phone'] },
    expected: { kind: 'refuse', reason: 'account_blocked', message: 'This account is blocked', notes: [] },
  },
  // Step 4: nobody matched.
  {
    name: 'registration closed and no binding → refused',
    policy: { registration: 'deny' },
    expected: {
      kind: 'refuse',
      reason: 'registration_closed',
      message: 'No account matches this WeChat login, and this app does not create new accounts',
      notes: [],
    },
  },
  {
    name: 'binding offered with registration open → ask to bind, creating instead allowed',
    policy: { queryBinding: 'offer' },
    expected: { kind: 'bind', methods: ['password', 'sms'], mayCreateInstead: true, notes: [] },
  },
  {
    name: 'binding offered with registration closed → ask to bind, no creating',
    policy: { queryBinding: 'offer', registration: 'deny', bindingMethods: ['sms'] },
    expected: { kind: 'bind', methods: ['sms'], mayCreateInstead: false, notes: [] },
  },
  {
    name: 'binding required → ask to bind, no creating even with registration open',
    policy: { queryBinding: 'require' },
    expected: { kind: 'bind', methods: ['password', 'sms'], mayCreateInstead: false, notes: [] },
  },
  {
    name: 'a new person with a verified phone and email nobody holds → created with both',
    assertion: { phone: '+8613800000001', email: 'a@example.com', unionid: 'u_1' },
    expected: { kind: 'create', notes: [{ kind: 'claim_unionid' }, { kind: 'record_phone' }, { kind: 'record_email' }] },
  },
  // Snapshot mode.
  {
    name: 'a snapshot-mode user never creates an account',
    assertion: { snapshot: true },
    expected: {
      kind: 'refuse',
      reason: 'snapshot_user',
      message: 'WeChat snapshot mode cannot sign in; open the page in WeChat to continue',
      notes: [],
    },
  },
  {
    name: 'a snapshot-mode user never matches an account, even a known openid',
    assertion: { snapshot: true, unionid: 'u_1' },
    facts: { identity: row(alice), unionidOwner: alice },
    expected: {
      kind: 'refuse',
      reason: 'snapshot_user',
      message: 'WeChat snapshot mode cannot sign in; open the page in WeChat to continue',
      notes: [],
    },
  },
];

describe('resolveIdentity', () => {
  it.each(cases)('$name', ({ assertion, facts, policy: overrides, expected }) => {
    expect(resolveIdentity({ ...base, ...assertion }, { ...none, ...facts }, policy(overrides))).toEqual(expected);
  });
});

describe('identity policy', () => {
  it('defaults are the safe ones: register, no field matching, no binding, select, never auto-merge', () => {
    expect(identityPolicySchema.parse({})).toEqual({
      registration: 'allow',
      fieldMatching: [],
      queryBinding: 'off',
      bindingMethods: ['password', 'sms'],
      onMultipleMatches: 'select',
      autoMergeOnUnionid: false,
    });
  });

  it('refuses matching on email without phone, and on names', () => {
    expect(identityPolicySchema.safeParse({ fieldMatching: ['email'] }).success).toBe(false);
    expect(identityPolicySchema.safeParse({ fieldMatching: ['phone', 'nickname'] }).success).toBe(false);
  });
});

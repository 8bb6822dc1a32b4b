import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';
import { linkAssertionToUser, signInWithAssertion } from './apply.ts';
import type { IdentityAssertion } from './assertion.ts';
import { SYSTEM_ACTOR } from './audit.ts';
import { lookupWechatIdentity } from './facts.ts';
import { unmergeUsers } from './merge.ts';
import { setPassword } from './password.ts';
import { DEFAULT_POLICY, type IdentityPolicy } from './policy.ts';

const OP = 'op_test';
let sequence = 0;
/** A fresh person: distinct openids per app, one unionid, so tests never see each other's rows. */
function person() {
  sequence += 1;
  const id = `${Date.now().toString(36)}${sequence}`;
  const through = (appid: string, appType: IdentityAssertion['appType'], extra: Partial<IdentityAssertion> = {}): IdentityAssertion => ({
    appid,
    appType,
    openPlatformId: OP,
    openid: `o_${appid}_${id}`,
    unionid: `u_${id}`,
    ...extra,
  });
  return {
    unionid: `u_${id}`,
    phone: `+86138${String(sequence).padStart(8, '0')}`,
    officialAccount: (extra?: Partial<IdentityAssertion>) => through('wx_oa', 'official_account', extra),
    miniProgram: (extra?: Partial<IdentityAssertion>) => through('wx_mp', 'mini_program', extra),
    website: (extra?: Partial<IdentityAssertion>) => through('wx_web', 'website', extra),
  };
}
const policy = (overrides: Partial<IdentityPolicy> = {}): IdentityPolicy => ({ ...DEFAULT_POLICY, ...overrides });

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`applying identity resolution: ${backend.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await backend.open();
    });
    afterAll(async () => {
      await database?.dispose();
    });

    const ledgerOf = (userId: string) =>
      database.db.selectFrom('wechat_identities').selectAll().where('user_id', '=', userId).orderBy('appid').execute();
    const usersWithUnionid = async (unionid: string) =>
      new Set(
        (await database.db.selectFrom('wechat_identities').select('user_id').where('unionid', '=', unionid).execute()).map(
          (r) => r.user_id,
        ),
      );

    it('a first login creates one user with the ledger row, the unionid claim and the verified phone', async () => {
      const p = person();
      const result = await signInWithAssertion(
        database,
        p.officialAccount({ phone: p.phone, profile: { nickname: 'Alice', gender: 2 } }),
        policy(),
      );
      expect(result).toMatchObject({ kind: 'signed_in', created: true, linked: false });
      if (result.kind !== 'signed_in') return;
      const user = await database.db.selectFrom('users').selectAll().where('id', '=', result.userId).executeTakeFirstOrThrow();
      expect(user).toMatchObject({
        status: 'active',
        nickname: 'Alice',
        gender: 'female',
        phone_number: p.phone,
        phone_number_verified: 1,
      });
      expect(await ledgerOf(result.userId)).toMatchObject([{ appid: 'wx_oa', unionid: p.unionid, open_platform_id: OP }]);
      const audit = await database.db.selectFrom('audit_log').select('action').where('subject_id', '=', result.userId).execute();
      expect(audit.map((a) => a.action).sort()).toEqual(['identifier.added', 'identity.linked', 'user.created']);
    });

    it('the same person through a second app of the Open Platform account is the same user with two rows', async () => {
      const p = person();
      const first = await signInWithAssertion(database, p.officialAccount(), policy());
      const second = await signInWithAssertion(database, p.miniProgram(), policy());
      expect(second).toMatchObject({ kind: 'signed_in', created: false, linked: true, via: 'unionid' });
      expect(second.kind === 'signed_in' && first.kind === 'signed_in' && second.userId === first.userId).toBe(true);
      if (first.kind === 'signed_in') expect((await ledgerOf(first.userId)).map((r) => r.appid)).toEqual(['wx_mp', 'wx_oa']);
    });

    it('a returning login is the same user and updates last seen, without a new row', async () => {
      const p = person();
      const first = await signInWithAssertion(database, p.website(), policy());
      const again = await signInWithAssertion(database, p.website({ profile: { nickname: 'Later' } }), policy());
      expect(again).toMatchObject({ kind: 'signed_in', created: false, linked: false, via: 'openid' });
      if (first.kind !== 'signed_in' || again.kind !== 'signed_in') return;
      expect(again.userId).toBe(first.userId);
      const rows = await ledgerOf(first.userId);
      expect(rows).toHaveLength(1);
      expect(JSON.parse(rows[0]?.last_profile ?? 'null')).toEqual({ nickname: 'Later' });
    });

    it('a unionid arriving later is recorded on the row and claimed, and the user id never changes', async () => {
      const p = person();
      const first = await signInWithAssertion(database, p.officialAccount({ unionid: undefined, openPlatformId: null }), policy());
      const later = await signInWithAssertion(database, p.officialAccount(), policy());
      expect(later.kind === 'signed_in' && first.kind === 'signed_in' && later.userId === first.userId).toBe(true);
      if (first.kind !== 'signed_in') return;
      expect(await ledgerOf(first.userId)).toMatchObject([{ unionid: p.unionid, open_platform_id: OP }]);
      // And now the website app, carrying the same unionid, finds the same user.
      const web = await signInWithAssertion(database, p.website(), policy());
      expect(web).toMatchObject({ kind: 'signed_in', userId: first.userId, via: 'unionid' });
    });

    it('a late Open Platform binding splits the person: both sides offer the selection, and one admin suggestion is recorded', async () => {
      const p = person();
      const byOpenid = await signInWithAssertion(database, p.officialAccount({ unionid: undefined, openPlatformId: null }), policy());
      const byUnionid = await signInWithAssertion(database, p.website(), policy());
      if (byOpenid.kind !== 'signed_in' || byUnionid.kind !== 'signed_in') throw new Error('not signed in');
      expect(byOpenid.userId).not.toBe(byUnionid.userId);
      const candidates = [
        { userId: byOpenid.userId, via: ['openid'] },
        { userId: byUnionid.userId, via: ['unionid'] },
      ];
      // The app is now bound: its next login carries the unionid.
      expect(await signInWithAssertion(database, p.officialAccount(), policy())).toEqual({ kind: 'select', candidates });
      expect(await signInWithAssertion(database, p.officialAccount(), policy())).toEqual({ kind: 'select', candidates });
      // From the other side too: the website's own row is exact, but the person is split.
      expect(await signInWithAssertion(database, p.website(), policy())).toEqual({
        kind: 'select',
        candidates: [
          { userId: byUnionid.userId, via: ['openid'] },
          { userId: byOpenid.userId, via: ['unionid'] },
        ],
      });
      const suggestions = await database.db.selectFrom('merge_suggestions').selectAll().where('unionid', '=', p.unionid).execute();
      expect(suggestions).toMatchObject([{ status: 'open', reason: 'unionid_conflict' }]);
      expect(await ledgerOf(byOpenid.userId)).toMatchObject([{ appid: 'wx_oa', unionid: p.unionid, open_platform_id: OP }]);
    });

    it('after the person chooses, every app of theirs reaches the chosen account, and the choice can be undone', async () => {
      const p = person();
      const byOpenid = await signInWithAssertion(database, p.officialAccount({ unionid: undefined, openPlatformId: null }), policy());
      const byUnionid = await signInWithAssertion(database, p.website(), policy());
      if (byOpenid.kind !== 'signed_in' || byUnionid.kind !== 'signed_in') throw new Error('not signed in');
      await setPassword(database.db, byOpenid.userId, 'kept password');
      const chosen = await linkAssertionToUser(database, p.officialAccount(), byUnionid.userId, 'selection', SYSTEM_ACTOR);
      expect(chosen).toMatchObject({ kind: 'signed_in', userId: byUnionid.userId });
      for (const assertion of [p.officialAccount(), p.website(), p.miniProgram()]) {
        expect(await signInWithAssertion(database, assertion, policy())).toMatchObject({ kind: 'signed_in', userId: byUnionid.userId });
      }
      // The other account kept its password, so only the person's WeChat identities moved: a `move`, undoable.
      const record = await database.db
        .selectFrom('merge_records')
        .selectAll()
        .where('source_user_id', '=', byOpenid.userId)
        .executeTakeFirstOrThrow();
      expect(record).toMatchObject({ kind: 'move', target_user_id: byUnionid.userId });
      await database.db.transaction().execute((trx) => unmergeUsers(trx, { mergeId: record.id, actor: SYSTEM_ACTOR }));
      expect((await ledgerOf(byOpenid.userId)).map((r) => r.appid)).toEqual(['wx_oa']);
    });

    it('onMultipleMatches refuse: a split person is refused clearly until an admin merges', async () => {
      const p = person();
      await signInWithAssertion(database, p.officialAccount({ unionid: undefined, openPlatformId: null }), policy());
      await signInWithAssertion(database, p.website(), policy());
      expect(await signInWithAssertion(database, p.officialAccount(), policy({ onMultipleMatches: 'refuse' }))).toMatchObject({
        kind: 'refused',
        reason: 'multiple_accounts',
      });
    });

    it('a backfill conflict with autoMergeOnUnionid merges the openid user into the unionid owner', async () => {
      const p = person();
      const byOpenid = await signInWithAssertion(database, p.officialAccount({ unionid: undefined, openPlatformId: null }), policy());
      const byUnionid = await signInWithAssertion(database, p.website(), policy());
      const merged = await signInWithAssertion(database, p.officialAccount(), policy({ autoMergeOnUnionid: true }));
      if (byOpenid.kind !== 'signed_in' || byUnionid.kind !== 'signed_in') throw new Error('not signed in');
      expect(merged).toMatchObject({ kind: 'signed_in', userId: byUnionid.userId });
      expect(merged.kind === 'signed_in' && merged.mergeIds).toHaveLength(1);
      expect((await ledgerOf(byUnionid.userId)).map((r) => r.appid)).toEqual(['wx_oa', 'wx_web']);
      const source = await database.db.selectFrom('users').selectAll().where('id', '=', byOpenid.userId).executeTakeFirstOrThrow();
      expect(source).toMatchObject({ status: 'merged', merged_into: byUnionid.userId });
    });

    it('phone matching links a new app to the user holding the verified phone', async () => {
      const p = person();
      const first = await signInWithAssertion(
        database,
        p.officialAccount({ unionid: undefined, openPlatformId: null, phone: p.phone }),
        policy(),
      );
      const second = await signInWithAssertion(
        database,
        p.miniProgram({ unionid: undefined, openPlatformId: null, phone: p.phone }),
        policy({ fieldMatching: ['phone'] }),
      );
      expect(first.kind === 'signed_in' && second.kind === 'signed_in' && second.userId === first.userId).toBe(true);
      expect(second).toMatchObject({ via: 'phone', linked: true });
    });

    it('a number WeChat showed in another person’s hands joins nobody to its old holder afterwards, even through an app without an Open Platform account; the holder verifying it again ends the dispute', async () => {
      const holder = person();
      const newcomer = person();
      const phone = holder.phone;
      const matching = policy({ fieldMatching: ['phone'] });
      const first = await signInWithAssertion(database, holder.miniProgram({ phone }), matching);
      if (first.kind !== 'signed_in') throw new Error('holder not signed in');
      // The number changed hands: the newcomer shares it through the same mini program (another unionid: no match).
      const bound = await signInWithAssertion(database, newcomer.miniProgram({ phone }), matching);
      expect(bound.kind === 'signed_in' && bound.userId !== first.userId).toBe(true);
      // Through a mini program bound to no Open Platform account there is no unionid to tell them apart.
      const unbound = await signInWithAssertion(
        database,
        { appid: 'wx_mp_unbound', appType: 'mini_program', openPlatformId: null, openid: `o_unbound_${newcomer.unionid}`, phone },
        matching,
      );
      expect(unbound.kind === 'signed_in' && unbound.userId !== first.userId).toBe(true);
      const disputed = () =>
        database.db
          .selectFrom('user_identifiers')
          .select('disputed_at')
          .where('kind', '=', 'phone')
          .where('value', '=', phone)
          .executeTakeFirst();
      expect((await disputed())?.disputed_at).toEqual(expect.any(Number));
      // The holder's own WeChat verifies it again: theirs, and matching to them resumes.
      await signInWithAssertion(database, holder.miniProgram({ phone }), matching);
      expect((await disputed())?.disputed_at).toBeNull();
    });

    it('a scenario can tell a known WeChat identity, its unionid and whether its phone is already verified', async () => {
      const p = person();
      expect(await lookupWechatIdentity(database.db, { appid: 'wx_oa', openid: p.officialAccount().openid })).toBeNull();
      const first = await signInWithAssertion(database, p.officialAccount({ unionid: undefined }), policy());
      if (first.kind !== 'signed_in') throw new Error('not signed in');
      expect(await lookupWechatIdentity(database.db, { appid: 'wx_oa', openid: p.officialAccount().openid })).toEqual({
        userId: first.userId,
        userStatus: 'active',
        unionid: null,
        hasVerifiedPhone: false,
      });
      await signInWithAssertion(database, p.officialAccount({ phone: p.phone }), policy());
      expect(await lookupWechatIdentity(database.db, { appid: 'wx_oa', openid: p.officialAccount().openid })).toMatchObject({
        unionid: p.unionid,
        hasVerifiedPhone: true,
      });
    });

    it('a blocked user is refused and nothing is written', async () => {
      const p = person();
      const first = await signInWithAssertion(database, p.website(), policy());
      if (first.kind !== 'signed_in') throw new Error('not signed in');
      await database.db.updateTable('users').set({ status: 'blocked' }).where('id', '=', first.userId).execute();
      const refused = await signInWithAssertion(database, p.miniProgram(), policy());
      expect(refused).toMatchObject({ kind: 'refused', reason: 'account_blocked' });
      expect(await ledgerOf(first.userId)).toHaveLength(1);
    });

    it('registration closed refuses a new person without creating anything', async () => {
      const p = person();
      const before = await database.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      const refused = await signInWithAssertion(database, p.website(), policy({ registration: 'deny' }));
      expect(refused).toMatchObject({ kind: 'refused', reason: 'registration_closed' });
      const after = await database.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(before.n));
    });

    it('concurrent logins that all trigger the same automatic merge merge once and all land on one user', async () => {
      const p = person();
      const byOpenid = await signInWithAssertion(database, p.officialAccount({ unionid: undefined, openPlatformId: null }), policy());
      const byUnionid = await signInWithAssertion(database, p.website(), policy());
      if (byOpenid.kind !== 'signed_in' || byUnionid.kind !== 'signed_in') throw new Error('not signed in');
      const sibling = await database.openSibling();
      try {
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) =>
            signInWithAssertion(i % 2 === 0 ? database : sibling, p.officialAccount(), policy({ autoMergeOnUnionid: true })),
          ),
        );
        expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
        const users = new Set(
          results.map((r) => (r.status === 'fulfilled' && r.value.kind === 'signed_in' ? r.value.userId : 'not signed in')),
        );
        expect(users).toEqual(new Set([byUnionid.userId]));
        const merges = await database.db.selectFrom('merge_records').select('id').where('source_user_id', '=', byOpenid.userId).execute();
        expect(merges).toHaveLength(1);
      } finally {
        await sibling.close();
      }
    });

    it('50 concurrent first logins of one person through three apps make exactly one user with three rows', async () => {
      const p = person();
      const apps = [p.officialAccount(), p.miniProgram(), p.website()];
      const sibling = await database.openSibling();
      try {
        const results = await Promise.allSettled(
          Array.from({ length: 50 }, (_, i) => signInWithAssertion(i % 2 === 0 ? database : sibling, apps[i % 3] ?? p.website(), policy())),
        );
        const rejected = results.filter((r) => r.status === 'rejected');
        expect(rejected).toEqual([]);
        const users = new Set(
          results.map((r) => (r.status === 'fulfilled' && r.value.kind === 'signed_in' ? r.value.userId : 'not signed in')),
        );
        expect(users.size).toBe(1);
        const [userId] = [...users];
        expect(await usersWithUnionid(p.unionid)).toEqual(new Set([userId]));
        expect((await ledgerOf(userId ?? '')).map((r) => r.appid)).toEqual(['wx_mp', 'wx_oa', 'wx_web']);
        const created = await database.db
          .selectFrom('audit_log')
          .select('id')
          .where('action', '=', 'user.created')
          .where('subject_id', '=', userId ?? '')
          .execute();
        expect(created).toHaveLength(1);
      } finally {
        await sibling.close();
      }
    });
  });
}

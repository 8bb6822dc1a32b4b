import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';
import { signInWithAssertion } from './apply.ts';
import { type Actor, SYSTEM_ACTOR } from './audit.ts';
import { mergeUsers, unmergeUsers } from './merge.ts';
import { setPassword } from './password.ts';
import { DEFAULT_POLICY } from './policy.ts';
import { unlinkIdentity } from './users.ts';

const admin: Actor = { kind: 'admin_key', id: 'key_test' };
let sequence = 0;

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`merge and unmerge: ${backend.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await backend.open();
    });
    afterAll(async () => {
      await database?.dispose();
    });

    /** A user with two WeChat identities (one unionid), a verified phone and a password. */
    async function richUser() {
      sequence += 1;
      const unionid = `u_merge_${sequence}`;
      const phone = `+8613600${String(sequence).padStart(6, '0')}`;
      const first = await signInWithAssertion(
        database,
        {
          appid: 'wx_oa',
          appType: 'official_account',
          openPlatformId: 'op_m',
          openid: `o_oa_${sequence}`,
          unionid,
          phone,
          profile: { nickname: `N${sequence}` },
        },
        DEFAULT_POLICY,
      );
      if (first.kind !== 'signed_in') throw new Error('not signed in');
      await signInWithAssertion(
        database,
        { appid: 'wx_web', appType: 'website', openPlatformId: 'op_m', openid: `o_web_${sequence}`, unionid },
        DEFAULT_POLICY,
      );
      await setPassword(database.db, first.userId, 'a password');
      return { userId: first.userId, unionid, phone };
    }

    /** Everything that belongs to a user, as stored. */
    async function stateOf(userId: string) {
      const db = database.db;
      return {
        user: await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow(),
        identities: await db.selectFrom('wechat_identities').selectAll().where('user_id', '=', userId).orderBy('id').execute(),
        unionids: await db.selectFrom('unionid_owners').selectAll().where('user_id', '=', userId).orderBy('unionid').execute(),
        identifiers: await db.selectFrom('user_identifiers').selectAll().where('user_id', '=', userId).orderBy('id').execute(),
        password: await db.selectFrom('password_credentials').selectAll().where('user_id', '=', userId).executeTakeFirst(),
      };
    }

    // Two rich users are two different WeChat people of the same apps: merging them needs the
    // admin's explicit confirmation (`allowConflicts`), which these tests give.
    const merge = (targetUserId: string, sourceUserId: string) =>
      database.db.transaction().execute((trx) => mergeUsers(trx, { targetUserId, sourceUserId, actor: admin, allowConflicts: true }));
    const unmerge = (mergeId: string) => database.db.transaction().execute((trx) => unmergeUsers(trx, { mergeId, actor: admin }));

    it('moves identities, unionid claims and identifiers to the target and disables the source', async () => {
      const a = await richUser();
      const b = await richUser();
      const result = await merge(a.userId, b.userId);
      expect(result.moved).toEqual({ identities: 2, unionids: 1, identifiers: 1 });
      const target = await stateOf(a.userId);
      expect(target.identities).toHaveLength(4);
      expect(target.unionids.map((u) => u.unionid).sort()).toEqual([a.unionid, b.unionid].sort());
      expect(target.identifiers.map((x) => x.value).sort()).toEqual([a.phone, b.phone].sort());
      expect((await stateOf(b.userId)).user).toMatchObject({ status: 'merged', merged_into: a.userId });
      // The source's WeChat identity now signs in as the target.
      const again = await signInWithAssertion(
        database,
        { appid: 'wx_oa', appType: 'official_account', openPlatformId: 'op_m', openid: `o_oa_${sequence}`, unionid: b.unionid },
        DEFAULT_POLICY,
      );
      expect(again).toMatchObject({ kind: 'signed_in', userId: a.userId });
    });

    it('unmerge restores the source exactly as it was, and the target as it was before', async () => {
      const a = await richUser();
      const b = await richUser();
      const [targetBefore, sourceBefore] = [await stateOf(a.userId), await stateOf(b.userId)];
      const { mergeId } = await merge(a.userId, b.userId);
      await unmerge(mergeId);
      expect(await stateOf(b.userId)).toEqual(sourceBefore);
      expect(await stateOf(a.userId)).toEqual(targetBefore);
      const actions = (await database.db.selectFrom('audit_log').select('action').where('subject_id', '=', b.userId).execute()).map(
        (r) => r.action,
      );
      expect(actions).toEqual(expect.arrayContaining(['user.merged_into', 'user.unmerged']));
    });

    it('an open suggestion between the two is resolved by the merge and reopened by the undo', async () => {
      const a = await richUser();
      const b = await richUser();
      const now = Date.now();
      await database.db
        .insertInto('merge_suggestions')
        .values({
          id: `sug_t${sequence}`,
          user_id: a.userId,
          other_user_id: b.userId,
          reason: 'unionid_conflict',
          open_platform_id: null,
          unionid: null,
          appid: null,
          openid: null,
          status: 'open',
          created_at: now,
          resolved_at: null,
        })
        .execute();
      const status = async () =>
        (await database.db.selectFrom('merge_suggestions').select('status').where('id', '=', `sug_t${sequence}`).executeTakeFirstOrThrow())
          .status;
      const { mergeId } = await merge(a.userId, b.userId);
      expect(await status()).toBe('merged');
      await unmerge(mergeId);
      expect(await status()).toBe('open');
    });

    it('refuses a merge into itself, of a blocked user, of an unknown user, and of an already merged user', async () => {
      const a = await richUser();
      const b = await richUser();
      await expect(merge(a.userId, a.userId)).rejects.toMatchObject({ code: 'merge_refused' });
      await database.db.updateTable('users').set({ status: 'blocked' }).where('id', '=', b.userId).execute();
      await expect(merge(a.userId, b.userId)).rejects.toMatchObject({ code: 'merge_refused' });
      await expect(merge(b.userId, a.userId)).rejects.toMatchObject({ code: 'merge_refused' });
      await expect(merge(a.userId, 'usr_nobody')).rejects.toMatchObject({ code: 'not_found' });
      const c = await richUser();
      await merge(a.userId, c.userId);
      await expect(merge(a.userId, c.userId)).rejects.toMatchObject({ code: 'merge_refused' });
      expect((await stateOf(b.userId)).identities).toHaveLength(2);
    });

    it('two opposite merges of the same pair at once: exactly one happens, the other is refused', async () => {
      const a = await richUser();
      const b = await richUser();
      const sibling = await database.openSibling();
      try {
        const results = await Promise.allSettled([
          database.db
            .transaction()
            .execute((trx) => mergeUsers(trx, { targetUserId: a.userId, sourceUserId: b.userId, actor: admin, allowConflicts: true })),
          sibling.db
            .transaction()
            .execute((trx) => mergeUsers(trx, { targetUserId: b.userId, sourceUserId: a.userId, actor: admin, allowConflicts: true })),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason)).toMatchObject([
          { code: 'merge_refused' },
        ]);
        const statuses = [(await stateOf(a.userId)).user.status, (await stateOf(b.userId)).user.status].sort();
        expect(statuses).toEqual(['active', 'merged']);
      } finally {
        await sibling.close();
      }
    });

    it('two undos of one merge at once: exactly one happens', async () => {
      const a = await richUser();
      const b = await richUser();
      const sourceBefore = await stateOf(b.userId);
      const { mergeId } = await merge(a.userId, b.userId);
      const sibling = await database.openSibling();
      try {
        const results = await Promise.allSettled([
          unmerge(mergeId),
          sibling.db.transaction().execute((trx) => unmergeUsers(trx, { mergeId, actor: admin })),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(await stateOf(b.userId)).toEqual(sourceBefore);
      } finally {
        await sibling.close();
      }
    });

    it('refuses to undo when something it moved has changed since, and changes nothing', async () => {
      const a = await richUser();
      const b = await richUser();
      const movedIdentity = (await stateOf(b.userId)).identities[0];
      const { mergeId } = await merge(a.userId, b.userId);
      await unlinkIdentity(database.db, a.userId, movedIdentity?.id ?? '', SYSTEM_ACTOR);
      const before = [await stateOf(a.userId), await stateOf(b.userId)];
      await expect(unmerge(mergeId)).rejects.toMatchObject({ code: 'unmerge_refused' });
      expect([await stateOf(a.userId), await stateOf(b.userId)]).toEqual(before);
    });

    it('a merge that would put two WeChat people of one app into one account is refused without confirmation, changing nothing', async () => {
      const a = await richUser();
      const b = await richUser();
      const before = [await stateOf(a.userId), await stateOf(b.userId)];
      const refused = database.db
        .transaction()
        .execute((trx) => mergeUsers(trx, { targetUserId: a.userId, sourceUserId: b.userId, actor: admin }));
      await expect(refused).rejects.toMatchObject({
        code: 'merge_conflict',
        details: {
          conflicts: expect.arrayContaining([
            { kind: 'appid', appid: 'wx_oa', targetOpenid: expect.any(String), sourceOpenid: expect.any(String) },
            { kind: 'open_platform', openPlatformId: 'op_m', targetUnionid: a.unionid, sourceUnionid: b.unionid },
          ]),
        },
      });
      expect([await stateOf(a.userId), await stateOf(b.userId)]).toEqual(before);
    });

    it("the merged profile carries the source's verified phone when the target has none; undo restores both rows exactly", async () => {
      sequence += 1;
      const target = await signInWithAssertion(
        database,
        { appid: 'wx_web', appType: 'website', openPlatformId: 'op_m', openid: `o_web_t${sequence}`, unionid: `u_t${sequence}` },
        DEFAULT_POLICY,
      );
      const phone = `+8613700${String(sequence).padStart(6, '0')}`;
      const source = await signInWithAssertion(
        database,
        { appid: 'wx_mp', appType: 'mini_program', openPlatformId: null, openid: `o_mp_s${sequence}`, phone },
        DEFAULT_POLICY,
      );
      if (target.kind !== 'signed_in' || source.kind !== 'signed_in') throw new Error('not signed in');
      const before = [await stateOf(target.userId), await stateOf(source.userId)];
      const merged = await database.db
        .transaction()
        .execute((trx) => mergeUsers(trx, { targetUserId: target.userId, sourceUserId: source.userId, actor: admin }));
      const after = await stateOf(target.userId);
      expect(after.user).toMatchObject({ phone_number: phone, phone_number_verified: 1 });
      expect(after.identifiers.map((x) => x.value)).toEqual([phone]);
      // A later WeChat login with that phone keeps it (and would restore it if cleared).
      await database.db
        .updateTable('users')
        .set({ phone_number: null, phone_number_verified: 0 })
        .where('id', '=', target.userId)
        .execute();
      const again = await signInWithAssertion(
        database,
        { appid: 'wx_mp', appType: 'mini_program', openPlatformId: null, openid: `o_mp_s${sequence}`, phone },
        DEFAULT_POLICY,
      );
      expect(again).toMatchObject({ kind: 'signed_in', userId: target.userId });
      expect((await stateOf(target.userId)).user).toMatchObject({ phone_number: phone, phone_number_verified: 1 });
      // Undo after that login: both rows as they were before the merge (the target's phone back to none).
      await unmerge(merged.mergeId);
      const [t, s] = [await stateOf(target.userId), await stateOf(source.userId)];
      expect(s.user).toEqual(before[1]?.user);
      expect(s.identifiers).toEqual(before[1]?.identifiers);
      expect(t.user).toMatchObject({ phone_number: null, phone_number_verified: 0 });
      expect(t.identities.map((i) => i.id)).toEqual(before[0]?.identities.map((i) => i.id));
    });
  });
}

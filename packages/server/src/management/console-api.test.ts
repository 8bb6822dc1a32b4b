/**
 * The management API calls the admin console needs (issue #9): one search box over users and a
 * merge preview that says exactly what the merge will do. Both storage backends.
 */
import { createHash, randomBytes } from 'node:crypto';
import { MemorySharedState } from '@weunion/state';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminKey } from '../admin-keys/store.ts';
import { loadConfig } from '../config/index.ts';
import { buildApp } from '../http/app.ts';
import { signInWithAssertion } from '../identity/apply.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { mergeUsers } from '../identity/merge.ts';
import { DEFAULT_POLICY } from '../identity/policy.ts';
import { SecretBox } from '../secrets/master-key.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`management API for the console: ${backend.name}`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    let key: string;

    beforeAll(async () => {
      database = await backend.open();
      key = (await createAdminKey(database.db, 'console tests', SYSTEM_ACTOR)).key;
      app = await buildApp(
        {
          config: loadConfig({ SANDBOX: 'off', PUBLIC_URL: 'https://login.example.com' }),
          database,
          state: new MemorySharedState(),
          secrets: new SecretBox(randomBytes(32)),
        },
        { logger: pino({ level: 'silent' }) },
      );
    });
    afterAll(async () => {
      await app?.close();
      await database?.dispose();
    });

    const api = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) => {
      const headers: Record<string, string> = { authorization: `Bearer ${key}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await app.inject({
        method,
        url: `/api/v1${url}`,
        headers,
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      return { status: response.statusCode, body: response.body === '' ? null : response.json() };
    };
    const ids = (body: { users: { id: string }[] }) => body.users.map((u) => u.id).sort();
    let sequence = 0;
    const signIn = async (appid: string, unionid?: string) => {
      sequence += 1;
      const result = await signInWithAssertion(
        database,
        {
          appid,
          appType: 'official_account',
          openPlatformId: 'op_console',
          openid: `o_console_${appid}_${sequence}`,
          ...(unionid === undefined ? {} : { unionid }),
        },
        DEFAULT_POLICY,
      );
      if (result.kind !== 'signed_in') throw new Error(`not signed in: ${result.kind}`);
      return result.userId;
    };

    describe('search box (q)', () => {
      it('finds a user by exact id, phone, email, openid and unionid', async () => {
        const created = await api('POST', '/users', {
          email: 'Box@Example.com',
          emailVerified: true,
          phoneNumber: '+8613900000077',
          phoneNumberVerified: true,
        });
        const userId: string = created.body.id;
        expect(ids((await api('GET', `/users?q=${userId}`)).body)).toEqual([userId]);
        expect(ids((await api('GET', '/users?q=%2B8613900000077')).body)).toEqual([userId]);
        expect(ids((await api('GET', '/users?q=BOX@example.com')).body)).toEqual([userId]);
        const wechatUser = await signIn('wx_console_oa', 'u_console_box');
        const openid: string = (await api('GET', `/users/${wechatUser}`)).body.identities[0].openid;
        expect(ids((await api('GET', `/users?q=${openid}`)).body)).toEqual([wechatUser]);
        expect(ids((await api('GET', '/users?q=u_console_box')).body)).toEqual([wechatUser]);
      });

      it('matches part of the name or nickname in any case, and other filters still apply', async () => {
        const ada = (await api('POST', '/users', { name: 'Ada Lovelace' })).body.id;
        const nick = (await api('POST', '/users', { nickname: 'lovelace-fan' })).body.id;
        const blocked = (await api('POST', '/users', { name: 'Old LOVELACE' })).body.id;
        await api('POST', `/users/${blocked}/block`);
        expect(ids((await api('GET', '/users?q=LOVElace')).body)).toEqual([ada, nick, blocked].sort());
        expect(ids((await api('GET', '/users?q=lovelace&status=active')).body)).toEqual([ada, nick].sort());
        expect((await api('GET', '/users?q=nobody-by-this-name')).body.users).toEqual([]);
      });

      it('an exact identifier wins over names that merely contain it', async () => {
        const owner = await signIn('wx_console_oa', 'u_console_exact');
        const openid: string = (await api('GET', `/users/${owner}`)).body.identities[0].openid;
        await api('POST', `/users`, { nickname: `fan of ${openid}` });
        expect(ids((await api('GET', `/users?q=${openid}`)).body)).toEqual([owner]);
        expect((await api('GET', `/users?q=${encodeURIComponent(`fan of ${openid}`)}`)).body.users).toHaveLength(1);
      });

      it('treats % and _ in the search text as plain characters', async () => {
        const percent = (await api('POST', '/users', { name: '100% sure' })).body.id;
        await api('POST', '/users', { name: '100 x sure' });
        const underscore = (await api('POST', '/users', { nickname: 'a_b' })).body.id;
        await api('POST', '/users', { nickname: 'axb' });
        expect(ids((await api('GET', '/users?q=0%25%20s')).body)).toEqual([percent]);
        expect(ids((await api('GET', '/users?q=a_b')).body)).toEqual([underscore]);
      });
    });

    describe('actor names', () => {
      it('audit entries and merges name the admin key that made them', async () => {
        const target = await signIn('wx_console_oa');
        const source = await signIn('wx_console_oa');
        const merged = await api('POST', `/users/${target}/merge`, { sourceUserId: source, allowConflicts: true });
        const merges = (await api('GET', `/merges?userId=${source}`)).body.merges;
        expect(merges[0]).toMatchObject({ id: merged.body.mergeId, actor: { kind: 'admin_key', name: 'console tests' } });
        const entries = (await api('GET', `/audit-log?subjectId=${target}&action=user.merged`)).body.entries;
        expect(entries[0].actor).toMatchObject({ kind: 'admin_key', name: 'console tests' });
      });

      it("a console admin's merge keeps the username it was made under; the system has no name", async () => {
        const target = await signIn('wx_console_oa');
        const source = await signIn('wx_console_oa');
        await database.db.transaction().execute((trx) =>
          mergeUsers(trx, {
            targetUserId: target,
            sourceUserId: source,
            actor: { kind: 'admin', id: 'adm_gone', name: 'alice' },
            allowConflicts: true,
          }),
        );
        expect((await api('GET', `/merges?userId=${target}`)).body.merges[0].actor).toEqual({
          kind: 'admin',
          id: 'adm_gone',
          name: 'alice',
        });
        const created = (await api('GET', `/audit-log?subjectId=${target}&action=user.created`)).body.entries;
        expect(created[0].actor).toMatchObject({ kind: 'system', name: null });
      });
    });

    describe('connection setup values', () => {
      it('tells, per app type, what to paste into WeChat: the push URL and domains of this PUBLIC_URL', async () => {
        const create = (id: string, appType: string, appid: string, scenarios: string[]) =>
          api('POST', '/connections', { id, name: id, appType, appid, secret: 's', scenarios });
        const oa = await create('setup-oa', 'official_account', 'wxsetup0000000oa', ['s1', 's4']);
        expect(oa.body.setup).toEqual([
          { key: 'server_url', value: 'https://login.example.com/wechat/callback/wxsetup0000000oa' },
          { key: 'oauth_domain', value: 'login.example.com' },
          { key: 'js_domain', value: 'login.example.com' },
        ]);
        expect((await create('setup-web', 'website', 'wxsetup000000web', ['s2'])).body.setup).toEqual([
          { key: 'oauth_domain', value: 'login.example.com' },
        ]);
        expect((await create('setup-mp', 'mini_program', 'wxsetup0000000mp', ['s5'])).body.setup).toEqual([
          { key: 'request_domain', value: 'https://login.example.com' },
        ]);
        expect((await create('setup-app', 'mobile_app', 'wxsetup000000app', ['s6'])).body.setup).toEqual([]);
        expect((await api('GET', '/connections/setup-oa')).body.setup).toEqual(oa.body.setup);
        const listed = (await api('GET', '/connections')).body.connections.find((c: { id: string }) => c.id === 'setup-mp');
        expect(listed.setup).toEqual([{ key: 'request_domain', value: 'https://login.example.com' }]);
      });

      it('the push URL the setup names is the one WeChat callbacks are served on', async () => {
        await api('POST', '/connections', {
          id: 'setup-push',
          name: 'push',
          appType: 'official_account',
          appid: 'wxsetup00000push',
          secret: 's',
          token: 'pushtoken',
          scenarios: ['s1'],
        });
        const serverUrl: string = (await api('GET', '/connections/setup-push')).body.setup[0].value;
        const path = new URL(serverUrl).pathname;
        const timestamp = String(Math.floor(Date.now() / 1000));
        const signature = createHash('sha1').update(['pushtoken', timestamp, 'n1'].sort().join('')).digest('hex');
        const check = await app.inject({
          method: 'GET',
          url: `${path}?signature=${signature}&timestamp=${timestamp}&nonce=n1&echostr=hello`,
        });
        expect(check.statusCode).toBe(200);
        expect(check.body).toBe('hello');
      });
    });

    describe('merge preview', () => {
      const auditCount = async () =>
        Number(
          (
            await database.db
              .selectFrom('audit_log')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );

      it('shows exactly what the merge then moves, and changes nothing itself', async () => {
        const target = await signIn('wx_console_oa', 'u_preview_a');
        const source = await signIn('wx_console_web', 'u_preview_b');
        await api('PATCH', `/users/${source}`, { name: 'Source Name', email: 'preview@example.com', emailVerified: true });
        const sourceBefore = (await api('GET', `/users/${source}`)).body;
        const audits = await auditCount();

        const preview = await api('GET', `/users/${target}/merge-preview?sourceUserId=${source}`);
        expect(preview.status).toBe(200);
        expect(preview.body).toMatchObject({ allowed: true, refusal: null, target: { id: target }, source: { id: source } });
        expect(await auditCount()).toBe(audits);
        expect((await api('GET', `/users/${source}`)).body).toEqual(sourceBefore);
        // The target lacks a name and an email: the merged profile takes the source's (the email still verified).
        expect(preview.body.result.profile).toContainEqual({ field: 'name', target: null, source: 'Source Name', result: 'Source Name' });
        expect(preview.body.result.profile).toContainEqual({ field: 'emailVerified', target: false, source: true, result: true });
        // Two unionids of one Open Platform account: the preview says so, and the merge needs the confirmation.
        expect(preview.body.conflicts).toEqual([
          { kind: 'open_platform', openPlatformId: expect.any(String), targetUnionid: 'u_preview_a', sourceUnionid: 'u_preview_b' },
        ]);
        expect((await api('POST', `/users/${target}/merge`, { sourceUserId: source })).body).toMatchObject({ code: 'merge_conflict' });

        const merged = await api('POST', `/users/${target}/merge`, { sourceUserId: source, allowConflicts: true });
        expect(merged.status).toBe(201);
        const after = (await api('GET', `/users/${target}`)).body;
        expect(after).toMatchObject({ name: 'Source Name', email: 'preview@example.com', emailVerified: true });
        const movedIdentities = after.identities.filter((i: { id: string }) =>
          sourceBefore.identities.some((s: { id: string }) => s.id === i.id),
        );
        expect(preview.body.result.identitiesMoving).toEqual(movedIdentities);
        expect(preview.body.result.identitiesMoving).toHaveLength(merged.body.moved.identities);
        expect(preview.body.result.identifiersMoving).toEqual(sourceBefore.identifiers);
        expect(preview.body.result.identifiersMoving).toHaveLength(merged.body.moved.identifiers);
      });

      it('a merge that would be refused previews as not allowed, with the refusal the merge gives', async () => {
        const user = await signIn('wx_console_oa');
        const other = await signIn('wx_console_oa');
        const itself = await api('GET', `/users/${user}/merge-preview?sourceUserId=${user}`);
        const refused = await api('POST', `/users/${user}/merge`, { sourceUserId: user });
        expect(itself.body).toMatchObject({ allowed: false, refusal: { code: refused.body.code, detail: refused.body.detail } });
        expect(itself.body.result).toMatchObject({ identitiesMoving: [], identifiersMoving: [] });

        await api('DELETE', `/users/${other}`);
        const deleted = await api('GET', `/users/${user}/merge-preview?sourceUserId=${other}`);
        const refusedDeleted = await api('POST', `/users/${user}/merge`, { sourceUserId: other });
        expect(refusedDeleted.status).toBe(409);
        expect(deleted.body).toMatchObject({ allowed: false, refusal: { code: 'merge_refused', detail: refusedDeleted.body.detail } });
      });

      it('an unknown user is a 404', async () => {
        const user = await signIn('wx_console_oa');
        expect((await api('GET', `/users/${user}/merge-preview?sourceUserId=usr_nobody`)).status).toBe(404);
      });
    });
  });
}

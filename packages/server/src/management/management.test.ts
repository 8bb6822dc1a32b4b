import { randomBytes } from 'node:crypto';
import { MemorySharedState } from '@weunion/state';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminKey } from '../admin-keys/store.ts';
import { loadConfig } from '../config/index.ts';
import { buildApp } from '../http/app.ts';
import { signInWithAssertion } from '../identity/apply.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { DEFAULT_POLICY } from '../identity/policy.ts';
import { SecretBox } from '../secrets/master-key.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';
import { managementRoutes } from './routes.ts';

/** `METHOD /path` for every route in Fastify's route tree printout (HEAD left out). */
function registeredRoutes(tree: string): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[└├]── (\S+)(?: \(([^)]+)\))?/.exec(line);
    if (match === null) continue;
    const depth = (match[1] ?? '').length / 4;
    const path = `${stack[depth - 1] ?? ''}${match[2] ?? ''}`;
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of (match[3] ?? '').split(', ')) {
      if (method !== '' && method !== 'HEAD') routes.push(`${method} ${path.replace(/:([A-Za-z]+)/g, '{$1}')}`);
    }
  }
  return routes;
}

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`management API: ${backend.name}`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    let key: string;

    beforeAll(async () => {
      database = await backend.open();
      key = (await createAdminKey(database.db, 'tests', SYSTEM_ACTOR)).key;
      app = await buildApp(
        { config: loadConfig({ SANDBOX: 'off' }), database, state: new MemorySharedState(), secrets: new SecretBox(randomBytes(32)) },
        { logger: pino({ level: 'silent' }) },
      );
    });
    afterAll(async () => {
      await app?.close();
      await database?.dispose();
    });

    const api = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, bearer: string | null = key) => {
      const response = await app.inject({
        method,
        url: `/api/v1${url}`,
        headers: bearer === null ? {} : { authorization: `Bearer ${bearer}` },
        ...(body === undefined
          ? {}
          : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` } }),
      });
      return { status: response.statusCode, body: response.body === '' ? null : response.json(), headers: response.headers };
    };
    const countUsers = async () =>
      Number(
        (
          await database.db
            .selectFrom('users')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    let wechatSequence = 0;
    const signInThroughWechat = async (appid = 'wx_oa', unionid?: string, openPlatformId: string | null = 'op_test') => {
      wechatSequence += 1;
      const result = await signInWithAssertion(
        database,
        {
          appid,
          appType: 'official_account',
          openPlatformId,
          openid: `o_${appid}_${wechatSequence}`,
          ...(unionid === undefined ? {} : { unionid }),
        },
        DEFAULT_POLICY,
      );
      if (result.kind !== 'signed_in') throw new Error(`not signed in: ${result.kind}`);
      return result;
    };

    describe('authentication', () => {
      it('a request without a key is refused with 401 and a Bearer challenge', async () => {
        const response = await api('GET', '/users', undefined, null);
        expect(response.status).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Bearer');
        expect(response.body).toMatchObject({ code: 'unauthorized' });
      });

      it('an unknown key is refused', async () => {
        const response = await api('GET', '/users', undefined, `wu_${randomBytes(32).toString('base64url')}`);
        expect(response.status).toBe(401);
      });

      it('a malformed key is refused', async () => {
        expect((await api('GET', '/users', undefined, 'not-a-key')).status).toBe(401);
      });

      it('a revoked key is refused from then on', async () => {
        const created = await api('POST', '/admin-keys', { name: 'short-lived' });
        expect(created.status).toBe(201);
        const secondKey: string = created.body.key;
        expect((await api('GET', '/admin-keys', undefined, secondKey)).status).toBe(200);
        expect((await api('DELETE', `/admin-keys/${created.body.adminKey.id}`)).status).toBe(204);
        expect((await api('GET', '/admin-keys', undefined, secondKey)).status).toBe(401);
        const listed = await api('GET', '/admin-keys');
        expect(listed.body.adminKeys.find((k: { id: string }) => k.id === created.body.adminKey.id)).toMatchObject({
          revokedAt: expect.any(Number),
        });
        expect(JSON.stringify(listed.body)).not.toContain(secondKey);
      });

      it('every route refuses a request without a key', async () => {
        for (const route of managementRoutes) {
          const url = route.path.replace(/:([A-Za-z]+)/g, 'x_$1');
          const response = await app.inject({ method: route.method, url: `/api/v1${url}` });
          expect(response.statusCode, `${route.method} ${route.path}`).toBe(401);
        }
      });

      it('an unauthenticated request with bad input is refused as unauthenticated and changes nothing', async () => {
        const before = await countUsers();
        expect((await api('POST', '/users', { phoneNumber: 'x' }, null)).status).toBe(401);
        expect((await api('POST', '/users', { nickname: 'ok' }, 'wu_wrong')).status).toBe(401);
        expect(await countUsers()).toBe(before);
      });
    });

    describe('users', () => {
      it('creates a user with a verified phone and a password, and reads it back', async () => {
        const created = await api('POST', '/users', {
          nickname: 'Pre-provisioned',
          phoneNumber: '+8613900000001',
          phoneNumberVerified: true,
          password: 'correct horse',
        });
        expect(created.status).toBe(201);
        expect(created.body).toMatchObject({
          nickname: 'Pre-provisioned',
          phoneNumberVerified: true,
          hasPassword: true,
          identifiers: [{ kind: 'phone', value: '+8613900000001' }],
        });
        expect(JSON.stringify(created.body)).not.toContain('correct horse');
        const read = await api('GET', `/users/${created.body.id}`);
        expect(read.body).toEqual(created.body);
      });

      it('a second user with the same verified phone is refused with 409 and not created', async () => {
        const before = await countUsers();
        const response = await api('POST', '/users', { phoneNumber: '+8613900000001', phoneNumberVerified: true });
        expect(response.status).toBe(409);
        expect(await countUsers()).toBe(before);
      });

      it('bad input is a 400 naming the field, and nothing is created', async () => {
        const before = await countUsers();
        const response = await api('POST', '/users', { nickname: 'x', phoneNumber: '13900000001' });
        expect(response.status).toBe(400);
        expect(response.body).toMatchObject({ code: 'validation_failed', detail: 'phoneNumber: must be an E.164 phone number' });
        expect((await api('POST', '/users', { nickname: 'x', isAdmin: true })).status).toBe(400);
        expect(await countUsers()).toBe(before);
      });

      it('searches by phone, email, openid and unionid', async () => {
        const byPhone = await api('POST', '/users', {
          email: 'Search@Example.com',
          emailVerified: true,
          phoneNumber: '+8613900000002',
          phoneNumberVerified: true,
        });
        expect((await api('GET', '/users?phone=%2B8613900000002')).body.users.map((u: { id: string }) => u.id)).toEqual([byPhone.body.id]);
        expect((await api('GET', '/users?email=search@example.com')).body.users.map((u: { id: string }) => u.id)).toEqual([
          byPhone.body.id,
        ]);
        const wechat = await signInThroughWechat('wx_oa', 'u_search');
        const detail = await api('GET', `/users/${wechat.userId}`);
        const openid: string = detail.body.identities[0].openid;
        expect((await api('GET', `/users?openid=${openid}`)).body.users.map((u: { id: string }) => u.id)).toEqual([wechat.userId]);
        expect((await api('GET', '/users?unionid=u_search')).body.users.map((u: { id: string }) => u.id)).toEqual([wechat.userId]);
        expect((await api('GET', `/users?id=${wechat.userId}`)).body.users).toHaveLength(1);
        expect((await api('GET', '/users?phone=%2B8613999999999')).body.users).toEqual([]);
      });

      it('pages through every user with the cursor, each exactly once', async () => {
        for (let i = 0; i < 3; i++) await api('POST', '/users', { nickname: `page ${i}` });
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const page: { body: { users: { id: string }[]; nextCursor: string | null } } = await api(
            'GET',
            `/users?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`,
          );
          seen.push(...page.body.users.map((u) => u.id));
          cursor = page.body.nextCursor;
        } while (cursor !== null);
        expect(seen).toHaveLength(await countUsers());
        expect(new Set(seen).size).toBe(seen.length);
        expect((await api('GET', '/users?limit=0')).status).toBe(400);
      });

      it('updates the profile and records before/after in the audit log', async () => {
        const created = await api('POST', '/users', { nickname: 'Old' });
        const updated = await api('PATCH', `/users/${created.body.id}`, { nickname: 'New', locale: 'zh-CN' });
        expect(updated.status).toBe(200);
        expect(updated.body).toMatchObject({ nickname: 'New', locale: 'zh-CN' });
        const audit = await api('GET', `/audit-log?subjectId=${created.body.id}&action=user.profile_updated`);
        expect(audit.body.entries).toMatchObject([
          { before: { nickname: 'Old', locale: null }, after: { nickname: 'New', locale: 'zh-CN' }, actor: { kind: 'admin_key' } },
        ]);
      });

      it('a bad profile change is refused and changes nothing', async () => {
        const created = await api('POST', '/users', { nickname: 'Stable' });
        expect((await api('PATCH', `/users/${created.body.id}`, { nickname: 'Changed', picture: 'not a url' })).status).toBe(400);
        expect((await api('GET', `/users/${created.body.id}`)).body.nickname).toBe('Stable');
      });

      it('an unknown user is a 404', async () => {
        expect((await api('GET', '/users/usr_missing')).status).toBe(404);
        expect((await api('PATCH', '/users/usr_missing', { nickname: 'x' })).status).toBe(404);
      });

      it('block refuses WeChat sign-in until unblocked', async () => {
        const wechat = await signInThroughWechat('wx_web', 'u_block');
        expect((await api('POST', `/users/${wechat.userId}/block`)).body).toMatchObject({ status: 'blocked' });
        expect((await api('POST', `/users/${wechat.userId}/block`)).status).toBe(409);
        const refused = await signInWithAssertion(
          database,
          { appid: 'wx_mp', appType: 'mini_program', openPlatformId: 'op_test', openid: 'o_block_mp', unionid: 'u_block' },
          DEFAULT_POLICY,
        );
        expect(refused).toMatchObject({ kind: 'refused', reason: 'account_blocked' });
        expect((await api('POST', `/users/${wechat.userId}/unblock`)).body).toMatchObject({ status: 'active' });
        const allowed = await signInWithAssertion(
          database,
          { appid: 'wx_mp', appType: 'mini_program', openPlatformId: 'op_test', openid: 'o_block_mp', unionid: 'u_block' },
          DEFAULT_POLICY,
        );
        expect(allowed).toMatchObject({ kind: 'signed_in', userId: wechat.userId });
      });

      it('two block requests at once: one blocks, the other is told it conflicts', async () => {
        const created = await api('POST', '/users', { nickname: 'Twice' });
        const statuses = (
          await Promise.all([api('POST', `/users/${created.body.id}/block`), api('POST', `/users/${created.body.id}/block`)])
        ).map((r) => r.status);
        expect(statuses.sort()).toEqual([200, 409]);
        const audit = await api('GET', `/audit-log?subjectId=${created.body.id}&action=user.blocked`);
        expect(audit.body.entries).toHaveLength(1);
      });

      it('lists and unlinks identities; the unlinked app then signs in as a new person', async () => {
        const wechat = await signInThroughWechat('wx_oa', 'u_unlink');
        const listed = await api('GET', `/users/${wechat.userId}/identities`);
        expect(listed.body.identities).toMatchObject([{ id: wechat.identityId, unionid: 'u_unlink' }]);
        expect((await api('DELETE', `/users/${wechat.userId}/identities/${wechat.identityId}`)).status).toBe(204);
        expect((await api('GET', `/users/${wechat.userId}/identities`)).body.identities).toEqual([]);
        expect((await api('DELETE', `/users/${wechat.userId}/identities/${wechat.identityId}`)).status).toBe(404);
        const again = await signInWithAssertion(
          database,
          {
            appid: 'wx_oa',
            appType: 'official_account',
            openPlatformId: 'op_test',
            openid: listed.body.identities[0].openid,
            unionid: 'u_unlink',
          },
          DEFAULT_POLICY,
        );
        expect(again).toMatchObject({ kind: 'signed_in', created: true });
      });

      it('delete removes every way to sign in, keeps the row and the audit trail', async () => {
        const wechat = await signInThroughWechat('wx_oa', 'u_delete');
        expect((await api('DELETE', `/users/${wechat.userId}`)).status).toBe(204);
        expect((await api('GET', `/users/${wechat.userId}`)).body).toMatchObject({ status: 'deleted', identities: [], identifiers: [] });
        const audit = await api('GET', `/audit-log?subjectId=${wechat.userId}`);
        expect(audit.body.entries.map((e: { action: string }) => e.action)).toContain('user.deleted');
        expect((await api('DELETE', `/users/${wechat.userId}`)).status).toBe(404);
      });
    });

    describe('merges', () => {
      it('merges a user into another and undoes it exactly', async () => {
        const a = await signInThroughWechat('wx_oa', 'u_merge_a');
        const b = await signInThroughWechat('wx_web', 'u_merge_b');
        const before = (await api('GET', `/users/${b.userId}`)).body;
        // Two unionids of one Open Platform account would end up in one account: refused until confirmed.
        const unconfirmed = await api('POST', `/users/${a.userId}/merge`, { sourceUserId: b.userId });
        expect(unconfirmed.body).toMatchObject({
          status: 409,
          code: 'merge_conflict',
          conflicts: [{ kind: 'open_platform', targetUnionid: 'u_merge_a', sourceUnionid: 'u_merge_b' }],
        });
        expect((await api('GET', `/users/${b.userId}`)).body).toEqual(before);
        const preview = await api('GET', `/users/${a.userId}/merge-preview?sourceUserId=${b.userId}`);
        expect(preview.body).toMatchObject({ allowed: true, conflicts: [{ kind: 'open_platform' }] });
        const merged = await api('POST', `/users/${a.userId}/merge`, { sourceUserId: b.userId, allowConflicts: true });
        expect(merged.status).toBe(201);
        expect(merged.body).toMatchObject({
          kind: 'merge',
          targetUserId: a.userId,
          sourceUserId: b.userId,
          moved: { identities: 1, unionids: 1 },
        });
        expect((await api('GET', `/users/${a.userId}`)).body.identities).toHaveLength(2);
        expect((await api('GET', `/users/${b.userId}`)).body).toMatchObject({ status: 'merged', mergedInto: a.userId, identities: [] });
        const listed = await api('GET', `/merges?userId=${b.userId}`);
        expect(listed.body.merges).toMatchObject([
          { id: merged.body.mergeId, targetUserId: a.userId, sourceUserId: b.userId, undoneAt: null, actor: { kind: 'admin_key' } },
        ]);
        const undone = await api('POST', `/merges/${merged.body.mergeId}/undo`);
        expect(undone.status).toBe(200);
        expect((await api('GET', `/users/${b.userId}`)).body).toEqual(before);
        expect((await api('POST', `/merges/${merged.body.mergeId}/undo`)).status).toBe(409);
        expect((await api('GET', `/merges?userId=${a.userId}`)).body.merges[0].undoneAt).toEqual(expect.any(Number));
      });

      it('after a confirmed conflicting merge, both people reach the merged account through a new app, and undo takes each back whole', async () => {
        const a = await signInThroughWechat('wx_oa', 'u_forced_a');
        const b = await signInThroughWechat('wx_web', 'u_forced_b');
        const merged = await api('POST', `/users/${a.userId}/merge`, { sourceUserId: b.userId, allowConflicts: true });
        expect(merged.status).toBe(201);
        const users = await countUsers();
        // Each person's unionid is the merged account's: their first login through another app lands there.
        const bThroughApp = await signInThroughWechat('wx_app', 'u_forced_b');
        const aThroughApp = await signInThroughWechat('wx_app', 'u_forced_a');
        expect([bThroughApp.userId, aThroughApp.userId]).toEqual([a.userId, a.userId]);
        expect(await countUsers()).toBe(users);
        // Undo: B's unionid goes back to B, with the identity B's person added meanwhile.
        expect((await api('POST', `/merges/${merged.body.mergeId}/undo`)).status).toBe(200);
        const identities = async (userId: string) =>
          ((await api('GET', `/users/${userId}`)).body.identities as { appid: string; unionid: string }[])
            .map((i) => `${i.appid}/${i.unionid}`)
            .sort();
        expect(await identities(b.userId)).toEqual(['wx_app/u_forced_b', 'wx_web/u_forced_b']);
        expect(await identities(a.userId)).toEqual(['wx_app/u_forced_a', 'wx_oa/u_forced_a']);
        expect((await signInThroughWechat('wx_mp', 'u_forced_b')).userId).toBe(b.userId);
      });

      it('merging a user into itself or merging a blocked user is refused', async () => {
        const a = await signInThroughWechat('wx_oa');
        const b = await signInThroughWechat('wx_oa');
        expect((await api('POST', `/users/${a.userId}/merge`, { sourceUserId: a.userId })).body).toMatchObject({
          status: 409,
          code: 'merge_refused',
        });
        await api('POST', `/users/${b.userId}/block`);
        expect((await api('POST', `/users/${a.userId}/merge`, { sourceUserId: b.userId })).body).toMatchObject({
          status: 409,
          code: 'merge_refused',
        });
        expect((await api('GET', `/users/${a.userId}`)).body.identities).toHaveLength(1);
        expect((await api('POST', `/users/${a.userId}/merge`, {})).status).toBe(400);
        expect((await api('POST', '/merges/mrg_missing/undo')).status).toBe(404);
      });

      it('lists the merge suggestion a unionid backfill conflict produced, and an admin can dismiss it once', async () => {
        const openidOnly = await signInWithAssertion(
          database,
          { appid: 'wx_oa', appType: 'official_account', openPlatformId: null, openid: 'o_suggest' },
          DEFAULT_POLICY,
        );
        const byUnionid = await signInThroughWechat('wx_web', 'u_suggest');
        await signInWithAssertion(
          database,
          { appid: 'wx_oa', appType: 'official_account', openPlatformId: 'op_test', openid: 'o_suggest', unionid: 'u_suggest' },
          DEFAULT_POLICY,
        );
        const listed = await api('GET', '/merge-suggestions?status=open');
        expect(listed.body.suggestions).toContainEqual(
          expect.objectContaining({
            userId: openidOnly.kind === 'signed_in' ? openidOnly.userId : '',
            otherUserId: byUnionid.userId,
            unionid: 'u_suggest',
          }),
        );
        expect((await api('GET', '/merge-suggestions?status=nope')).status).toBe(400);
        const suggestion = listed.body.suggestions.find((x: { unionid: string }) => x.unionid === 'u_suggest');
        expect((await api('POST', `/merge-suggestions/${suggestion.id}/dismiss`)).body).toMatchObject({ status: 'dismissed' });
        expect((await api('POST', `/merge-suggestions/${suggestion.id}/dismiss`)).status).toBe(409);
        expect((await api('GET', '/merge-suggestions?status=open')).body.suggestions.map((x: { id: string }) => x.id)).not.toContain(
          suggestion.id,
        );
      });
    });

    describe('bad input', () => {
      it('every route with a body or query refuses an unknown field with 400, and nothing changes', async () => {
        const count = async (table: 'users' | 'audit_log' | 'connections' | 'admin_keys') =>
          Number(
            (
              await database.db
                .selectFrom(table)
                .select((eb) => eb.fn.countAll().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          );
        const before = [await count('users'), await count('audit_log'), await count('connections'), await count('admin_keys')];
        const user = (await api('POST', '/users', { nickname: 'target' })).body;
        const afterSetup = [await count('users'), await count('audit_log'), before[2], before[3]];
        for (const route of managementRoutes.filter((r) => r.body !== undefined || r.query !== undefined)) {
          const url = `${route.path.replace(':userId', user.id).replace(/:([A-Za-z]+)/g, 'x_$1')}${route.query === undefined ? '' : '?unexpected=1'}`;
          const response = await api(
            route.method === 'GET' ? 'GET' : route.method === 'PUT' ? 'PATCH' : route.method,
            url,
            route.body === undefined ? undefined : { unexpected: true },
          );
          expect(response.status, `${route.method} ${route.path}`).toBe(400);
          expect(response.body.code, `${route.method} ${route.path}`).toBe('validation_failed');
        }
        expect([await count('users'), await count('audit_log'), await count('connections'), await count('admin_keys')]).toEqual(afterSetup);
      });
    });

    describe('connections', () => {
      const connection = {
        id: 'api-website',
        name: 'Website',
        appType: 'website',
        appid: 'wx00112233445566aa',
        secret: 'api-secret-value',
        openPlatformId: 'op_test',
        scenarios: ['s2'],
      };

      it('creates, reads, lists, changes and deletes a connection without ever returning its secret', async () => {
        const created = await api('POST', '/connections', connection);
        expect(created.status).toBe(201);
        expect(created.body).toMatchObject({ id: 'api-website', secretSet: true, policy: { registration: 'allow' } });
        expect((await api('POST', '/connections', connection)).status).toBe(409);
        expect((await api('GET', '/connections/api-website')).body).toEqual(created.body);
        expect((await api('GET', '/connections')).body.connections.map((c: { id: string }) => c.id)).toContain('api-website');
        const changed = await api('PATCH', '/connections/api-website', { policy: { registration: 'deny', fieldMatching: ['phone'] } });
        expect(changed.body.policy).toMatchObject({ registration: 'deny', fieldMatching: ['phone'] });
        expect(changed.body.settings).toMatchObject({ phoneNumber: 'optional', reusePhone: true, revealScanner: false });
        const everything = JSON.stringify([
          created.body,
          changed.body,
          (await api('GET', '/connections')).body,
          (await api('GET', '/audit-log')).body,
        ]);
        expect(everything).not.toContain('api-secret-value');
        expect((await api('DELETE', '/connections/api-website')).status).toBe(204);
        expect((await api('GET', '/connections/api-website')).status).toBe(404);
      });

      it('a connection with a scenario its app type cannot serve is refused and not created', async () => {
        const response = await api('POST', '/connections', { ...connection, id: 'bad', scenarios: ['s5'] });
        expect(response.status).toBe(400);
        expect(response.body.detail).toBe('scenarios: scenario s5 cannot be served by a website app');
        expect((await api('GET', '/connections/bad')).status).toBe(404);
      });
    });

    describe('OpenAPI document', () => {
      it('is served without a key and describes every /api/v1 route the server registered', async () => {
        const response = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
        expect(response.statusCode).toBe(200);
        const document = response.json();
        expect(document.openapi).toBe('3.1.0');
        const registered = registeredRoutes(app.printRoutes({ commonPrefix: false }))
          .filter((route) => route.includes(' /api/v1/'))
          .filter((route) => route !== 'GET /api/v1/openapi.json');
        const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, operations]) =>
          Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
        );
        expect(registered.length).toBeGreaterThanOrEqual(managementRoutes.length);
        expect(documented.sort()).toEqual(registered.sort());
        expect(document.paths['/api/v1/users'].post.requestBody.content['application/json'].schema.properties).toHaveProperty(
          'phoneNumber',
        );
      });
    });
  });
}

/**
 * Managing people through the management API (issue #18): create and edit a person, their
 * verified phone and email (one held by someone else is refused naming the holder, never moved),
 * set, reset and remove a password — each audited — and the People list's filters, which page by
 * cursor. Both storage backends.
 */
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
import { checkPassword } from '../identity/password.ts';
import { DEFAULT_POLICY } from '../identity/policy.ts';
import { recordLoginEvent } from '../login/history.ts';
import { SecretBox } from '../secrets/master-key.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`managing people: ${backend.name}`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    let key: string;
    const suffix = randomBytes(4).toString('hex');

    beforeAll(async () => {
      database = await backend.open();
      key = (await createAdminKey(database.db, 'people tests', SYSTEM_ACTOR)).key;
      app = await buildApp(
        { config: loadConfig({ SANDBOX: 'off' }), database, state: new MemorySharedState(), secrets: new SecretBox(randomBytes(32)) },
        { logger: pino({ level: 'silent' }) },
      );
    });
    afterAll(async () => {
      await app?.close();
      await database?.dispose();
    });

    const api = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown) => {
      const response = await app.inject({
        method,
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      return { status: response.statusCode, body: response.body === '' ? null : response.json() };
    };
    const actions = async (userId: string) =>
      (await api('GET', `/audit-log?subjectId=${userId}`)).body.entries.map((e: { action: string }) => e.action);

    it('creates a person, edits the profile and verified identifiers, each change audited', async () => {
      const created = await api('POST', '/users', { name: 'Li Lei', phoneNumber: '+8613800000001', phoneNumberVerified: true });
      expect(created.status).toBe(201);
      const id: string = created.body.id;
      const edited = await api('PATCH', `/users/${id}`, { nickname: 'lei', email: `Lei.${suffix}@Example.com`, emailVerified: true });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({ nickname: 'lei', email: `lei.${suffix}@example.com`, emailVerified: true });
      expect(edited.body.identifiers.map((x: { kind: string }) => x.kind).sort()).toEqual(['email', 'phone']);
      expect(await actions(id)).toEqual(['user.profile_updated', 'user.created']);
    });

    it('refuses a verified phone held by another person with identity_conflict naming them, and moves nothing', async () => {
      const phone = `+86139${String(Date.now()).slice(-8)}`;
      const holder = (await api('POST', '/users', { name: 'Holder', phoneNumber: phone, phoneNumberVerified: true })).body.id;
      const other = (await api('POST', '/users', { name: 'Other' })).body.id;
      const refused = await api('PATCH', `/users/${other}`, { phoneNumber: phone, phoneNumberVerified: true });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'identity_conflict', heldBy: holder });
      expect(refused.body.detail).toContain(holder);
      expect((await api('GET', `/users/${holder}`)).body.identifiers).toEqual([expect.objectContaining({ kind: 'phone', value: phone })]);
      expect((await api('GET', `/users/${other}`)).body).toMatchObject({ phoneNumber: null, identifiers: [] });
      expect(await actions(other)).toEqual(['user.created']);
      // Creating a second person with it is refused the same way.
      expect((await api('POST', '/users', { phoneNumber: phone, phoneNumberVerified: true })).body.code).toBe('identity_conflict');
      // Unverified, it is just a profile field.
      expect((await api('PATCH', `/users/${other}`, { phoneNumber: phone })).status).toBe(200);
    });

    it('sets, resets and removes a password; the audit says which, never the password', async () => {
      const id = (await api('POST', '/users', { name: 'Pass' })).body.id;
      expect((await api('POST', `/users/${id}/password`, { password: 'first-password' })).body.hasPassword).toBe(true);
      expect((await api('POST', `/users/${id}/password`, { password: 'second-password' })).status).toBe(200);
      expect(await checkPassword(database.db, id, 'second-password')).toBe(true);
      expect(await checkPassword(database.db, id, 'first-password')).toBe(false);
      expect((await api('POST', `/users/${id}/password`, { password: 'short' })).status).toBe(400);
      expect((await api('DELETE', `/users/${id}/password`)).body.hasPassword).toBe(false);
      expect((await api('DELETE', `/users/${id}/password`)).status).toBe(404);
      expect(await actions(id)).toEqual(['user.password_removed', 'user.password_reset', 'user.password_set', 'user.created']);
      const log = JSON.stringify((await api('GET', `/audit-log?subjectId=${id}`)).body);
      expect(log).not.toContain('second-password');
      expect((await api('POST', '/users/usr_nobody/password', { password: 'long-enough' })).status).toBe(404);
    });

    it('filters the People list by app, scenario, creation, last login, phone and status, paged by cursor', async () => {
      const appid = `wxpeople${suffix}`;
      const start = Date.now();
      const ids: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const result = await signInWithAssertion(
          database,
          { appid, appType: 'official_account', openPlatformId: null, openid: `o_${suffix}_${i}` },
          DEFAULT_POLICY,
        );
        if (result.kind !== 'signed_in') throw new Error(result.kind);
        ids.push(result.userId);
      }
      const [a, b, c] = ids as [string, string, string];
      // The list is in id order; ids made within one millisecond order by their random part.
      const byId = (list: string[]) => [...list].sort();
      await api('PATCH', `/users/${a}`, { phoneNumber: `+86137${String(Date.now()).slice(-8)}`, phoneNumberVerified: true });
      await api('POST', `/users/${b}/block`);
      await recordLoginEvent(database.db, { outcome: 'succeeded', userId: c, scenario: 's4', appid });
      const list = async (query: string) => {
        const response = await api('GET', `/users?appid=${appid}&${query}`);
        expect(response.status).toBe(200);
        return response.body.users.map((u: { id: string }) => u.id);
      };
      expect(await list('')).toEqual(byId(ids));
      expect(await list('hasPhone=true')).toEqual([a]);
      expect(await list('hasPhone=false')).toEqual(byId([b, c]));
      expect(await list('status=blocked')).toEqual([b]);
      expect(await list('scenario=s4')).toEqual([c]);
      expect(await list(`createdFrom=${start}`)).toEqual(byId(ids));
      expect(await list(`createdTo=${start - 1}`)).toEqual([]);
      expect(await list(`lastLoginFrom=${start}`)).toEqual(byId(ids));
      expect(await list(`lastLoginTo=${start - 1}`)).toEqual([]);
      const first = await api('GET', `/users?appid=${appid}&limit=2`);
      expect(first.body.users).toHaveLength(2);
      const second = await api('GET', `/users?appid=${appid}&limit=2&cursor=${first.body.nextCursor}`);
      expect(second.body.users.map((u: { id: string }) => u.id)).toEqual([byId(ids)[2]]);
      expect((await api('GET', '/users?hasPhone=maybe')).status).toBe(400);
      expect((await api('GET', '/users?scenario=s9')).status).toBe(400);
    });
  });
}

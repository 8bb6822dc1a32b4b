/**
 * Every PATCH in the management API is a partial update: for each field, a body naming only that
 * field changes it and leaves every other field exactly as it was (nested policy/settings/branding
 * change field by field). A refused PATCH changes nothing.
 */
import { randomBytes } from 'node:crypto';
import { MemorySharedState } from '@weunion/state';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminKey } from '../admin-keys/store.ts';
import { loadConfig } from '../config/index.ts';
import { buildApp } from '../http/app.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { SecretBox } from '../secrets/master-key.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';

/** The view without what a PATCH always changes (its time stamp). */
function comparable(view: Record<string, unknown>): Record<string, unknown> {
  const { updatedAt: _updatedAt, ...rest } = view;
  return rest;
}

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`PATCH is a partial update: ${backend.name}`, () => {
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
    const api = async (method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown) => {
      const response = await app.inject({
        method,
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      return { status: response.statusCode, body: response.json() };
    };

    /**
     * For each [body, expected change]: PATCH with only that body, then check the resource is what
     * it was before, with exactly the expected change.
     */
    async function expectOnlyNamedFieldsChange(
      url: string,
      cases: Array<[Record<string, unknown>, (before: Record<string, unknown>) => Record<string, unknown>]>,
    ): Promise<void> {
      for (const [body, change] of cases) {
        const before = (await api('GET', url)).body;
        const patched = await api('PATCH', url, body);
        expect(patched.status, JSON.stringify(body)).toBe(200);
        const after = (await api('GET', url)).body;
        expect(comparable(after), JSON.stringify(body)).toEqual(comparable({ ...before, ...change(before) }));
        expect(comparable(patched.body)).toEqual(comparable(after));
      }
    }

    it('applications: each field alone changes only itself; branding and policy change field by field', async () => {
      const created = await api('POST', '/applications', {
        id: 'partial-app',
        name: 'Partial',
        type: 'web',
        redirectUris: ['https://shop.example/cb'],
        postLogoutRedirectUris: ['https://shop.example/bye'],
        scenarios: ['s1', 's2'],
        firstParty: false,
        branding: { primaryColor: '#112233', logoUrl: 'https://shop.example/logo.png' },
        policy: { registration: 'deny', onMultipleMatches: 'refuse' },
        backchannelLogoutUri: 'https://shop.example/bcl',
        resources: ['https://api.shop.example'],
      });
      expect(created.status).toBe(201);
      const policy = (before: Record<string, unknown>) => before.policy as Record<string, unknown>;
      const branding = (before: Record<string, unknown>) => before.branding as Record<string, unknown>;
      await expectOnlyNamedFieldsChange('/applications/partial-app', [
        [{ name: 'x' }, () => ({ name: 'x' })],
        [{ redirectUris: ['https://shop.example/cb2'] }, () => ({ redirectUris: ['https://shop.example/cb2'] })],
        [{ postLogoutRedirectUris: [] }, () => ({ postLogoutRedirectUris: [] })],
        [{ scenarios: ['s4'] }, () => ({ scenarios: ['s4'] })],
        [{ firstParty: true }, () => ({ firstParty: true })],
        [{ firstParty: false }, () => ({ firstParty: false })],
        [{ branding: { primaryColor: '#445566' } }, (b) => ({ branding: { ...branding(b), primaryColor: '#445566' } })],
        [{ branding: { logoUrl: null } }, () => ({ branding: { primaryColor: '#445566' } })],
        [{ policy: { queryBinding: 'offer' } }, (b) => ({ policy: { ...policy(b), queryBinding: 'offer' } })],
        [{ policy: { registration: null } }, () => ({ policy: { onMultipleMatches: 'refuse', queryBinding: 'offer' } })],
        [{ tokenEndpointAuthMethod: 'client_secret_post' }, () => ({ tokenEndpointAuthMethod: 'client_secret_post' })],
        [{ idTokenSignedResponseAlg: 'RS256' }, () => ({ idTokenSignedResponseAlg: 'RS256' })],
        [{ backchannelLogoutUri: null }, () => ({ backchannelLogoutUri: null })],
        [{ resources: [] }, () => ({ resources: [] })],
        [{}, () => ({})],
      ]);
    });

    it('applications: a refused PATCH changes nothing', async () => {
      const before = (await api('GET', '/applications/partial-app')).body;
      for (const body of [
        { name: '' },
        { firstParty: 'yes' },
        { policy: { registration: 'maybe' } },
        { id: 'renamed' },
        { type: 'spa' },
        // private_key_jwt without keys to check the client's assertions against.
        { tokenEndpointAuthMethod: 'private_key_jwt' },
        { jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'private' }] } },
      ]) {
        const response = await api('PATCH', '/applications/partial-app', body);
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(response.body.code).toBe('validation_failed');
      }
      expect((await api('GET', '/applications/partial-app')).body).toEqual(before);
    });

    it('connections: each field alone changes only itself; policy and settings change field by field', async () => {
      const created = await api('POST', '/connections', {
        id: 'partial-conn',
        name: 'Website',
        appType: 'website',
        appid: 'wx00112233445566bb',
        secret: 'partial-secret',
        openPlatformId: 'op_partial',
        scenarios: ['s2'],
        policy: { registration: 'deny', fieldMatching: ['phone'], autoMergeOnUnionid: true },
        settings: { revealScanner: true, reusePhone: false },
      });
      expect(created.status).toBe(201);
      const nested = (before: Record<string, unknown>, field: string) => before[field] as Record<string, unknown>;
      await expectOnlyNamedFieldsChange('/connections/partial-conn', [
        [{ name: 'Renamed' }, () => ({ name: 'Renamed' })],
        [{ openPlatformId: null }, () => ({ openPlatformId: null })],
        [{ appid: 'wx00112233445566cc' }, () => ({ appid: 'wx00112233445566cc' })],
        [{ policy: { queryBinding: 'offer' } }, (b) => ({ policy: { ...nested(b, 'policy'), queryBinding: 'offer' } })],
        [{ policy: { registration: 'allow' } }, (b) => ({ policy: { ...nested(b, 'policy'), registration: 'allow' } })],
        [{ settings: { phoneNumber: 'off' } }, (b) => ({ settings: { ...nested(b, 'settings'), phoneNumber: 'off' } })],
        // A new secret is accepted and not shown: the view is unchanged.
        [{ secret: 'another-secret' }, () => ({})],
        [{}, () => ({})],
      ]);
      const after = (await api('GET', '/connections/partial-conn')).body;
      expect(after.policy).toMatchObject({
        registration: 'allow',
        fieldMatching: ['phone'],
        autoMergeOnUnionid: true,
        queryBinding: 'offer',
      });
      expect(after.settings).toMatchObject({ revealScanner: true, reusePhone: false, phoneNumber: 'off' });
    });

    it('connections: a refused PATCH changes nothing', async () => {
      const before = (await api('GET', '/connections/partial-conn')).body;
      for (const body of [{ policy: { registration: 'maybe' } }, { settings: { unknown: true } }, { scenarios: ['s5'] }, { id: 'x' }]) {
        const response = await api('PATCH', '/connections/partial-conn', body);
        expect(response.status, JSON.stringify(body)).toBe(400);
      }
      expect((await api('GET', '/connections/partial-conn')).body).toEqual(before);
    });

    it('users: each profile field alone changes only itself; null clears it', async () => {
      const created = await api('POST', '/users', {
        name: 'Carol',
        nickname: 'C',
        gender: 'female',
        locale: 'zh-CN',
        picture: 'https://img.example/c.png',
        phoneNumber: '+8613800000077',
        phoneNumberVerified: true,
        email: 'carol@example.com',
        emailVerified: true,
      });
      expect(created.status).toBe(201);
      const url = `/users/${created.body.id}`;
      await expectOnlyNamedFieldsChange(url, [
        [{ name: 'Caroline' }, () => ({ name: 'Caroline' })],
        [{ nickname: null }, () => ({ nickname: null })],
        [{ gender: 'other' }, () => ({ gender: 'other' })],
        [{ locale: 'en' }, () => ({ locale: 'en' })],
        [{ picture: null }, () => ({ picture: null })],
        [{}, () => ({})],
      ]);
      const before = (await api('GET', url)).body;
      const refused = await api('PATCH', url, { locale: 'not a tag' });
      expect(refused.status).toBe(400);
      expect((await api('GET', url)).body).toEqual(before);
    });
  });
}

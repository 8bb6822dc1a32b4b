/** Applications (OIDC clients) through the management API, and the provider honouring the changes. */
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

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`applications API: ${backend.name}`, () => {
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
      const headers: Record<string, string> = bearer === null ? {} : { authorization: `Bearer ${bearer}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await app.inject({
        method,
        url: `/api/v1${url}`,
        headers,
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      return { status: response.statusCode, body: response.body === '' ? null : response.json() };
    };
    /** Token endpoint with HTTP Basic client authentication. */
    const clientAuthenticates = async (clientId: string, secret: string) => {
      const response = await app.inject({
        method: 'POST',
        url: '/token',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: 'grant_type=authorization_code&code=nope&redirect_uri=https%3A%2F%2Fshop.example%2Fcb',
      });
      // A bad code is `invalid_grant`; a bad client is `invalid_client`.
      return response.json().error !== 'invalid_client';
    };

    it('registers a web application, returning its secret once, which the token endpoint accepts', async () => {
      const created = await api('POST', '/applications', {
        id: 'shop-web',
        name: 'Shop',
        type: 'web',
        redirectUris: ['https://shop.example/cb'],
        branding: { primaryColor: '#112233' },
      });
      expect(created.status).toBe(201);
      expect(created.body.application).toMatchObject({
        id: 'shop-web',
        type: 'web',
        secretSet: true,
        scenarios: ['s1', 's2', 's3', 's4'],
        firstParty: true,
      });
      const secret = created.body.clientSecret;
      expect(secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      expect(JSON.stringify((await api('GET', '/applications')).body)).not.toContain(secret);
      expect(await clientAuthenticates('shop-web', secret)).toBe(true);
      expect(await clientAuthenticates('shop-web', 'wrong-secret')).toBe(false);
    });

    it('rotating the secret makes the old one stop working at once', async () => {
      const created = await api('POST', '/applications', {
        id: 'rot-web',
        name: 'Rot',
        type: 'web',
        redirectUris: ['https://shop.example/cb'],
      });
      // The provider has met the client (and keeps it) before the secret changes.
      expect(await clientAuthenticates('rot-web', created.body.clientSecret)).toBe(true);
      const rotated = await api('POST', '/applications/rot-web/secret');
      expect(rotated.status).toBe(200);
      expect(await clientAuthenticates('rot-web', created.body.clientSecret)).toBe(false);
      expect(await clientAuthenticates('rot-web', rotated.body.clientSecret)).toBe(true);
    });

    it('a public application has no secret to rotate', async () => {
      const created = await api('POST', '/applications', {
        id: 'shop-spa',
        name: 'SPA',
        type: 'spa',
        redirectUris: ['https://shop.example/spa'],
      });
      expect(created.body).toMatchObject({ clientSecret: null, application: { secretSet: false } });
      expect((await api('POST', '/applications/shop-spa/secret')).status).toBe(409);
    });

    it('changes the redirect allowlist and records who did what in the audit log', async () => {
      const changed = await api('PATCH', '/applications/shop-spa', { redirectUris: ['https://shop.example/new'], firstParty: false });
      expect(changed.body).toMatchObject({ redirectUris: ['https://shop.example/new'], firstParty: false });
      const audit = await api('GET', '/audit-log?subjectId=shop-spa');
      expect(JSON.stringify(audit.body)).toContain('application.updated');
    });

    it('an application carries its own identity policy, changed like any field and validated', async () => {
      const created = await api('POST', '/applications', {
        id: 'members-app',
        name: 'Members',
        type: 'spa',
        redirectUris: ['https://shop.example/m'],
        policy: { registration: 'deny' },
      });
      expect(created.body.application.policy).toEqual({ registration: 'deny' });
      const changed = await api('PATCH', '/applications/members-app', { policy: { registration: 'deny', fieldMatching: ['phone'] } });
      expect(changed.body.policy).toEqual({ registration: 'deny', fieldMatching: ['phone'] });
      const bad = await api('PATCH', '/applications/members-app', { policy: { registration: 'sometimes' } });
      expect(bad.status).toBe(400);
      expect((await api('GET', '/applications/members-app')).body.policy).toEqual({ registration: 'deny', fieldMatching: ['phone'] });
    });

    it('bad input is a 400 naming the field, and nothing is created', async () => {
      const bad = await api('POST', '/applications', { id: 'x!', name: '', type: 'web', redirectUris: ['not a url'] });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('validation_failed');
      const fragment = await api('POST', '/applications', {
        id: 'frag-app',
        name: 'F',
        type: 'spa',
        redirectUris: ['https://a.example/cb#x'],
      });
      expect(fragment.status).toBe(400);
      expect((await api('GET', '/applications/frag-app')).status).toBe(404);
    });

    it('an existing id is a conflict, and every route refuses requests without a valid key', async () => {
      expect(
        (await api('POST', '/applications', { id: 'shop-web', name: 'Again', type: 'spa', redirectUris: ['https://a.example/cb'] })).status,
      ).toBe(409);
      expect((await api('GET', '/applications', undefined, null)).status).toBe(401);
      expect((await api('DELETE', '/applications/shop-web', undefined, 'wu_not_a_key')).status).toBe(401);
    });

    it('deleting an application removes it for the provider too', async () => {
      const created = await api('POST', '/applications', {
        id: 'gone-web',
        name: 'Gone',
        type: 'web',
        redirectUris: ['https://shop.example/cb'],
      });
      expect((await api('DELETE', '/applications/gone-web')).status).toBe(204);
      expect((await api('GET', '/applications/gone-web')).status).toBe(404);
      expect(await clientAuthenticates('gone-web', created.body.clientSecret)).toBe(false);
      expect((await api('DELETE', '/applications/gone-web')).status).toBe(404);
    });

    it('agreement links and the "I agree" switch are saved, changed field by field, and previewed from the login page template', async () => {
      const created = await api('POST', '/applications', {
        id: 'agree-web',
        name: 'Agree 商城',
        type: 'spa',
        redirectUris: ['https://agree.example/cb'],
        branding: { termsUrl: 'https://agree.example/terms', privacyUrl: 'https://agree.example/privacy', requireAgreement: true },
      });
      expect(created.status).toBe(201);
      expect(created.body.application.branding).toEqual({
        termsUrl: 'https://agree.example/terms',
        privacyUrl: 'https://agree.example/privacy',
        requireAgreement: true,
      });
      const patched = await api('PATCH', '/applications/agree-web', { branding: { requireAgreement: null, primaryColor: '#ff6600' } });
      expect(patched.body.branding).toEqual({
        termsUrl: 'https://agree.example/terms',
        privacyUrl: 'https://agree.example/privacy',
        primaryColor: '#ff6600',
      });
      expect((await api('PATCH', '/applications/agree-web', { branding: { termsUrl: 'javascript:alert(1)' } })).status).toBe(400);

      const preview = await api('POST', '/applications/login-preview', {
        id: 'agree-web',
        name: 'Agree <b>商城</b>',
        branding: { primaryColor: '#ff6600', termsUrl: 'https://agree.example/terms', requireAgreement: true },
        language: 'zh-CN',
        device: 'desktop',
      });
      expect(preview.status).toBe(200);
      const html: string = preview.body.html;
      expect(html).toContain('<link rel="stylesheet" href="/assets/login-page.css?accent=ff6600">');
      expect(html).toContain('登录 Agree &#60;b&#62;商城&#60;/b&#62;');
      expect(html).toContain('<a href="https://agree.example/terms" target="_blank" rel="noopener noreferrer">《用户协议》</a>');
      expect(html).toContain('id="wu-agree"');
      // A picture of the page: no script, no live code.
      expect(html).not.toContain('<script');
      const english = await api('POST', '/applications/login-preview', { name: 'Shop', branding: {}, language: 'en', device: 'wechat' });
      expect(english.body.html).toContain('lang="en"');
      expect((await api('POST', '/applications/login-preview', { name: 'x', branding: {}, device: 'tv' })).status).toBe(400);
      expect((await api('POST', '/applications/login-preview', { name: 'x', branding: {} }, null)).status).toBe(401);
    });
  });
}

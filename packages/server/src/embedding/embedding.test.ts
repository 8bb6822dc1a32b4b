/**
 * Embedding from registered origins, over real HTTP on both databases: an application's web
 * origins (from its redirect URIs plus an explicit list, managed through the API and audited),
 * CORS with credentials on the login APIs for those origins only, every other origin refused with
 * a problem saying why, `returnTo` on a registered origin accepted (and nothing else off-site),
 * and the login cookies' SameSite under https and http.
 */
import { randomBytes } from 'node:crypto';
import { type RunningSandbox, startSandbox } from '@weunion/sandbox';
import { MemorySharedState } from '@weunion/state';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminKey } from '../admin-keys/store.ts';
import { loadConfig } from '../config/index.ts';
import { seedSandboxConnections } from '../connections/declared.ts';
import { buildApp } from '../http/app.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { createUser } from '../identity/users.ts';
import { SecretBox } from '../secrets/master-key.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';
import { derivedWebOrigins, isRegisteredWebOrigin, webOriginSchema } from './web-origins.ts';

const SHOP = 'https://shop.example';
const BLOG = 'http://localhost:8080';
const EVIL = 'https://evil.example';

describe('web origins as written', () => {
  it('an origin is scheme, host and port, normalised; anything more is refused', () => {
    expect(webOriginSchema.parse('https://Shop.Example')).toBe('https://shop.example');
    expect(webOriginSchema.parse('https://shop.example:443/')).toBe('https://shop.example');
    expect(webOriginSchema.parse('http://localhost:8080')).toBe('http://localhost:8080');
    for (const bad of [
      'https://shop.example/path',
      'https://u:p@shop.example',
      'https://shop.example?x',
      'ftp://shop.example',
      'shop.example',
      'null',
    ])
      expect(webOriginSchema.safeParse(bad).success, bad).toBe(false);
  });

  it('the origins of redirect URIs: http(s) only, each once', () => {
    expect(
      derivedWebOrigins(['https://shop.example/cb', 'https://shop.example/other', 'com.shop.app:/cb', 'http://127.0.0.1:5000/cb']),
    ).toEqual(['http://127.0.0.1:5000', 'https://shop.example']);
  });
});

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`embedding from registered origins: ${backend.name}`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    let plain: FastifyInstance;
    let key: string;
    let sandbox: RunningSandbox;
    const secrets = new SecretBox(randomBytes(32));
    beforeAll(async () => {
      database = await backend.open();
      sandbox = await startSandbox({ port: 0 });
      await seedSandboxConnections(database.db, secrets);
      key = (await createAdminKey(database.db, 'tests', SYSTEM_ACTOR)).key;
      const build = (publicUrl: string) =>
        buildApp(
          {
            config: loadConfig({
              PUBLIC_URL: publicUrl,
              SANDBOX: 'off',
              WECHAT_API_URL: sandbox.url,
              WECHAT_OPEN_URL: sandbox.url,
              WECHAT_MP_URL: sandbox.url,
            }),
            database,
            state: new MemorySharedState(),
            secrets,
          },
          { logger: pino({ level: 'silent' }) },
        );
      app = await build('https://id.example');
      plain = await build('http://localhost:3000');
      await api('POST', '/applications', { id: 'shop', name: 'Shop', type: 'spa', redirectUris: [`${SHOP}/callback`] });
      await api('POST', '/applications', { id: 'blog', name: 'Blog', type: 'spa', redirectUris: ['com.blog.app:/cb'] });
    });
    afterAll(async () => {
      await app?.close();
      await plain?.close();
      await sandbox?.close();
      await database?.dispose();
    });

    async function api(method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown) {
      const headers: Record<string, string> = { authorization: `Bearer ${key}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await app.inject({
        method,
        url: `/api/v1${url}`,
        headers,
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      return { status: response.statusCode, body: response.json() };
    }

    it('an application’s web origins: its redirect URIs’ origins plus the ones registered, replaced as a whole and audited', async () => {
      expect((await api('GET', '/applications/blog/web-origins')).body).toEqual({ derived: [], explicit: [], effective: [] });
      const put = await api('PATCH', '/applications/blog/web-origins', {
        origins: [BLOG, 'http://LOCALHOST:8080', 'https://blog.example'],
      });
      expect(put.status).toBe(200);
      expect(put.body).toEqual({
        derived: [],
        explicit: ['http://localhost:8080', 'https://blog.example'],
        effective: [BLOG, 'https://blog.example'],
      });
      expect((await api('PATCH', '/applications/blog/web-origins', { origins: [BLOG] })).body.explicit).toEqual([BLOG]);
      expect((await api('GET', '/applications/shop/web-origins')).body).toEqual({ derived: [SHOP], explicit: [], effective: [SHOP] });

      const bad = await api('PATCH', '/applications/blog/web-origins', { origins: ['https://blog.example/login'] });
      expect(bad.status).toBe(400);
      expect(bad.body.detail).toMatch(/origin/);
      expect((await api('GET', '/applications/blog/web-origins')).body.explicit).toEqual([BLOG]);
      expect((await api('PATCH', '/applications/nobody/web-origins', { origins: [] })).status).toBe(404);

      const audit = await database.db.selectFrom('audit_log').selectAll().where('action', '=', 'application.web_origins_changed').execute();
      expect(audit.length).toBe(2);
      expect(JSON.parse(audit.at(-1)?.after ?? '{}')).toEqual({ webOrigins: [BLOG] });
    });

    it('is an origin registered: explicit or from a redirect URI, exactly (no prefix, port or scheme look-alikes)', async () => {
      await api('PATCH', '/applications/blog/web-origins', { origins: [BLOG] });
      expect(await isRegisteredWebOrigin(database.db, SHOP)).toBe(true);
      expect(await isRegisteredWebOrigin(database.db, BLOG)).toBe(true);
      for (const other of [
        'http://shop.example',
        'https://shop.example:8443',
        'https://shop.example.evil',
        'http://localhost:8081',
        EVIL,
        'null',
      ])
        expect(await isRegisteredWebOrigin(database.db, other), other).toBe(false);
    });

    it('a preflight from a registered origin is allowed with credentials, for the headers the SDK sends', async () => {
      const response = await app.inject({
        method: 'OPTIONS',
        url: '/api/login/s1',
        headers: {
          origin: SHOP,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type, x-ticket-secret',
        },
      });
      expect(response.statusCode).toBe(204);
      expect(response.headers['access-control-allow-origin']).toBe(SHOP);
      expect(response.headers['access-control-allow-credentials']).toBe('true');
      expect(String(response.headers['access-control-allow-headers'])).toContain('x-ticket-secret');
      expect(String(response.headers['access-control-allow-headers'])).toContain('last-event-id');
      expect(String(response.headers.vary)).toContain('Origin');
    });

    it('a registered origin starts a login with a return-to on its own site; the answer names it for CORS', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/api/login/s1',
        headers: { origin: SHOP, 'content-type': 'application/json' },
        payload: JSON.stringify({ returnTo: `${SHOP}/account?tab=1#top` }),
      });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['access-control-allow-origin']).toBe(SHOP);
      const ticket = response.json();
      const record = await app.tickets.get(ticket.ticketId);
      expect(record?.context.returnTo).toBe(`${SHOP}/account?tab=1#top`);
      // Under https the ticket cookie goes along cross-site.
      expect(String(response.headers['set-cookie'])).toMatch(/SameSite=None; Secure/);

      // The event stream (a hijacked reply, written by hand) carries the CORS headers too.
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      const stream = await fetch(`${address}/api/login/tickets/${ticket.ticketId}/events`, {
        headers: { origin: SHOP, 'x-ticket-secret': ticket.secret },
      });
      expect(stream.headers.get('content-type')).toContain('text/event-stream');
      expect(stream.headers.get('access-control-allow-origin')).toBe(SHOP);
      expect(stream.headers.get('access-control-allow-credentials')).toBe('true');
      await stream.body?.cancel();
    });

    it('on redeem the return-to is checked again: still registered → back there; unregistered since → weunion’s home', async () => {
      const user = await createUser(database.db, { nickname: 'Ines' }, SYSTEM_ACTOR);
      const redeemAfter = async (unregisterFirst: boolean) => {
        await api('PATCH', '/applications/blog/web-origins', { origins: ['https://later.example'] });
        const started = await app.inject({
          method: 'POST',
          url: '/api/login/s1',
          headers: { origin: 'https://later.example', 'content-type': 'application/json' },
          payload: JSON.stringify({ returnTo: 'https://later.example/back' }),
        });
        expect(started.statusCode, started.body).toBe(200);
        const { ticketId, secret } = started.json();
        await app.tickets.confirm(ticketId, { outcome: 'signed_in', userId: user.id, appid: 'wx-test', scenario: 's1' });
        if (unregisterFirst) await api('PATCH', '/applications/blog/web-origins', { origins: [] });
        const redeemed = await app.inject({
          method: 'POST',
          url: `/api/login/tickets/${ticketId}/redeem`,
          headers: { 'x-ticket-secret': secret },
        });
        expect(redeemed.statusCode, redeemed.body).toBe(200);
        return redeemed.json().returnTo;
      };
      expect(await redeemAfter(false)).toBe('https://later.example/back');
      expect(await redeemAfter(true)).toBe('/');
      await api('PATCH', '/applications/blog/web-origins', { origins: [BLOG] });
    });

    it('an unregistered origin is refused before the route runs, with a problem saying what to register', async () => {
      for (const [method, url] of [
        ['OPTIONS', '/api/login/s1'],
        ['POST', '/api/login/s1'],
        ['GET', '/api/session'],
        ['POST', '/api/session/logout'],
        ['GET', '/api/login/pending'],
      ] as const) {
        const response = await app.inject({
          method,
          url,
          headers: { origin: EVIL, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
          ...(method === 'POST' ? { payload: '{}' } : {}),
        });
        expect(response.statusCode, `${method} ${url}`).toBe(403);
        expect(response.headers['content-type']).toContain('application/problem+json');
        expect(response.json().detail).toContain('not a registered web origin');
        expect(response.headers['access-control-allow-origin']).toBeUndefined();
      }
      // A sandboxed frame or a file says Origin: null across sites: refused too.
      const framed = await app.inject({ method: 'GET', url: '/api/session', headers: { origin: 'null', 'sec-fetch-site': 'cross-site' } });
      expect(framed.statusCode).toBe(403);
      // A browser saying cross-site is believed over a missing Origin for what changes something (logout, redeem).
      const crossSiteNoOrigin = await app.inject({
        method: 'POST',
        url: '/api/session/logout',
        headers: { 'sec-fetch-site': 'cross-site' },
      });
      expect(crossSiteNoOrigin.statusCode).toBe(403);
      const crossSiteNull = await app.inject({
        method: 'POST',
        url: '/api/session/logout',
        headers: { origin: 'null', 'sec-fetch-site': 'cross-site' },
      });
      expect(crossSiteNull.statusCode).toBe(403);
      // weunion's own pages (no-referrer policy makes a same-origin POST say null) are not affected.
      const own = await app.inject({ method: 'GET', url: '/api/session', headers: { origin: 'null', 'sec-fetch-site': 'same-origin' } });
      expect(own.statusCode).toBe(401);
      const same = await app.inject({ method: 'GET', url: '/api/session', headers: { origin: 'https://id.example' } });
      expect(same.statusCode).toBe(401);
      expect(same.headers['access-control-allow-origin']).toBeUndefined();
      // Other APIs are not the login APIs: no CORS, no refusal here.
      expect((await app.inject({ method: 'GET', url: '/healthz', headers: { origin: EVIL } })).statusCode).toBe(200);
    });

    it('a return-to on an unregistered origin, or anything off-site that is not an http(s) URL on a registered origin, is refused', async () => {
      for (const returnTo of [
        `${EVIL}/`,
        'http://shop.example/',
        `${SHOP}.evil/`,
        `https://user:pw@shop.example/`,
        'javascript:alert(1)',
        '//shop.example/x',
        // A place on weunion itself is written as a path.
        'https://id.example/x',
      ]) {
        const response = await app.inject({
          method: 'POST',
          url: '/api/login/s1',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ returnTo }),
        });
        expect(response.statusCode, returnTo).toBe(400);
        expect(response.json().detail).toMatch(/returnTo: .*registered web origin/);
      }
      // The redirect starts too: the hosted page and S2.
      expect((await app.inject({ method: 'GET', url: `/login?returnTo=${encodeURIComponent(`${EVIL}/`)}` })).statusCode).toBe(400);
      const s2 = await app.inject({ method: 'GET', url: `/login/s2?returnTo=${encodeURIComponent(`${SHOP}/back`)}` });
      expect(s2.statusCode).toBe(302);
      expect(s2.headers.location).toContain('qrconnect');
    });

    it('over http the login cookies stay SameSite=Lax (no Secure): cross-origin embedding then works within one site', async () => {
      const response = await plain.inject({
        method: 'POST',
        url: '/api/login/s1',
        headers: { 'content-type': 'application/json' },
        payload: '{}',
      });
      expect(response.statusCode, response.body).toBe(200);
      const cookie = String(response.headers['set-cookie']);
      expect(cookie).toContain('SameSite=Lax');
      expect(cookie).not.toContain('Secure');
    });
  });
}

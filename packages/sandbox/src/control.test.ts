import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEMO_APPS, DEMO_OPEN_PLATFORM, DEMO_PEOPLE, demoApp } from './demo-world.ts';
import { sandboxPlugin } from './plugin.ts';
import { TestSandbox } from './test-support.ts';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await TestSandbox.start({ callbackBaseUrl: 'http://127.0.0.1:9/base' });
});
afterAll(async () => {
  await sandbox.close();
});

const appSchema = z.object({
  appid: z.string(),
  secret: z.string(),
  type: z.string(),
  openPlatformId: z.string().nullable(),
  callbackUrl: z.string().nullable(),
  token: z.string().nullable(),
  encodingAesKey: z.string().nullable(),
  safeMode: z.boolean(),
  originalId: z.string().nullable(),
  redirectDomains: z.array(z.string()),
});

describe('the demo world', () => {
  it('is seeded with the demo apps, people and Open Platform account, demo callbacks under callbackBaseUrl', async () => {
    const apps = z.array(appSchema).parse((await sandbox.control('GET', '/_sandbox/apps')).body);
    for (const demo of DEMO_APPS) {
      const app = apps.find((a) => a.appid === demo.appid);
      expect(app).toMatchObject({ secret: demo.secret, type: demo.type, openPlatformId: demo.openPlatformId });
    }
    expect(apps.find((a) => a.appid === demoApp('officialAccount').appid)?.callbackUrl).toBe(
      `http://127.0.0.1:9/base/wechat/callback/${demoApp('officialAccount').appid}`,
    );
    const people = z
      .array(z.object({ id: z.string(), phone: z.string().nullable() }))
      .parse((await sandbox.control('GET', '/_sandbox/people')).body);
    expect(people.map((p) => p.id)).toEqual(DEMO_PEOPLE.map((p) => p.id));
    const platforms = z.array(z.object({ id: z.string() })).parse((await sandbox.control('GET', '/_sandbox/open-platforms')).body);
    expect(platforms.map((p) => p.id)).toContain(DEMO_OPEN_PLATFORM.id);
  });

  it('gives the same openid to the same person in the same app across sandboxes, and different ones across apps', async () => {
    const other = await TestSandbox.start();
    try {
      const path = `/_sandbox/people/${DEMO_PEOPLE[0]?.id}/identities`;
      const schema = z.array(z.object({ appid: z.string(), openid: z.string(), unionid: z.string().nullable() }));
      const here = schema.parse((await sandbox.control('GET', path)).body);
      const there = schema.parse((await other.control('GET', path)).body);
      expect(here).toEqual(there);
      expect(new Set(here.map((i) => i.openid)).size).toBe(here.length);
      expect(new Set(here.map((i) => i.unionid)).size).toBe(1);
    } finally {
      await other.close();
    }
  });
});

describe('control API', () => {
  it('creates an official account with push settings generated when not given', async () => {
    const created = appSchema.parse(await sandbox.ok('POST', '/_sandbox/apps', { type: 'official_account', name: 'OA' }));
    expect(created.appid).toMatch(/^wx[0-9a-f]{16}$/);
    expect(created.secret).toMatch(/^[0-9a-f]{32}$/);
    expect(created.encodingAesKey).toMatch(/^[A-Za-z0-9+/]{43}$/);
    expect(created.originalId).toMatch(/^gh_[0-9a-f]{12}$/);
    expect(created.openPlatformId).toBeNull();
  });

  it('updates an app with PATCH and binds it with bind', async () => {
    const created = appSchema.parse(await sandbox.ok('POST', '/_sandbox/apps', { type: 'official_account' }));
    const patched = appSchema.parse(
      await sandbox.ok('PATCH', `/_sandbox/apps/${created.appid}`, { safeMode: true, callbackUrl: 'http://127.0.0.1:9/cb' }),
    );
    expect(patched).toMatchObject({ safeMode: true, callbackUrl: 'http://127.0.0.1:9/cb' });
    const bound = appSchema.parse(
      await sandbox.ok('POST', `/_sandbox/apps/${created.appid}/bind`, { openPlatformId: DEMO_OPEN_PLATFORM.id }),
    );
    expect(bound.openPlatformId).toBe(DEMO_OPEN_PLATFORM.id);
    expect((await sandbox.control('POST', `/_sandbox/apps/${created.appid}/bind`, { openPlatformId: 'op_nope' })).status).toBe(404);
  });

  it('answers invalid input with a problem document naming the field', async () => {
    const answer = await fetch(`${sandbox.url}/_sandbox/apps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'blog' }),
    });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(await answer.json()).toMatchObject({ code: 'validation_failed', detail: expect.stringContaining('type') });
    expect(
      (await sandbox.control('POST', '/_sandbox/actions/js-login', { personId: 'p_nobody', appid: demoApp('miniProgram').appid })).status,
    ).toBe(404);
    expect(
      (await sandbox.control('POST', '/_sandbox/actions/js-login', { personId: 'p_alice', appid: demoApp('website').appid })).status,
    ).toBe(400);
  });

  it('counts calls per endpoint and appid, including refused ones, and clears the counts', async () => {
    const app = demoApp('officialAccount');
    await sandbox.ok('DELETE', '/_sandbox/stats');
    await sandbox.appToken(app.appid, app.secret);
    await sandbox.wechatGet('/cgi-bin/token', { grant_type: 'client_credential', appid: app.appid, secret: 'wrong' });
    expect(await sandbox.calls('cgi-bin/token', app.appid)).toBe(2);
    await sandbox.ok('DELETE', '/_sandbox/stats');
    expect(await sandbox.calls('cgi-bin/token', app.appid)).toBe(0);
  });

  it('echoes extMsg when the mini program returns to the app', async () => {
    const answer = await sandbox.ok('POST', '/_sandbox/actions/return-to-app', {
      personId: 'p_bob',
      appid: demoApp('mobileApp').appid,
      extMsg: 'ticket=abc',
    });
    expect(answer).toEqual({ extMsg: 'ticket=abc' });
  });

  it('reset forgets created apps, the clock offset and issued codes, and seeds the demo world again', async () => {
    const other = await TestSandbox.start();
    try {
      const created = appSchema.parse(await other.ok('POST', '/_sandbox/apps', { type: 'website' }));
      const mp = demoApp('miniProgram');
      const code = z.string().parse((await other.ok('POST', '/_sandbox/actions/js-login', { personId: 'p_alice', appid: mp.appid })).code);
      await other.advance(100);
      await other.ok('POST', '/_sandbox/reset');
      expect((await other.control('GET', `/_sandbox/apps/${created.appid}`)).status).toBe(404);
      expect((await other.control('GET', `/_sandbox/apps/${mp.appid}`)).status).toBe(200);
      expect((await other.ok('GET', '/_sandbox/clock')).offsetSeconds).toBe(0);
      const answer = await other.wechatGet('/sns/jscode2session', {
        appid: mp.appid,
        secret: mp.secret,
        js_code: code,
        grant_type: 'authorization_code',
      });
      expect(answer.errcode).toBe(40029);
    } finally {
      await other.close();
    }
  });

  it('opens a mini program page with a scene', async () => {
    const mp = demoApp('miniProgram');
    const answer = await sandbox.ok('POST', '/_sandbox/actions/open-mini-program', {
      personId: 'p_alice',
      appid: mp.appid,
      page: 'pages/login/login',
      scene: 't=1',
    });
    expect(answer).toMatchObject({ kind: 'mini_program_code', appid: mp.appid, page: 'pages/login/login', scene: 't=1' });
  });

  it('answers a scan of content it does not know as unknown', async () => {
    expect(await sandbox.ok('POST', '/_sandbox/actions/scan', { personId: 'p_alice', content: 'hello' })).toEqual({
      kind: 'unknown',
      content: 'hello',
    });
  });
});

describe('demo apps’ redirect domains', () => {
  it('are the host of callbackBaseUrl (the weunion server’s PUBLIC_URL)', async () => {
    for (const demo of DEMO_APPS) {
      const app = appSchema.parse((await sandbox.control('GET', `/_sandbox/apps/${demo.appid}`)).body);
      expect(app.redirectDomains).toEqual(['127.0.0.1']);
    }
  });

  it('are the sandbox’s own host without a callbackBaseUrl, and can be given explicitly', async () => {
    const own = await TestSandbox.start({ host: '127.0.0.1' });
    const given = await TestSandbox.start({ callbackBaseUrl: 'https://id.example.com', redirectDomains: ['login.example.com'] });
    try {
      const ownApps = z.array(appSchema).parse((await own.control('GET', '/_sandbox/apps')).body);
      expect(ownApps.map((app) => app.redirectDomains)).toEqual(ownApps.map(() => ['127.0.0.1']));
      const givenApps = z.array(appSchema).parse((await given.control('GET', '/_sandbox/apps')).body);
      expect(givenApps.map((app) => app.redirectDomains)).toEqual(givenApps.map(() => ['login.example.com']));
    } finally {
      await own.close();
      await given.close();
    }
  });
});

describe('sandboxPlugin', () => {
  it('seeds the demo apps with the domain of the server it is mounted in', async () => {
    const server = Fastify();
    await server.register(sandboxPlugin, {
      prefix: '/sandbox',
      publicUrl: 'https://id.example.com/sandbox',
      callbackBaseUrl: 'https://id.example.com',
    });
    try {
      const apps = z.array(appSchema).parse((await server.inject({ method: 'GET', url: '/sandbox/_sandbox/apps' })).json());
      expect(new Set(apps.map((app) => app.redirectDomains.join()))).toEqual(new Set(['id.example.com']));
    } finally {
      await server.close();
    }
  });

  it('mounts under a prefix, links back with publicUrl, and gives each registration its own world', async () => {
    const server = Fastify();
    await server.register(sandboxPlugin, { prefix: '/sandbox', publicUrl: 'http://127.0.0.1:1/sandbox', seedDemoWorld: false });
    await server.register(sandboxPlugin, { prefix: '/other', publicUrl: 'http://127.0.0.1:1/other' });
    try {
      const created = await server.inject({ method: 'POST', url: '/sandbox/_sandbox/apps', payload: { type: 'official_account' } });
      expect(created.statusCode).toBe(201);
      const app = appSchema.parse(created.json());
      expect((await server.inject({ method: 'GET', url: `/other/_sandbox/apps/${app.appid}` })).statusCode).toBe(404);
      expect(z.array(z.unknown()).parse((await server.inject({ method: 'GET', url: '/sandbox/_sandbox/people' })).json())).toHaveLength(0);
      expect(z.array(z.unknown()).parse((await server.inject({ method: 'GET', url: '/other/_sandbox/people' })).json())).toHaveLength(
        DEMO_PEOPLE.length,
      );
      const token = await server.inject({
        method: 'GET',
        url: `/sandbox/cgi-bin/token?grant_type=client_credential&appid=${app.appid}&secret=${app.secret}`,
      });
      const accessToken = z.object({ access_token: z.string() }).parse(token.json()).access_token;
      const qr = await server.inject({
        method: 'POST',
        url: `/sandbox/cgi-bin/qrcode/create?access_token=${accessToken}`,
        payload: { action_name: 'QR_LIMIT_STR_SCENE', action_info: { scene: { scene_str: 'x' } } },
      });
      expect(z.object({ url: z.string() }).parse(qr.json()).url).toMatch(/^http:\/\/127\.0\.0\.1:1\/sandbox\/q\//);
    } finally {
      await server.close();
    }
  });
});

/**
 * The credential check against the WeChat sandbox over real HTTP: a right secret passes, a wrong
 * one is 40125, an unknown appid 40013, for a mini program (stable_token) and a website app (the
 * impossible-code probe); a stored connection is checked by id, a new secret without saving it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminKey } from '../admin-keys/store.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { Browser, demo, LoginWorld, storageModes } from '../login/test-harness.ts';

const embedded = storageModes.filter((mode) => mode.name === 'embedded');

for (const mode of embedded) {
  describe.skipIf(mode.skip)(`credential check (${mode.name})`, () => {
    let world: LoginWorld;
    let key: string;
    const browser = new Browser();

    beforeAll(async () => {
      world = await LoginWorld.start(mode);
      key = (await createAdminKey(world.database.db, 'credential tests', SYSTEM_ACTOR)).key;
    });
    afterAll(async () => {
      await world?.close();
    });

    const check = (body: unknown) =>
      browser.json('POST', `${world.first.url}/api/v1/connections/check-credentials`, body, { authorization: `Bearer ${key}` });

    for (const [label, app, method] of [
      ['mini program', demo('miniProgram'), 'stable_token'],
      ['website app', demo('website'), 'oauth_probe'],
    ] as const) {
      describe(label, () => {
        it('the right secret passes', async () => {
          const answer = await check({ appType: app.type, appid: app.appid, secret: app.secret });
          expect(answer.status).toBe(200);
          expect(answer.body).toMatchObject({ ok: true, method, checkedAt: expect.any(Number) });
          expect(answer.body.explanation).toMatch(/accepted the AppID and AppSecret/);
          expect(JSON.stringify(answer.body)).not.toContain('access_token');
        });

        it('a wrong secret is 40125, explained', async () => {
          const answer = await check({ appType: app.type, appid: app.appid, secret: 'not-the-secret' });
          expect(answer.body).toMatchObject({ ok: false, method, errcode: 40125 });
          expect(answer.body.explanation).toMatch(/^WeChat rejected the AppSecret \(40125 invalid appsecret.*\)\. Copy it again from /);
          expect(JSON.stringify(answer.body)).not.toContain('not-the-secret');
        });

        it('explains in Chinese when asked', async () => {
          const answer = await check({ appType: app.type, appid: app.appid, secret: 'not-the-secret', language: 'zh-CN' });
          expect(answer.body).toMatchObject({ ok: false, errcode: 40125 });
          expect(answer.body.explanation).toMatch(/^微信拒绝了这个 AppSecret（40125 invalid appsecret.*）。请从微信(公众|开放)平台/);
        });

        it('an unknown appid is 40013', async () => {
          const answer = await check({ appType: app.type, appid: 'wx0000000000unknown', secret: app.secret });
          expect(answer.body).toMatchObject({ ok: false, method, errcode: 40013 });
          expect(answer.body.explanation).toMatch(/does not know this AppID/);
        });
      });
    }

    it('checks a stored connection by id, and a new secret for it without saving the new one', async () => {
      const stored = await check({ connectionId: 'demo-official-account' });
      expect(stored.body).toMatchObject({ ok: true, method: 'stable_token', errcode: null });
      const candidate = await check({ connectionId: 'demo-official-account', secret: 'a-new-secret-not-saved' });
      expect(candidate.body).toMatchObject({ ok: false, errcode: 40125 });
      expect((await check({ connectionId: 'demo-official-account' })).body).toMatchObject({ ok: true });
      const mobile = await check({ connectionId: 'demo-mobile-app' });
      expect(mobile.body).toMatchObject({ ok: true, method: 'oauth_probe', errcode: 40029 });
    });

    it('half an input or an unknown connection is refused', async () => {
      expect((await check({ appType: 'website', appid: demo('website').appid })).status).toBe(400);
      expect((await check({ connectionId: 'demo-website', appid: demo('website').appid })).status).toBe(400);
      expect((await check({ connectionId: 'no-such-connection' })).status).toBe(404);
    });

    it('is limited per appid', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) {
        statuses.push((await check({ appType: 'mobile_app', appid: 'wx00000000000limit', secret: `guess${i}` })).status);
      }
      expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
      expect(statuses[10]).toBe(429);
    });
  });
}

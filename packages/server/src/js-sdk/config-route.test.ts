/**
 * The JS-SDK config endpoint over real HTTP, against the sandbox, on embedded and scale-out
 * storage: the config it gives a page on the JS-safe domain is one the WeChat client (the
 * sandbox's wx.config check) accepts; other pages and apps get nothing; two instances fetch the
 * jsapi ticket once between them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { demo, LoginWorld, storageModes } from '../login/test-harness.ts';

const OA = demo('officialAccount');
const configSchema = z.object({
  appId: z.string(),
  timestamp: z.number().int(),
  nonceStr: z.string().min(8),
  signature: z.string().regex(/^[0-9a-f]{40}$/),
});
const statsSchema = z.object({ calls: z.record(z.string(), z.record(z.string(), z.number())) });

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`GET /wechat/js-sdk/config: ${mode.name}`, () => {
    let world: LoginWorld;
    beforeAll(async () => {
      world = await LoginWorld.start(mode);
    });
    afterAll(async () => {
      await world?.close();
    });

    const ask = (base: string, query: Record<string, string>) => fetch(`${base}/wechat/js-sdk/config?${new URLSearchParams(query)}`);

    it('gives a page on the JS-safe domain a config the WeChat client accepts, fetching the ticket once for two instances', async () => {
      const second = await world.addInstance();
      const before = statsSchema.parse(await world.sandbox('GET', '/stats')).calls['cgi-bin/ticket/getticket']?.[OA.appid] ?? 0;
      const pages = [`${world.first.url}/account?tab=wechat#/bind`, `${second.url}/other/page`];
      const answers = await Promise.all(
        [...pages, ...pages].map(async (page, index) => {
          const response = await ask(index % 2 === 0 ? world.first.url : second.url, { appid: OA.appid, url: page });
          expect(response.status).toBe(200);
          expect(response.headers.get('cache-control')).toBe('no-store');
          return { page, config: configSchema.parse(await response.json()) };
        }),
      );
      for (const { page, config } of answers) {
        expect(config.appId).toBe(OA.appid);
        const verdict = await world.sandbox('POST', '/actions/wx-config', {
          appid: OA.appid,
          url: page,
          timestamp: config.timestamp,
          nonceStr: config.nonceStr,
          signature: config.signature,
        });
        expect(verdict).toEqual({ errMsg: 'config:ok' });
      }
      const after = statsSchema.parse(await world.sandbox('GET', '/stats')).calls['cgi-bin/ticket/getticket']?.[OA.appid] ?? 0;
      expect(after - before).toBe(1);
    });

    it('refuses a page on another domain (403), an app that is not a connected official account (404), and a bad URL (400)', async () => {
      const base = world.first.url;
      const elsewhere = await ask(base, { appid: OA.appid, url: 'https://evil.example/steal' });
      expect(elsewhere.status).toBe(403);
      expect(elsewhere.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const sameHostOtherPort = new URL(base);
      sameHostOtherPort.port = String(Number(sameHostOtherPort.port) + 1);
      expect((await ask(base, { appid: OA.appid, url: `${sameHostOtherPort.origin}/p` })).status).toBe(403);
      expect((await ask(base, { appid: demo('miniProgram').appid, url: `${base}/p` })).status).toBe(404);
      expect((await ask(base, { appid: 'wx00000000000000ff', url: `${base}/p` })).status).toBe(404);
      expect((await ask(base, { appid: OA.appid, url: 'javascript:alert(1)' })).status).toBe(400);
      expect((await ask(base, { appid: 'not-an-appid', url: `${base}/p` })).status).toBe(400);
    });
  });
}

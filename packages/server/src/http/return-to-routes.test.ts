import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, LoginWorld, loginWithS2, storageModes } from '../login/test-harness.ts';

/** Each resolves, in a browser, to the path `//evil.example`: the host evil.example. */
const ESCAPES = [
  '/.//evil.example',
  '/..//evil.example',
  '/%2e%2e//evil.example',
  '/a/..//evil.example',
  '/\\evil.example',
  '/\t/evil.example',
];

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`every login entry point keeps the browser on the service: ${mode.name}`, () => {
    let world: LoginWorld;
    let url: string;

    beforeAll(async () => {
      world = await LoginWorld.start(mode);
      url = world.first.url;
    });
    afterAll(async () => {
      await world?.close();
    });

    const stays = (location: string | null) => {
      expect(location).not.toBeNull();
      expect(new URL(location ?? '', url).origin).toBe(new URL(url).origin);
    };

    it.each(ESCAPES)('the redirect starts (S2, S4) send %j to the error page, not away', async (value) => {
      for (const start of ['/login/s2', '/login/s4']) {
        const response = await fetch(`${url}${start}?returnTo=${encodeURIComponent(value)}`, { redirect: 'manual' });
        expect(response.status).toBe(302);
        const location = response.headers.get('location');
        stays(location);
        expect(location).toMatch(/^\/login\/error\?code=validation_failed/);
      }
    });

    it.each(ESCAPES)('the ticket starts (S1, S3), the embedded S2 and the hosted page refuse %j', async (value) => {
      const browser = new Browser();
      for (const kind of ['s1', 's3']) {
        const answer = await browser.json('POST', `${url}/api/login/${kind}`, { returnTo: value });
        expect(answer.status, JSON.stringify(answer.body)).toBe(400);
        expect(answer.body.detail).toMatch(/returnTo/);
      }
      expect((await browser.json('GET', `${url}/api/login/s2/embedded?returnTo=${encodeURIComponent(value)}`)).status).toBe(400);
      const page = await browser.fetch(`${url}/login?returnTo=${encodeURIComponent(value)}`);
      expect(page.status).toBe(400);
      expect(await page.text()).not.toContain('evil.example');
    });

    it.each(ESCAPES)('the error page drops %j from its "start again" link', async (value) => {
      const response = await fetch(`${url}/login/error?code=login_expired&returnTo=${encodeURIComponent(value)}`);
      const html = await response.text();
      const href = /<a class="button" href="([^"]*)"/.exec(html)?.[1];
      expect(href).toBe('/login');
    });

    it('a login returns to the parsed path, never the raw string', async () => {
      const browser = new Browser();
      const landed = await loginWithS2(world, world.first, browser, await world.person(), '/a/../app?x=1#top');
      expect(landed).toBe('/app?x=1#top');
      const page = await fetch(`${url}/login/error?code=login_expired&returnTo=${encodeURIComponent('/a/../app')}`);
      expect(await page.text()).toContain('href="/login?returnTo=%2Fapp"');
    });

    it('a hosted login page hands its script (and so the widget) only the checked return-to', async () => {
      const page = await fetch(`${url}/login?returnTo=${encodeURIComponent('/x/./../inbox')}`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('"returnTo":"/inbox"');
      expect(html).not.toContain('/x/./../inbox');
    });
  });
}

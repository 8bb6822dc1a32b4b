/**
 * "Try login" ending on weunion's own result page: an admin starts a try from the console, the
 * person logs in through the hosted page and S2 (sandbox), and the browser lands on
 * `/console/try-login/callback`, which exchanges the code (with the application's secret, server
 * side) and shows the ID token's claims — never the code, tokens or secret. The page finishes a
 * try once; a state no admin started is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdminAccount } from '../admin-accounts/store.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { Browser, LoginWorld, storageModes } from '../login/test-harness.ts';
import { applicationInputSchema, createApplication } from '../oidc/applications.ts';
import { oidcDb } from '../oidc/tables.ts';

for (const mode of storageModes.filter((m) => m.name === 'embedded')) {
  describe.skipIf(mode.skip)(`Try login ends on weunion's result page (${mode.name})`, () => {
    let world: LoginWorld;
    let clientSecret: string;
    let admin: { cookie: string; csrf: string };
    beforeAll(async () => {
      world = await LoginWorld.start(mode);
      const db = oidcDb(world.database.db);
      const secrets = world.first.app.ctx.secrets;
      const input = { name: 'Try', redirectUris: ['https://app.example/callback'], scenarios: ['s2'] };
      clientSecret =
        (await createApplication(db, secrets, applicationInputSchema.parse({ ...input, id: 'try-web', type: 'web' }))).clientSecret ?? '';
      await createApplication(
        db,
        secrets,
        applicationInputSchema.parse({ ...input, id: 'try-native', type: 'native', redirectUris: ['com.example.app:/cb'] }),
      );
      await createAdminAccount(world.database.db, secrets, { username: 'tryer', password: 'a long enough password' }, SYSTEM_ACTOR);
      const login = await fetch(`${world.first.url}/console/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'tryer', password: 'a long enough password' }),
      });
      const cookie = /weunion_console=[^;]*/.exec(login.headers.getSetCookie().join(';'))?.[0] ?? '';
      admin = { cookie, csrf: z.object({ csrfToken: z.string() }).parse(await login.json()).csrfToken };
    });
    afterAll(async () => {
      await world?.close();
    });

    const start = (applicationId: string, auth = admin) =>
      fetch(`${world.first.url}/console/api/try-login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: auth.cookie, 'x-csrf-token': auth.csrf },
        body: JSON.stringify({ applicationId }),
      });

    it('logs in through the hosted page and shows the ID token claims on weunion, once', async () => {
      const started = await start('try-web');
      expect(started.status).toBe(200);
      const { url } = z.object({ url: z.string(), redirectUri: z.string() }).parse(await started.json());
      expect(new URL(url).searchParams.get('redirect_uri')).toBe(`${world.first.url}/console/try-login/callback`);

      const browser = new Browser();
      const person = await world.person('Tryphena');
      const landed = await browser.navigate(url);
      const returnTo = new URL(landed.url).searchParams.get('returnTo') ?? '';
      const s2 = await browser.fetch(`${world.first.url}/login/s2?${new URLSearchParams({ returnTo })}`);
      let next = (await world.approve(person, s2.headers.get('location') ?? '')) ?? '';
      for (let hop = 0; hop < 8 && !next.includes('/console/try-login/callback'); hop++) {
        const response = await browser.fetch(next);
        const location = response.headers.get('location');
        if (location === null) throw new Error(`stuck at ${next} (${response.status})`);
        next = new URL(location, next).href;
      }
      const code = new URL(next).searchParams.get('code') ?? '';
      expect(code).not.toBe('');
      const page = await browser.fetch(next, { headers: { 'accept-language': 'en' } });
      const html = await page.text();
      expect(page.status).toBe(200);
      expect(html).toContain('Login works');
      expect(html).toMatch(/<th scope="row">sub<\/th><td>usr_/);
      expect(html).toContain('Tryphena');
      expect(html).not.toContain(code);
      expect(html).not.toContain(clientSecret);
      expect(html).not.toContain('eyJ');
      expect(page.headers.get('cache-control')).toBe('no-store');
      // The URL held the code: it is never sent on as a referrer, and the page's own style runs.
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('content-security-policy')).toMatch(/style-src 'nonce-/);

      const again = await browser.fetch(next, { headers: { 'accept-language': 'zh-CN' } });
      expect(again.status).toBe(400);
      expect(await again.text()).toContain('试用未完成');
    });

    it('refuses a state no admin started, a try without a console session, and a native application', async () => {
      const forged = await fetch(`${world.first.url}/console/try-login/callback?code=abc&state=made-up`);
      expect(forged.status).toBe(400);
      expect((await start('try-web', { cookie: '', csrf: '' })).status).toBe(401);
      const native = await start('try-native');
      expect(native.status).toBe(400);
      expect((await start('nope')).status).toBe(404);
    });
  });
}

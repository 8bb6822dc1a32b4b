/**
 * S2 over real HTTP against the sandbox, on embedded and scale-out storage: the redirect and the
 * embedded (wxLogin.js) variants end logged in; state and code misuse is refused with no account
 * change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, demo, LoginWorld, loginWithS2, sessionOf, storageModes } from '../login/test-harness.ts';

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`S2 website QR login: ${mode.name}`, () => {
    let world: LoginWorld;
    beforeAll(async () => {
      world = await LoginWorld.start(mode);
    });
    afterAll(async () => {
      await world?.close();
    });

    it('the person scans and confirms: the browser is signed in and sent back to returnTo', async () => {
      const browser = new Browser();
      const person = await world.person('Dora');
      const start = await browser.fetch(`${world.first.url}/login/s2?returnTo=${encodeURIComponent('/app/orders?x=1')}`);
      expect(start.status).toBe(302);
      const qrconnect = new URL(start.headers.get('location') ?? '');
      expect(qrconnect.pathname).toBe('/connect/qrconnect');
      const state = qrconnect.searchParams.get('state') ?? '';
      expect(state).toMatch(/^[A-Za-z0-9]{1,128}$/);
      expect(qrconnect.searchParams.get('appid')).toBe(demo('website').appid);

      const redirect = await world.approve(person, qrconnect.href);
      const back = await browser.fetch(redirect ?? '');
      expect(back.status).toBe(302);
      expect(back.headers.get('location')).toBe('/app/orders?x=1');
      const cookie = back.headers.getSetCookie().find((c) => c.startsWith('wu_session='));
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Lax/);
      const session = await sessionOf(browser, world.first);
      expect(session).toMatchObject({ nickname: 'Dora', session: { methods: ['s2'], appid: demo('website').appid } });
      expect(session?.sub).toEqual(expect.any(String));
    });

    it('the embedded variant gives the WxLogin parameters; the top-window redirect signs in', async () => {
      const browser = new Browser();
      const person = await world.person();
      const params = await browser.json('GET', `${world.first.url}/api/login/s2/embedded?returnTo=/embedded-done`);
      expect(params.status).toBe(200);
      expect(params.body).toMatchObject({ appid: demo('website').appid, scope: 'snsapi_login', self_redirect: false });
      const script = await fetch(String(params.body.scriptUrl));
      expect(await script.text()).toContain('WxLogin');
      // What wxLogin.js puts in the iframe.
      const frame = new URL(`${world.sandboxUrl}/connect/qrconnect`);
      for (const name of ['appid', 'scope', 'redirect_uri', 'state'] as const) frame.searchParams.set(name, String(params.body[name]));
      frame.searchParams.set('response_type', 'code');
      frame.searchParams.set('login_type', 'jssdk');
      const redirect = await world.approve(person, frame.href);
      const back = await browser.fetch(redirect ?? '');
      expect(back.headers.get('location')).toBe('/embedded-done');
      expect(await sessionOf(browser, world.first)).not.toBeNull();
    });

    it('a second login of the same person is the same user, and logout ends the session', async () => {
      const person = await world.person();
      const first = new Browser();
      const second = new Browser();
      await loginWithS2(world, world.first, first, person);
      await loginWithS2(world, world.first, second, person);
      const a = await sessionOf(first, world.first);
      const b = await sessionOf(second, world.first);
      expect(a?.sub).toBe(b?.sub);
      expect((await first.json('POST', `${world.first.url}/api/session/logout`)).status).toBe(200);
      expect(await sessionOf(first, world.first)).toBeNull();
      expect(await sessionOf(second, world.first)).not.toBeNull();
    });

    it('returnTo must be a path on this service: other origins are refused before WeChat is asked', async () => {
      const browser = new Browser();
      for (const returnTo of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '/ok\n']) {
        const response = await browser.fetch(`${world.first.url}/login/s2?returnTo=${encodeURIComponent(returnTo)}`);
        expect(response.status).toBe(302);
        expect(response.headers.get('location')).toMatch(/^\/login\/error\?code=validation_failed/);
      }
    });

    it('a callback finished in another browser (state bound to the first one) is refused; no account change', async () => {
      const person = await world.person();
      const victim = new Browser();
      const attacker = new Browser();
      const start = await attacker.fetch(`${world.first.url}/login/s2`);
      const redirect = await world.approve(person, start.headers.get('location') ?? '');
      const users = await world.userCount();
      const landed = await victim.fetch(redirect ?? '');
      expect(landed.headers.get('location')).toMatch(/^\/login\/error\?code=login_state_mismatch/);
      expect(await sessionOf(victim, world.first)).toBeNull();
      expect(await world.userCount()).toBe(users);
    });

    it('a state used once cannot be used again, and an unknown state is refused', async () => {
      const person = await world.person();
      const browser = new Browser();
      const start = await browser.fetch(`${world.first.url}/login/s2`);
      const redirect = await world.approve(person, start.headers.get('location') ?? '');
      expect((await browser.fetch(redirect ?? '')).headers.get('location')).toBe('/');
      const again = await browser.fetch(redirect ?? '');
      expect(again.headers.get('location')).toMatch(/^\/login\/error\?code=login_expired/);
      const unknown = await browser.fetch(`${world.first.url}/login/s2/callback?code=abc&state=NotAStateWeIssued`);
      expect(unknown.headers.get('location')).toMatch(/^\/login\/error\?code=login_expired/);
    });

    it('a WeChat code already used is refused by WeChat and signs nobody in', async () => {
      const person = await world.person();
      const browser = new Browser();
      const first = await browser.fetch(`${world.first.url}/login/s2`);
      const redirect = new URL((await world.approve(person, first.headers.get('location') ?? '')) ?? '');
      await browser.fetch(redirect.href);
      await browser.fetch(`${world.first.url}/api/session/logout`, { method: 'POST' });
      // A fresh, valid state for this browser, carrying the old code.
      const second = new URL((await browser.fetch(`${world.first.url}/login/s2?returnTo=/again`)).headers.get('location') ?? '');
      redirect.searchParams.set('state', second.searchParams.get('state') ?? '');
      const users = await world.userCount();
      const reused = await browser.fetch(redirect.href);
      expect(reused.headers.get('location')).toMatch(/^\/login\/error\?code=wechat_code_invalid/);
      // The error page can offer to start again towards where the flow was going.
      expect(new URL(reused.headers.get('location') ?? '', world.first.url).searchParams.get('returnTo')).toBe('/again');
      expect(await sessionOf(browser, world.first)).toBeNull();
      expect(await world.userCount()).toBe(users);
    });

    it('a person who declines on the phone comes back to nothing (no code): a clear error', async () => {
      const browser = new Browser();
      const start = new URL((await browser.fetch(`${world.first.url}/login/s2`)).headers.get('location') ?? '');
      const declined = await browser.fetch(`${world.first.url}/login/s2/callback?state=${start.searchParams.get('state')}`);
      expect(declined.headers.get('location')).toMatch(/^\/login\/error\?code=wechat_code_missing/);
    });
  });
}

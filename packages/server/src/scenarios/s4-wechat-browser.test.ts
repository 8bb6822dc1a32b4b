/**
 * S4 over real HTTP against the sandbox, on embedded and scale-out storage: a new person goes
 * through the silent round and then the consent round; a known person stays silent; snapshot-mode
 * visitors are refused with their own error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Browser, demo, LoginWorld, sessionOf, storageModes } from '../login/test-harness.ts';

const OA = demo('officialAccount');

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`S4 web authorization in the WeChat browser: ${mode.name}`, () => {
    let world: LoginWorld;
    beforeAll(async () => {
      world = await LoginWorld.start(mode);
    });
    afterAll(async () => {
      await world?.close();
    });

    /** The WeChat browser of `person`: the sandbox knows who is using it by its cookie. */
    const wechatBrowser = (person: string) => {
      const browser = new Browser();
      browser.setCookie(world.sandboxUrl, 'sandbox_person', person);
      return browser;
    };

    it('a new person: silent snsapi_base, then one consent round (snsapi_userinfo), then signed in with the profile', async () => {
      const person = await world.person('Frank');
      const browser = wechatBrowser(person);
      const first = await browser.navigate(`${world.first.url}/login/s4?returnTo=/s4-done`);
      // The silent round found nobody: WeChat now asks the person (the sandbox's consent page).
      const consent = new URL(first.url);
      expect(consent.pathname).toBe('/connect/oauth2/authorize');
      expect(consent.searchParams.get('scope')).toBe('snsapi_userinfo');
      expect(consent.searchParams.get('state')).toMatch(/^[A-Za-z0-9]{1,128}$/);
      const redirect = await world.approve(person, first.url);
      const done = await browser.navigate(redirect ?? '');
      expect(new URL(done.url).pathname).toBe('/s4-done');
      expect(await sessionOf(browser, world.first)).toMatchObject({ nickname: 'Frank', session: { methods: ['s4'], appid: OA.appid } });
    });

    it('a person already known (unionid on record) is signed in silently, as the same user', async () => {
      const person = await world.person();
      const firstBrowser = wechatBrowser(person);
      const first = await firstBrowser.navigate(`${world.first.url}/login/s4`);
      await firstBrowser.navigate((await world.approve(person, first.url)) ?? '');
      const firstUser = (await sessionOf(firstBrowser, world.first))?.sub;

      const browser = wechatBrowser(person);
      const again = await browser.navigate(`${world.first.url}/login/s4?returnTo=/again`);
      expect(new URL(again.url).pathname).toBe('/again');
      expect((await sessionOf(browser, world.first))?.sub).toBe(firstUser);
    });

    it('webAuthScope snsapi_base: always silent, openid only; snsapi_userinfo: asks even a known person', async () => {
      const settings = { phoneNumber: 'optional', reusePhone: true, webAuthScope: 'snsapi_base', revealScanner: false } as const;
      await world.configure('demo-official-account', { settings });
      try {
        const person = await world.person('Kim');
        const browser = wechatBrowser(person);
        const landed = await browser.navigate(`${world.first.url}/login/s4?returnTo=/base`);
        expect(new URL(landed.url).pathname).toBe('/base');
        expect(await sessionOf(browser, world.first)).toMatchObject({ nickname: null });

        await world.configure('demo-official-account', { settings: { ...settings, webAuthScope: 'snsapi_userinfo' } });
        const asked = await wechatBrowser(person).navigate(`${world.first.url}/login/s4`);
        expect(new URL(asked.url).searchParams.get('scope')).toBe('snsapi_userinfo');
      } finally {
        await world.configure('demo-official-account', { settings: { ...settings, webAuthScope: 'auto' } });
      }
    });

    it('a snapshot-mode visitor (is_snapshotuser) is refused with a clear page and no account', async () => {
      const person = z.string().parse((await world.sandbox('POST', '/people', { nickname: 'Ghost', snapshot: true })).id);
      const users = await world.userCount();
      const browser = wechatBrowser(person);
      const landed = await browser.navigate(`${world.first.url}/login/s4`);
      const error = new URL(landed.url);
      expect(error.pathname).toBe('/login/error');
      expect(error.searchParams.get('code')).toBe('wechat_snapshot_user');
      expect(await world.userCount()).toBe(users);
    });

    it('a callback with a state from another browser is refused', async () => {
      const person = await world.person();
      const attacker = wechatBrowser(person);
      const start = await attacker.fetch(`${world.first.url}/login/s4`);
      const authorize = await attacker.fetch(start.headers.get('location') ?? '');
      const callback = authorize.headers.get('location') ?? '';
      const victim = new Browser();
      const landed = await victim.fetch(callback);
      expect(landed.headers.get('location')).toMatch(/^\/login\/error\?code=login_state_mismatch/);
      expect(await sessionOf(victim, world.first)).toBeNull();
    });
  });
}

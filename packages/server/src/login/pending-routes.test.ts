/**
 * The endpoints behind the hosted select and bind pages, driven by real logins against the
 * sandbox: the pending sign-in belongs to the browser that logged in (its cookie), finishes once,
 * and ends like any login (session + returnTo).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { IdentityPolicy } from '../identity/index.ts';
import { Browser, demo, LoginWorld, loginWithS2, sessionOf, storageModes, waitForState } from './test-harness.ts';

const MP = demo('miniProgram');
const basePolicy: IdentityPolicy = {
  registration: 'allow',
  fieldMatching: [],
  queryBinding: 'off',
  bindingMethods: ['password', 'sms'],
  onMultipleMatches: 'select',
  autoMergeOnUnionid: false,
};

const randomPhone = () => `+86137${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`pending selection and binding in the browser: ${mode.name}`, () => {
    let world: LoginWorld;
    beforeAll(async () => {
      world = await LoginWorld.start(mode);
    });
    afterAll(async () => {
      await world?.close();
    });

    it('bind by password: the browser goes to /login/bind, proves the account, and is signed in as it', async () => {
      await world.configure('demo-website', { policy: { ...basePolicy, queryBinding: 'require' } });
      const phone = randomPhone();
      const existing = await world.existingUser(phone, 'correct horse battery');
      const browser = new Browser();
      expect(await loginWithS2(world, world.first, browser, await world.person(), '/after-bind')).toBe('/login/bind');
      expect(browser.cookie(world.first.url, 'wu_pending')).toEqual(expect.any(String));
      expect(await sessionOf(browser, world.first)).toBeNull();

      const described = await browser.json('GET', `${world.first.url}/api/login/pending`);
      expect(described.body).toMatchObject({ kind: 'bind', methods: ['password', 'sms'], mayCreateInstead: false, scenario: 's2' });
      // Another browser has no pending sign-in, whatever it knows.
      expect((await new Browser().json('GET', `${world.first.url}/api/login/pending`)).status).toBe(410);

      const wrong = await browser.json('POST', `${world.first.url}/api/login/pending/bind/password`, { login: phone, password: 'nope' });
      expect(wrong).toMatchObject({ status: 400, body: { code: 'binding_failed' } });
      const sent = await browser.json('POST', `${world.first.url}/api/login/pending/bind/code/send`, {
        channel: 'sms',
        destination: phone,
      });
      expect(sent).toMatchObject({ status: 200, body: { expiresInMs: expect.any(Number) } });
      const created = await browser.json('POST', `${world.first.url}/api/login/pending/create`);
      expect(created).toMatchObject({ status: 403 });

      const right = await browser.json('POST', `${world.first.url}/api/login/pending/bind/password`, {
        login: phone,
        password: 'correct horse battery',
      });
      expect(right.body).toMatchObject({ status: 'signed_in', userId: existing, returnTo: '/after-bind' });
      expect((await sessionOf(browser, world.first))?.sub).toBe(existing);
      expect(browser.cookie(world.first.url, 'wu_pending')).toBeUndefined();
      expect((await browser.json('GET', `${world.first.url}/api/login/pending`)).status).toBe(410);
    });

    it('binding offered: the person may create a new account instead', async () => {
      await world.configure('demo-website', { policy: { ...basePolicy, queryBinding: 'offer' } });
      const users = await world.userCount();
      const browser = new Browser();
      expect(await loginWithS2(world, world.first, browser, await world.person())).toBe('/login/bind');
      const created = await browser.json('POST', `${world.first.url}/api/login/pending/create`);
      expect(created.body).toMatchObject({ status: 'signed_in', returnTo: '/app' });
      expect(await world.userCount()).toBe(users + 1);
      await world.configure('demo-website', { policy: basePolicy });
    });

    it('selection after an S3 redeem: the unionid and the phone point at different accounts, the person picks one', async () => {
      await world.configure('demo-mini-program', { policy: { ...basePolicy, fieldMatching: ['phone'] } });
      try {
        const phone = randomPhone();
        const person = z.string().parse((await world.sandbox('POST', '/people', { nickname: 'Ivy', phone })).id);
        const byPhone = await world.existingUser(phone, 'another secret pw');
        const web = new Browser();
        await loginWithS2(world, world.first, web, person);
        const byUnionid = (await sessionOf(web, world.first))?.sub;

        const browser = new Browser();
        const ticket = z
          .object({ ticketId: z.string() })
          .parse((await browser.json('POST', `${world.first.url}/api/login/s3`, { returnTo: '/picked' })).body);
        const mp = new Browser();
        const jsLogin = async () =>
          z.string().parse((await world.sandbox('POST', '/actions/js-login', { personId: person, appid: MP.appid })).code);
        await mp.json('POST', `${world.first.url}/api/mp/tickets/${ticket.ticketId}/scan`, { appid: MP.appid, code: await jsLogin() });
        const phoneCode = z
          .string()
          .parse((await world.sandbox('POST', '/actions/phone-code', { personId: person, appid: MP.appid })).code);
        await mp.json('POST', `${world.first.url}/api/mp/tickets/${ticket.ticketId}/confirm`, {
          appid: MP.appid,
          code: await jsLogin(),
          phoneCode,
        });
        await waitForState(browser, world.first, ticket.ticketId, 'confirmed');

        const redeemed = await browser.json('POST', `${world.first.url}/api/login/tickets/${ticket.ticketId}/redeem`);
        expect(redeemed.body).toMatchObject({ status: 'select', next: '/login/select', returnTo: '/picked' });
        const described = z
          .object({ kind: z.literal('select'), candidates: z.array(z.object({ userId: z.string(), maskedPhone: z.string().nullable() })) })
          .parse((await browser.json('GET', `${world.first.url}/api/login/pending`)).body);
        expect(described.candidates.map((c) => c.userId).sort()).toEqual([byPhone, byUnionid].sort());
        expect(JSON.stringify(described)).not.toContain(phone);

        const outsider = await browser.json('POST', `${world.first.url}/api/login/pending/select`, { userId: 'usr_not_a_choice' });
        expect(outsider.status).toBe(400);
        const picked = await browser.json('POST', `${world.first.url}/api/login/pending/select`, { userId: byPhone });
        expect(picked.body).toMatchObject({ status: 'signed_in', userId: byPhone, returnTo: '/picked' });
        expect((await sessionOf(browser, world.first))?.sub).toBe(byPhone);
      } finally {
        await world.configure('demo-mini-program', { policy: basePolicy });
      }
    });
  });
}

/**
 * The hosted select and bind pages, reached through real logins against the sandbox: what they
 * show (only the pending choice, masked, in the person's language; only the binding methods the
 * policy allows) and the calls their script makes, end to end, as a browser would make them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import type { IdentityPolicy } from '../identity/index.ts';
import { createUser } from '../identity/users.ts';
import { Browser, LoginWorld, loginWithS2, sessionOf, storageModes } from '../login/test-harness.ts';
import { atSelectPage, basePolicy, atBindPage as bindPageOf, randomPhone, watchSentCodes } from './pending-flows.ts';

const ZH = { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' };
const EN = { 'accept-language': 'en-US,en;q=0.9' };

async function page(browser: Browser, url: string, headers: Record<string, string> = EN) {
  const response = await browser.fetch(url, { headers });
  return { status: response.status, headers: response.headers, html: await response.text() };
}

const selectable = (html: string) => [...html.matchAll(/data-select="([^"]+)"/g)].map((m) => m[1]);

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`hosted select and bind pages: ${mode.name}`, () => {
    let world: LoginWorld;
    let codes: ReturnType<typeof watchSentCodes>;
    let url: string;
    beforeAll(async () => {
      world = await LoginWorld.start(mode);
      codes = watchSentCodes(world.first.app);
      url = world.first.url;
    });
    afterAll(async () => {
      await world?.close();
    });

    const atBindPage = (policy: Partial<IdentityPolicy>, returnTo?: string) => bindPageOf(world, policy, returnTo);

    it('the select page lists exactly the pending accounts, masked, in English and Chinese; choosing one signs in as it', async () => {
      await world.configure('demo-mini-program', { policy: { ...basePolicy, fieldMatching: ['phone'] } });
      try {
        const { browser, phone, email, byPhone, byUnionid } = await atSelectPage(world);

        const en = await page(browser, `${url}/login/select`, EN);
        expect(en.status).toBe(200);
        expect(en.headers.get('cache-control')).toBe('no-store');
        expect(en.headers.get('content-type')).toContain('text/html');
        expect(en.html).toContain('<html lang="en"');
        expect(en.html).toContain('Choose your account');
        expect(selectable(en.html).sort()).toEqual([byPhone, byUnionid].sort());
        // Recognisable, not identifying: masked phone and email, never the full ones.
        expect(en.html).toContain(`${phone.slice(0, -8)}****${phone.slice(-4)}`);
        expect(en.html).toContain(`i***@example.com`);
        expect(en.html).not.toContain(phone);
        expect(en.html).not.toContain(email);
        expect(en.html).toContain('Ivy');
        expect(en.html).toMatch(/Last signed in <time datetime="[^"]+Z"/);
        expect(en.html).not.toMatch(/<script[^>]+src=/);

        const zh = await page(browser, `${url}/login/select`, ZH);
        expect(zh.html).toContain('<html lang="zh-CN"');
        expect(zh.html).toContain('选择账号');
        expect(selectable(zh.html).sort()).toEqual([byPhone, byUnionid].sort());
        expect(zh.html).not.toContain(phone);
        // The bind page is not what this sign-in waits for.
        expect((await browser.fetch(`${url}/login/bind`)).headers.get('location')).toBe('/login/select');

        // What the page's script does when the person picks the account with that phone.
        const picked = await browser.json('POST', `${url}/api/login/pending/select`, { userId: byPhone });
        expect(picked.body).toMatchObject({ status: 'signed_in', userId: byPhone, returnTo: '/picked' });
        expect((await sessionOf(browser, world.first))?.sub).toBe(byPhone);
        const after = await page(browser, `${url}/login/select`);
        expect(after.status).toBe(410);
        expect(after.html).toContain('This sign-in has expired');
      } finally {
        await world.configure('demo-mini-program', { policy: basePolicy });
      }
    });

    it('each candidate names the app it last signed in through; cancel ends the sign-in and lands on a page that says so', async () => {
      await world.configure('demo-mini-program', { policy: { ...basePolicy, fieldMatching: ['phone'] } });
      try {
        const { browser, byPhone, byUnionid } = await atSelectPage(world, '/picked');
        const website = await world.database.db
          .selectFrom('connections')
          .select('name')
          .where('id', '=', 'demo-website')
          .executeTakeFirstOrThrow();
        const en = await page(browser, `${url}/login/select`, EN);
        // The account made through the website says so; the admin-made one never signed in.
        expect(en.html).toContain(`via ${website.name}`);
        expect(en.html).toContain('Never signed in');
        expect(en.html).toContain('<button type="button" data-cancel>Cancel sign-in</button>');
        expect((await page(browser, `${url}/login/select`, ZH)).html).toContain('<button type="button" data-cancel>取消登录</button>');

        const pendingId = browser.cookie(url, 'wu_pending');
        const users = await world.userCount();
        const cancelled = await browser.json('POST', `${url}/api/login/pending/cancel`);
        expect(cancelled).toMatchObject({ status: 200, body: { status: 'cancelled', next: '/login/cancelled?returnTo=%2Fpicked' } });
        expect(browser.cookie(url, 'wu_pending')).toBeUndefined();
        const landed = await page(browser, `${url}/login/cancelled?returnTo=%2Fpicked`, EN);
        expect(landed.status).toBe(200);
        expect(landed.html).toContain('Sign-in cancelled');
        expect(landed.html).toContain('href="/login?returnTo=%2Fpicked"');
        expect((await page(browser, `${url}/login/cancelled?returnTo=https%3A%2F%2Fevil.example`, EN)).html).toContain('href="/login"');

        // The cancelled id is worth nothing, even brought back in the cookie: nobody is linked or signed in.
        browser.setCookie(url, 'wu_pending', pendingId ?? '');
        for (const userId of [byPhone, byUnionid]) {
          const late = await browser.json('POST', `${url}/api/login/pending/select`, { userId });
          expect(late.status).toBe(410);
        }
        expect(await sessionOf(browser, world.first)).toBeNull();
        expect(await world.userCount()).toBe(users);
        expect((await page(browser, `${url}/login/select`)).status).toBe(410);
      } finally {
        await world.configure('demo-mini-program', { policy: basePolicy });
      }
    });

    it('the bind page offers cancel too; binding failures lock the account across restarted sign-ins, answered alike for a missing one', async () => {
      const phone = randomPhone();
      await world.existingUser(phone, 'correct horse battery');
      const missing = randomPhone();
      const first = await atBindPage({ queryBinding: 'require', bindingMethods: ['password'] });
      expect((await page(first, `${url}/login/bind`)).html).toContain('data-cancel');
      const answersFor = async (login: string) => {
        const answers: unknown[] = [];
        // Five sign-ins (each a new browser and WeChat person), one wrong password each.
        for (let i = 0; i < 6; i++) {
          const browser = await atBindPage({ queryBinding: 'require', bindingMethods: ['password'] });
          const answer = await browser.json('POST', `${url}/api/login/pending/bind/password`, { login, password: `wrong ${i}` });
          answers.push([answer.status, answer.body.code, answer.body.attemptsLeft, answer.body.detail]);
        }
        return answers;
      };
      const existing = await answersFor(phone);
      expect(existing).toEqual(await answersFor(missing));
      expect(existing.map((a) => (Array.isArray(a) ? a[1] : a))).toEqual([
        'binding_failed',
        'binding_failed',
        'binding_failed',
        'binding_failed',
        'binding_locked',
        'binding_locked',
      ]);
      const cancelled = await first.json('POST', `${url}/api/login/pending/cancel`);
      expect(cancelled.body.status).toBe('cancelled');
    });

    it('without a pending sign-in the pages say it expired and link back to /login', async () => {
      for (const path of ['/login/select', '/login/bind']) {
        const en = await page(new Browser(), `${url}${path}`, EN);
        expect(en.status).toBe(410);
        expect(en.html).toContain('This sign-in has expired');
        expect(en.html).toContain('href="/login"');
        expect(en.html).not.toContain('<button type="button" data-select');
        const zh = await page(new Browser(), `${url}${path}`, ZH);
        expect(zh.html).toContain('本次登录已过期');
      }
    });

    it('the bind page offers the methods the policy allows, and nothing else', async () => {
      const browser = await atBindPage({ queryBinding: 'require', bindingMethods: ['password', 'sms'] });
      const en = await page(browser, `${url}/login/bind`);
      expect(en.status).toBe(200);
      expect(en.headers.get('cache-control')).toBe('no-store');
      expect(en.html).toContain('Link an existing account');
      expect(en.html).toContain('<form data-password>');
      expect(en.html).toContain('<label for="wu-password">Password</label>');
      expect(en.html).toContain('<form data-code="sms">');
      expect(en.html).not.toContain('<form data-code="email">');
      expect(en.html).not.toContain('<button type="button" data-create>');
      expect(en.html).toContain('aria-live="polite"');
      const zh = await page(browser, `${url}/login/bind`, ZH);
      expect(zh.html).toContain('关联已有账号');
      expect(zh.html).toContain('使用短信验证码');
      expect((await browser.fetch(`${url}/login/select`)).headers.get('location')).toBe('/login/bind');

      const emailOnly = await atBindPage({ queryBinding: 'offer', bindingMethods: ['email'] });
      const offered = await page(emailOnly, `${url}/login/bind`);
      expect(offered.html).toContain('<form data-code="email">');
      expect(offered.html).not.toContain('<form data-password>');
      expect(offered.html).toContain('Create a new account instead');
    });

    it('bind by password: a wrong password is refused with attempts left and changes nothing; the right one links and signs in', async () => {
      const phone = randomPhone();
      const existing = await world.existingUser(phone, 'correct horse battery');
      const browser = await atBindPage({ queryBinding: 'require' });
      const users = await world.userCount();
      const identities = await world.identityCount();

      const wrong = await browser.json('POST', `${url}/api/login/pending/bind/password`, { login: phone, password: 'nope' });
      expect(wrong).toMatchObject({
        status: 400,
        body: { code: 'binding_failed', detail: 'No account matches these details', attemptsLeft: 4 },
      });
      expect(await sessionOf(browser, world.first)).toBeNull();
      expect(await world.userCount()).toBe(users);
      expect(await world.identityCount()).toBe(identities);
      expect((await page(browser, `${url}/login/bind`)).status).toBe(200);

      const right = await browser.json('POST', `${url}/api/login/pending/bind/password`, {
        login: phone,
        password: 'correct horse battery',
      });
      expect(right.body).toMatchObject({ status: 'signed_in', userId: existing, returnTo: '/after-bind' });
      expect((await sessionOf(browser, world.first))?.sub).toBe(existing);
      expect(await world.userCount()).toBe(users);
    });

    it('too many wrong answers end the sign-in: the page then only offers to log in again, to the same place', async () => {
      const phone = randomPhone();
      await world.existingUser(phone, 'correct horse battery');
      const browser = await atBindPage({ queryBinding: 'require' }, '/keep-going');
      const answers = [];
      for (let i = 0; i < 5; i++) {
        answers.push(await browser.json('POST', `${url}/api/login/pending/bind/password`, { login: phone, password: `wrong ${i}` }));
      }
      expect(answers.map((a) => a.body.attemptsLeft ?? a.body.code)).toEqual([4, 3, 2, 1, 'binding_locked']);
      expect(answers[4]).toMatchObject({ status: 429, body: { retryAfterSeconds: 900 } });
      const right = await browser.json('POST', `${url}/api/login/pending/bind/password`, {
        login: phone,
        password: 'correct horse battery',
      });
      expect(right.body).toMatchObject({ code: 'login_expired' });
      const after = await page(browser, `${url}/login/bind`);
      expect(after.status).toBe(410);
      expect(after.html).toContain('href="/login?returnTo=%2Fkeep-going"');
      expect(await sessionOf(browser, world.first)).toBeNull();
    });

    it('bind by an SMS code: a wrong code is refused, the code sent to the phone links and signs in', async () => {
      const phone = randomPhone();
      const existing = await world.existingUser(phone, 'unused password 1');
      const browser = await atBindPage({ queryBinding: 'require', bindingMethods: ['sms', 'email'] });
      const sent = await browser.json('POST', `${url}/api/login/pending/bind/code/send`, { channel: 'sms', destination: phone });
      expect(sent).toMatchObject({ status: 200, body: { expiresInMs: expect.any(Number) } });
      const code = codes.codeFor(phone);
      const wrongCode = code === '000000' ? '111111' : '000000';

      const wrong = await browser.json('POST', `${url}/api/login/pending/bind/code`, {
        channel: 'sms',
        destination: phone,
        code: wrongCode,
      });
      expect(wrong).toMatchObject({ status: 400, body: { code: 'verification_failed', attemptsLeft: 4 } });
      expect(await sessionOf(browser, world.first)).toBeNull();
      const again = await browser.json('POST', `${url}/api/login/pending/bind/code/send`, { channel: 'sms', destination: phone });
      expect(again).toMatchObject({ status: 429, body: { code: 'rate_limited' } });

      const right = await browser.json('POST', `${url}/api/login/pending/bind/code`, { channel: 'sms', destination: phone, code });
      expect(right.body).toMatchObject({ status: 'signed_in', userId: existing, returnTo: '/after-bind' });
      expect((await sessionOf(browser, world.first))?.sub).toBe(existing);
    });

    it('bind by an email code: the code sent to the account’s email links and signs in', async () => {
      const email = `bind.${Math.floor(Math.random() * 1e9)}@example.com`;
      const existing = (await createUser(world.database.db, { email, emailVerified: true }, SYSTEM_ACTOR)).id;
      const browser = await atBindPage({ queryBinding: 'require', bindingMethods: ['email'] });
      const refused = await browser.json('POST', `${url}/api/login/pending/bind/code/send`, { channel: 'sms', destination: randomPhone() });
      expect(refused).toMatchObject({ status: 400, body: { code: 'bad_request' } });
      // Typed with capitals: the address is compared normalized.
      const sent = await browser.json('POST', `${url}/api/login/pending/bind/code/send`, {
        channel: 'email',
        destination: email.toUpperCase(),
      });
      expect(sent.status).toBe(200);
      const right = await browser.json('POST', `${url}/api/login/pending/bind/code`, {
        channel: 'email',
        destination: email,
        code: codes.codeFor(email),
      });
      expect(right.body).toMatchObject({ status: 'signed_in', userId: existing, returnTo: '/after-bind' });
    });

    it('create instead, when the policy offers it: a new account, signed in', async () => {
      const browser = await atBindPage({ queryBinding: 'offer' }, '/fresh');
      expect((await page(browser, `${url}/login/bind`)).html).toContain('<button type="button" data-create>');
      const users = await world.userCount();
      const created = await browser.json('POST', `${url}/api/login/pending/create`);
      expect(created.body).toMatchObject({ status: 'signed_in', returnTo: '/fresh' });
      expect(await world.userCount()).toBe(users + 1);
      expect((await sessionOf(browser, world.first))?.sub).toBe(created.body.userId);
    });

    it('a refused login lands on an error page that explains it (registration closed)', async () => {
      await world.configure('demo-website', { policy: { ...basePolicy, registration: 'deny' } });
      try {
        const browser = new Browser();
        const landed = await loginWithS2(world, world.first, browser, await world.person());
        const errorUrl = new URL(landed, url);
        expect(errorUrl.pathname).toBe('/login/error');
        const shown = await page(browser, errorUrl.href, ZH);
        expect(shown.html).toContain('没有与此微信关联的账号');
        const en = await page(browser, errorUrl.href, EN);
        expect(en.html).toContain('No account for this WeChat');
        expect(en.html).toContain('Error code: <code>login_refused (registration_closed)</code>');
        // Trying again starts over towards where the flow was going.
        expect(en.html).toContain('href="/login?returnTo=%2Fapp"');
      } finally {
        await world.configure('demo-website', { policy: basePolicy });
      }
    });
  });
}

/**
 * Codes read the way people read them, in Chromium: the hosted SMS login page sends a code through
 * the sandbox's Tencent Cloud SMS emulator, the person opens the virtual phone's SMS inbox, reads
 * the code there, types it, and lands signed in on `returnTo`; and an account is proved on the
 * bind page with an email code read from the sandbox's outbox page. Screenshots go to
 * test-results/hosted/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser as Chromium, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { createUser } from '../identity/users.ts';
import { Browser, LoginWorld, sessionOf, storageModes } from '../login/test-harness.ts';
import { chromiumPath, launchChromium } from '../testing/chromium.ts';
import { atBindPage, randomPhone } from './pending-flows.ts';

const embedded = storageModes.find((mode) => mode.name === 'embedded');
const ARTIFACTS = path.resolve(import.meta.dirname, '../../../../test-results/hosted');

describe.skipIf(chromiumPath === undefined || embedded === undefined || embedded.skip)(
  'codes read on the virtual phone and in the outbox (Chromium)',
  () => {
    let world: LoginWorld;
    let url: string;
    let chromium: Chromium;
    beforeAll(async () => {
      if (embedded === undefined) throw new Error('no embedded storage');
      world = await LoginWorld.start(embedded);
      url = world.first.url;
      chromium = await launchChromium();
    });
    afterAll(async () => {
      await chromium?.close();
      await world?.close();
    });

    async function screenshot(page: Page, name: string): Promise<void> {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
    }

    async function signedInAs(page: Page): Promise<unknown> {
      const session = (await page.context().cookies(url)).find((cookie) => cookie.name === 'wu_session');
      if (session === undefined) return null;
      const browser = new Browser();
      browser.setCookie(url, 'wu_session', session.value);
      return (await sessionOf(browser, world.first))?.sub ?? null;
    }

    it('SMS login: /login links to the SMS page, the code is read in the virtual phone’s SMS inbox, and the person lands on returnTo signed in', async () => {
      const phone = randomPhone();
      const existing = (await createUser(world.database.db, { phoneNumber: phone, phoneNumberVerified: true }, SYSTEM_ACTOR)).id;
      const context = await chromium.newContext({
        viewport: { width: 390, height: 844 },
        locale: 'zh-CN',
        userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1',
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      try {
        await page.goto(`${url}/login?returnTo=${encodeURIComponent('/welcome-back')}`);
        await page.getByRole('link', { name: '短信验证码登录' }).click();
        await page.waitForURL((target) => target.pathname === '/login/sms');
        expect(await page.locator('h1').textContent()).toBe('短信验证码登录');
        // Typed as people type a mainland number: eleven digits, no +86.
        await page.locator('#wu-phone').fill(phone.slice(3));
        await page.getByRole('button', { name: '获取验证码' }).click();
        await expect
          .poll(() => page.locator('#wu-status').textContent(), { timeout: 15_000 })
          .toBe(`验证码已发送至 ${phone}，10 分钟内有效。`);
        await screenshot(page, 'sms-login-sent-zh');

        // The virtual phone of the person with that number: its SMS inbox, the newest message read.
        const personId = z.string().parse((await world.sandbox('POST', '/people', { nickname: 'Mei', phone })).id);
        const phonePage = await context.newPage();
        phonePage.on('pageerror', (error) => errors.push(error.message));
        await phonePage.goto(`${world.sandboxUrl}/phone`);
        await phonePage.locator('#person').selectOption(personId);
        await phonePage.locator('#smsInbox').click();
        await phonePage.waitForURL((target) => target.pathname.endsWith('/phone/sms') && target.searchParams.get('number') === phone);
        const text = await phonePage.locator('.sms-text').first().textContent();
        await screenshot(phonePage, 'sandbox-sms-inbox');
        const code = /(\d{6})/.exec(text ?? '')?.[1];
        expect(text).toMatch(/^【weunion沙箱】您的验证码为\d{6}，10分钟内有效/);
        expect(code).toBeDefined();
        await phonePage.close();

        await page.locator('#wu-code').fill(code ?? '');
        await page.getByRole('button', { name: '登录', exact: true }).click();
        await page.waitForURL((target) => target.pathname === '/welcome-back');
        expect(await signedInAs(page)).toBe(existing);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    });

    it('SMS login page in English: a wrong code is explained, and nobody is signed in', async () => {
      const context = await chromium.newContext({ viewport: { width: 1024, height: 760 }, locale: 'en-US' });
      const page = await context.newPage();
      try {
        await page.goto(`${url}/login/sms?returnTo=%2Fnowhere`);
        await page.locator('#wu-phone').fill(randomPhone());
        await page.getByRole('button', { name: 'Send code' }).click();
        await expect.poll(() => page.locator('#wu-status').textContent(), { timeout: 15_000 }).toMatch(/^A code was sent to \+86/);
        await page.locator('#wu-code').fill('000000');
        await page.getByRole('button', { name: 'Log in', exact: true }).click();
        await expect
          .poll(() => page.locator('#wu-alert').textContent(), { timeout: 15_000 })
          .toBe('The verification code is wrong or has expired');
        await screenshot(page, 'sms-login-wrong-code-en');
        expect(await signedInAs(page)).toBeNull();
      } finally {
        await context.close();
      }
    });

    it('the <weunion-login> widget with methods="sms" logs in on its own page and goes on to return-to', async () => {
      const phone = randomPhone();
      const context = await chromium.newContext({ viewport: { width: 1024, height: 760 }, locale: 'en-US' });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      try {
        // A page on weunion's origin that embeds the widget, as an application's page would.
        await page.route(`${url}/widget-host`, (route) =>
          route.fulfill({
            contentType: 'text/html; charset=utf-8',
            body: '<!doctype html><html lang="en"><body><weunion-login methods="s2 sms" return-to="/widget-done"></weunion-login><script type="module" src="/assets/weunion-login.js"></script></body></html>',
          }),
        );
        await page.goto(`${url}/widget-host`);
        const widget = page.locator('weunion-login');
        await widget.getByRole('tab', { name: 'SMS code' }).click();
        await widget.getByRole('textbox', { name: 'Mobile number' }).fill(phone);
        await widget.getByRole('button', { name: 'Send code' }).click();
        await expect.poll(() => widget.getByRole('status').textContent(), { timeout: 15_000 }).toBe(`Code sent to ${phone}`);
        const inbox = await world.sandboxAny('GET', `/sms?to=${encodeURIComponent(phone)}`);
        const text = Array.isArray(inbox) ? String((inbox.at(-1) as { text?: unknown } | undefined)?.text ?? '') : '';
        expect(text).toMatch(/Your verification code is \d{6}/);
        await widget.getByRole('textbox', { name: 'Code' }).fill(/(\d{6})/.exec(text)?.[1] ?? '');
        await widget.getByRole('button', { name: 'Log in' }).click();
        await page.waitForURL((target) => target.pathname === '/widget-done');
        expect(await signedInAs(page)).toEqual(expect.stringMatching(/^usr_/));
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    });

    it('binding by email: the code is read on the sandbox’s outbox page and proves the account', async () => {
      const email = `rose.${Math.floor(Math.random() * 1e9)}@example.com`;
      const existing = (await createUser(world.database.db, { email, emailVerified: true }, SYSTEM_ACTOR)).id;
      const browser = await atBindPage(world, { queryBinding: 'require', bindingMethods: ['email'] }, '/by-email');
      const context = await chromium.newContext({ viewport: { width: 1024, height: 760 }, locale: 'en-US' });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      try {
        const pending = browser.cookie(url, 'wu_pending');
        await context.addCookies([{ name: 'wu_pending', value: pending ?? '', url }]);
        await page.goto(`${url}/login/bind`);
        await page.locator('#wu-email-destination').fill(email);
        await page.locator('form[data-code="email"] [data-send]').click();
        await expect.poll(() => page.locator('#wu-email-code').isVisible(), { timeout: 15_000 }).toBe(true);

        const outbox = await context.newPage();
        await outbox.goto(`${world.sandboxUrl}/mail?to=${encodeURIComponent(email)}`);
        const subject = await outbox.locator('.mail-subject').first().textContent();
        expect(subject).toMatch(/^Your verification code: \d{6}$/);
        expect(await outbox.locator('.mail-text').first().textContent()).toMatch(
          /To verify your account, enter the code \d{6}\. It expires in 10 minutes\./,
        );
        await screenshot(outbox, 'sandbox-mail-outbox');
        const code = /(\d{6})/.exec(subject ?? '')?.[1] ?? '';
        await outbox.close();

        await page.locator('#wu-email-code').fill(code);
        await page.locator('#wu-email-code').press('Enter');
        await page.waitForURL((target) => target.pathname === '/by-email');
        expect(await signedInAs(page)).toBe(existing);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    });
  },
);

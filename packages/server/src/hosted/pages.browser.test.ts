/**
 * The hosted pages in a real browser (Debian's Chromium through playwright-core; skipped without
 * it): their script runs under the page's content security policy, the person's clicks and typing
 * go to the pending endpoints, and the browser ends where the flow was going, signed in. A
 * screenshot of each page is saved to test-results/hosted/ for a human to look at.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser as Chromium, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, LoginWorld, sessionOf, storageModes } from '../login/test-harness.ts';
import { chromiumPath, launchChromium } from '../testing/chromium.ts';
import { atBindPage, atSelectPage, basePolicy, randomPhone, watchSentCodes } from './pending-flows.ts';

const embedded = storageModes.find((mode) => mode.name === 'embedded');
const ARTIFACTS = path.resolve(import.meta.dirname, '../../../../test-results/hosted');

describe.skipIf(chromiumPath === undefined || embedded === undefined || embedded.skip)('hosted pages in Chromium', () => {
  let world: LoginWorld;
  let url: string;
  let codes: ReturnType<typeof watchSentCodes>;
  let chromium: Chromium;
  beforeAll(async () => {
    if (embedded === undefined) throw new Error('no embedded storage');
    world = await LoginWorld.start(embedded);
    url = world.first.url;
    codes = watchSentCodes(world.first.app);
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await world?.close();
  });

  /** A fresh page of that size and language; `errors` collects uncaught exceptions (a broken or CSP-blocked script). */
  async function openPage(options: { width: number; height: number; locale: string }): Promise<{ page: Page; errors: string[] }> {
    const context = await chromium.newContext({ viewport: { width: options.width, height: options.height }, locale: options.locale });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    return { page, errors };
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  }

  /** Moves the pending sign-in (its httpOnly cookie) from the test's browser into Chromium. */
  async function handOver(from: Browser, page: Page): Promise<void> {
    const pending = from.cookie(url, 'wu_pending');
    if (pending === undefined) throw new Error('no pending sign-in');
    await page.context().addCookies([{ name: 'wu_pending', value: pending, url }]);
  }

  /** Whom Chromium is signed in as, asked with its session cookie. */
  async function signedInAs(page: Page): Promise<unknown> {
    const session = (await page.context().cookies(url)).find((cookie) => cookie.name === 'wu_session');
    if (session === undefined) return null;
    const browser = new Browser();
    browser.setCookie(url, 'wu_session', session.value);
    return (await sessionOf(browser, world.first))?.sub ?? null;
  }

  const activeId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? null);

  it('select page, by keyboard: Tab to an account, Enter signs in as it and goes on to returnTo', async () => {
    await world.configure('demo-mini-program', { policy: { ...basePolicy, fieldMatching: ['phone'] } });
    const { page, errors } = await openPage({ width: 1024, height: 760, locale: 'en-US' });
    try {
      const { browser, byPhone, byUnionid } = await atSelectPage(world, '/picked');
      await handOver(browser, page);
      await page.goto(`${url}/login/select`);
      await expect.poll(() => page.locator('[data-select]').count()).toBe(2);
      await screenshot(page, 'select-en');
      // Keyboard only: the first Tab reaches the first account, Enter chooses it.
      await page.keyboard.press('Tab');
      const chosen = await page.evaluate(() =>
        document.activeElement instanceof HTMLElement ? document.activeElement.dataset.select : null,
      );
      expect([byPhone, byUnionid]).toContain(chosen);
      await page.keyboard.press('Enter');
      await page.waitForURL((target) => target.pathname === '/picked');
      expect(await signedInAs(page)).toBe(chosen);
      expect(errors).toEqual([]);
    } finally {
      await page.context().close();
      await world.configure('demo-mini-program', { policy: basePolicy });
    }
  });

  it('select page: each account shows where it last signed in; Cancel ends the sign-in and lands on a page that says so', async () => {
    await world.configure('demo-mini-program', { policy: { ...basePolicy, fieldMatching: ['phone'] } });
    const { page, errors } = await openPage({ width: 1024, height: 760, locale: 'en-US' });
    try {
      const { browser } = await atSelectPage(world, '/picked');
      await handOver(browser, page);
      await page.goto(`${url}/login/select`);
      await expect.poll(() => page.locator('[data-select]').count()).toBe(2);
      expect(await page.locator('.accounts').textContent()).toMatch(/via .+/);
      await page.getByRole('button', { name: 'Cancel sign-in' }).click();
      await page.waitForURL((target) => target.pathname === '/login/cancelled');
      expect(await page.locator('h1').textContent()).toBe('Sign-in cancelled');
      await screenshot(page, 'cancelled-en');
      expect(await page.getByRole('link', { name: 'Log in again' }).getAttribute('href')).toBe('/login?returnTo=%2Fpicked');
      expect(await signedInAs(page)).toBeNull();
      // Back to the select page: there is nothing to choose any more.
      const back = await page.goto(`${url}/login/select`);
      expect(back?.status()).toBe(410);
      expect(errors).toEqual([]);
    } finally {
      await page.context().close();
      await world.configure('demo-mini-program', { policy: basePolicy });
    }
  });

  it('bind page on a phone-sized screen, in Chinese: a wrong password is explained with the tries left, the right one links', async () => {
    const phone = randomPhone();
    const existing = await world.existingUser(phone, 'correct horse battery');
    const browser = await atBindPage(world, { queryBinding: 'offer', bindingMethods: ['password', 'sms'] }, '/bound');
    const { page, errors } = await openPage({ width: 390, height: 844, locale: 'zh-CN' });
    try {
      await handOver(browser, page);
      await page.goto(`${url}/login/bind`);
      await screenshot(page, 'bind-zh');
      const form = page.locator('form[data-password]');
      const answer = async (password: string) => {
        // The mainland number is typed without +86; the page adds it.
        await form.locator('[name="login"]').fill(phone.slice(3));
        await form.locator('[name="password"]').fill(password);
        await form.evaluate((element) => (element instanceof HTMLFormElement ? element.requestSubmit() : undefined));
      };
      await answer('nope');
      // Shown beside the password form, which keeps the focus for the next try.
      const alert = page.locator('form[data-password] + [data-alert]');
      // Generous: the answer waits on a deliberate scrypt, slow on a busy machine.
      await expect.poll(() => alert.textContent(), { timeout: 15_000 }).toBe('没有与这些信息匹配的账号。（还可尝试 4 次）');
      expect(await activeId(page)).toBe('wu-password');
      await screenshot(page, 'bind-wrong-password-zh');
      expect(await signedInAs(page)).toBeNull();

      await answer('correct horse battery');
      await page.waitForURL((target) => target.pathname === '/bound');
      expect(await signedInAs(page)).toBe(existing);
      expect(errors).toEqual([]);
    } finally {
      await page.context().close();
    }
  });

  it('bind page, SMS code by keyboard: the number typed without +86, Enter sends the code, the code typed and Enter links', async () => {
    const phone = randomPhone();
    const existing = await world.existingUser(phone, 'unused password 2');
    const browser = await atBindPage(world, { queryBinding: 'require', bindingMethods: ['sms'] }, '/by-code');
    const { page, errors } = await openPage({ width: 1024, height: 760, locale: 'en-US' });
    try {
      await handOver(browser, page);
      await page.goto(`${url}/login/bind`);
      await page.keyboard.press('Tab');
      expect(await activeId(page)).toBe('wu-sms-destination');
      await page.keyboard.type(phone.slice(3));
      await page.keyboard.press('Enter');
      await expect.poll(() => activeId(page), { timeout: 15_000 }).toBe('wu-sms-code');
      expect(await page.locator('#wu-status').textContent()).toBe(`A code was sent to ${phone.slice(3)}. Enter it below.`);
      await screenshot(page, 'bind-code-sent-en');
      await page.keyboard.type(codes.codeFor(phone));
      await page.keyboard.press('Enter');
      await page.waitForURL((target) => target.pathname === '/by-code');
      expect(await signedInAs(page)).toBe(existing);
      expect(errors).toEqual([]);
    } finally {
      await page.context().close();
    }
  });

  it('expired and error pages render for people (screenshots)', async () => {
    const { page, errors } = await openPage({ width: 1024, height: 640, locale: 'en-US' });
    try {
      await page.goto(`${url}/login/select`);
      expect(await page.locator('h1').textContent()).toBe('This sign-in has expired');
      await screenshot(page, 'expired-en');
      await page.goto(`${url}/login/error?code=login_refused&reason=registration_closed&requestId=req-1`);
      expect(await page.locator('h1').textContent()).toBe('No account for this WeChat');
      await screenshot(page, 'error-registration-closed-en');
      await page.goto(`${url}/login/error?code=${encodeURIComponent('<img src=x onerror=alert(1)>')}`);
      expect(await page.evaluate(() => document.images.length)).toBe(0);
      expect(await page.locator('h1').textContent()).toBe('Sign-in failed');
      await screenshot(page, 'error-unknown-en');
      expect(errors).toEqual([]);
    } finally {
      await page.context().close();
    }
  });
});

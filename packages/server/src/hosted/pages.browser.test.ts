/**
 * The hosted pages in a real browser (Debian's headless Chromium; skipped without it): their
 * script runs under the page's content security policy, the person's clicks and typing go to the
 * pending endpoints, and the browser ends where the flow was going, signed in. A screenshot of
 * each page is saved to test-results/hosted/ for a human to look at.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, LoginWorld, sessionOf, storageModes } from '../login/test-harness.ts';
import { chromiumAvailable, HeadlessChromium } from './headless-chromium.ts';
import { atBindPage, atSelectPage, basePolicy, randomPhone, watchSentCodes } from './pending-flows.ts';

const embedded = storageModes.find((mode) => mode.name === 'embedded');

describe.skipIf(!chromiumAvailable || embedded === undefined || embedded.skip)('hosted pages in headless Chromium', () => {
  let world: LoginWorld;
  let url: string;
  let codes: ReturnType<typeof watchSentCodes>;
  beforeAll(async () => {
    if (embedded === undefined) throw new Error('no embedded storage');
    world = await LoginWorld.start(embedded);
    url = world.first.url;
    codes = watchSentCodes(world.first.app);
  });
  afterAll(async () => {
    await world?.close();
  });

  /** Moves the pending sign-in (its httpOnly cookie) from the test's browser into Chromium. */
  async function handOver(from: Browser, to: HeadlessChromium): Promise<void> {
    const pending = from.cookie(url, 'wu_pending');
    if (pending === undefined) throw new Error('no pending sign-in');
    await to.setCookie(url, 'wu_pending', pending);
  }

  /** Whom Chromium is signed in as, asked with its session cookie. */
  async function signedInAs(chromium: HeadlessChromium): Promise<unknown> {
    const session = await chromium.cookie(url, 'wu_session');
    if (session === undefined) return null;
    const browser = new Browser();
    browser.setCookie(url, 'wu_session', session);
    return (await sessionOf(browser, world.first))?.sub ?? null;
  }

  it('select page, by keyboard: Tab to an account, Enter signs in as it and goes on to returnTo', async () => {
    await world.configure('demo-mini-program', { policy: { ...basePolicy, fieldMatching: ['phone'] } });
    const chromium = await HeadlessChromium.launch({ width: 1024, height: 760, language: 'en-US' });
    try {
      const { browser, byPhone, byUnionid } = await atSelectPage(world, '/picked');
      await handOver(browser, chromium);
      await chromium.open(`${url}/login/select`);
      expect(await chromium.evaluate('document.querySelectorAll("[data-select]").length')).toBe(2);
      await chromium.screenshot('select-en');
      // Keyboard only: the first Tab reaches the first account, Enter chooses it.
      await chromium.press('Tab');
      const chosen = await chromium.evaluate('document.activeElement.dataset.select');
      expect([byPhone, byUnionid]).toContain(chosen);
      await chromium.press('Enter');
      await chromium.waitFor('location.pathname === "/picked"');
      expect(await signedInAs(chromium)).toBe(chosen);
      expect(chromium.exceptions).toEqual([]);
    } finally {
      await chromium.close();
      await world.configure('demo-mini-program', { policy: basePolicy });
    }
  });

  it('bind page on a phone-sized screen, in Chinese: a wrong password is explained with the tries left, the right one links', async () => {
    const phone = randomPhone();
    const existing = await world.existingUser(phone, 'correct horse battery');
    const browser = await atBindPage(world, { queryBinding: 'offer', bindingMethods: ['password', 'sms'] }, '/bound');
    const chromium = await HeadlessChromium.launch({ width: 390, height: 844, language: 'zh-CN' });
    try {
      await handOver(browser, chromium);
      await chromium.open(`${url}/login/bind`);
      await chromium.screenshot('bind-zh');
      const answer = (password: string) => `(() => {
        const form = document.querySelector('form[data-password]');
        form.elements.namedItem('login').value = ${JSON.stringify(phone.slice(3))};
        form.elements.namedItem('password').value = ${JSON.stringify(password)};
        form.requestSubmit();
      })()`;
      // The mainland number is typed without +86; the page adds it.
      await chromium.evaluate(answer('nope'));
      // Shown beside the password form, which keeps the focus for the next try.
      const alert = await chromium.waitFor(`document.querySelector('form[data-password] + [data-alert]').textContent`);
      expect(alert).toBe('没有与这些信息匹配的账号。（还可尝试 4 次）');
      expect(await chromium.evaluate('document.activeElement.id')).toBe('wu-password');
      await chromium.screenshot('bind-wrong-password-zh');
      expect(await signedInAs(chromium)).toBeNull();

      await chromium.evaluate(answer('correct horse battery'));
      await chromium.waitFor('location.pathname === "/bound"');
      expect(await signedInAs(chromium)).toBe(existing);
      expect(chromium.exceptions).toEqual([]);
    } finally {
      await chromium.close();
    }
  });

  it('bind page, SMS code by keyboard: the number typed without +86, Enter sends the code, the code typed and Enter links', async () => {
    const phone = randomPhone();
    const existing = await world.existingUser(phone, 'unused password 2');
    const browser = await atBindPage(world, { queryBinding: 'require', bindingMethods: ['sms'] }, '/by-code');
    const chromium = await HeadlessChromium.launch({ width: 1024, height: 760, language: 'en-US' });
    try {
      await handOver(browser, chromium);
      await chromium.open(`${url}/login/bind`);
      await chromium.press('Tab');
      expect(await chromium.evaluate('document.activeElement.id')).toBe('wu-sms-destination');
      await chromium.type(phone.slice(3));
      await chromium.press('Enter');
      await chromium.waitFor(`document.activeElement.id === 'wu-sms-code'`);
      expect(await chromium.evaluate(`document.getElementById('wu-status').textContent`)).toBe(
        `A code was sent to ${phone.slice(3)}. Enter it below.`,
      );
      await chromium.screenshot('bind-code-sent-en');
      await chromium.type(codes.codeFor(phone));
      await chromium.press('Enter');
      await chromium.waitFor('location.pathname === "/by-code"');
      expect(await signedInAs(chromium)).toBe(existing);
      expect(chromium.exceptions).toEqual([]);
    } finally {
      await chromium.close();
    }
  });

  it('expired and error pages render for people (screenshots)', async () => {
    const chromium = await HeadlessChromium.launch({ width: 1024, height: 640, language: 'en-US' });
    try {
      await chromium.open(`${url}/login/select`);
      expect(await chromium.evaluate('document.querySelector("h1").textContent')).toBe('This sign-in has expired');
      await chromium.screenshot('expired-en');
      await chromium.open(`${url}/login/error?code=login_refused&reason=registration_closed&requestId=req-1`);
      expect(await chromium.evaluate('document.querySelector("h1").textContent')).toBe('No account for this WeChat');
      await chromium.screenshot('error-registration-closed-en');
      await chromium.open(`${url}/login/error?code=${encodeURIComponent('<img src=x onerror=alert(1)>')}`);
      expect(await chromium.evaluate('document.images.length')).toBe(0);
      expect(await chromium.evaluate('document.querySelector("h1").textContent')).toBe('Sign-in failed');
      await chromium.screenshot('error-unknown-en');
      expect(chromium.exceptions).toEqual([]);
    } finally {
      await chromium.close();
    }
  });
});

/**
 * The application form's login page preview, in a real browser: the server renders it from the
 * same template as `/login` (POST /api/v1/applications/login-preview), the console shows it in a
 * sandboxed frame under its own content security policy (no CSP refusal, the page's stylesheet
 * loads), and it follows the form — name, colour, agreement links and the "I agree" switch,
 * language and device — before anything is saved. Screenshots go to test-results/console/.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumPath } from './browser.ts';
import { consoleSnapshot, setUpConsoleWorld, signIn } from './console.ts';

describe.skipIf(chromiumPath === undefined)('console: the hosted login page preview', () => {
  const world = setUpConsoleWorld();

  const frame = (page: Page) => page.frameLocator('iframe.preview-frame');
  /** The preview follows the form a moment after typing stops, through the server: allow for a loaded machine. */
  const POLL = { timeout: 15_000 };

  it('renders the real page’s markup and stylesheet for the unsaved form, in both languages and on each device', async () => {
    const page = await world().newPage();
    await signIn(page, world());
    await page.goto(`${world().url}/console/applications/new`);
    await page.getByLabel('Name', { exact: true }).fill('Lin’s Shop');
    await page.getByLabel('Accent colour', { exact: true }).fill('#d6336c');
    await page.getByLabel('User agreement URL').fill('https://shop.example/terms');
    await page.getByLabel('Privacy policy URL').fill('https://shop.example/privacy');
    await page.getByRole('checkbox', { name: 'Require “I agree” before logging in' }).check();

    // The default is Chinese on a computer: WeChat's QR first, held back until “I agree”.
    await expect.poll(() => frame(page).locator('h1').textContent(), POLL).toBe('登录 Lin’s Shop');
    expect(await frame(page).locator('#wu-primary-title').textContent()).toBe('微信扫码登录');
    expect(await frame(page).getByRole('link', { name: '《用户协议》' }).getAttribute('href')).toBe('https://shop.example/terms');
    expect(await frame(page).locator('#wu-qr-notice').textContent()).toBe('请先勾选下方的同意协议，再显示二维码');
    // The stylesheet arrived (the page background is the login page's, not the browser's white).
    expect(
      await frame(page)
        .locator('body')
        .evaluate((body) => getComputedStyle(body).backgroundColor),
    ).toBe('rgb(242, 243, 245)');
    expect(await page.locator('iframe.preview-frame').getAttribute('sandbox')).toBe('');
    await consoleSnapshot(page, 'preview-1-desktop-zh');

    await page.getByLabel('Preview language').selectOption('en');
    await page.getByLabel('Seen on').selectOption('phone');
    await expect.poll(() => frame(page).locator('h1').textContent(), POLL).toBe('Log in to Lin’s Shop');
    expect(await frame(page).getByRole('link', { name: 'Privacy Policy' }).getAttribute('href')).toBe('https://shop.example/privacy');
    await consoleSnapshot(page, 'preview-2-phone-en');

    // Without the switch, the phone page shows its button: the accent is the colour typed.
    await page.getByRole('checkbox', { name: 'Require “I agree” before logging in' }).uncheck();
    await expect
      .poll(
        () =>
          frame(page)
            .locator('.stand-in')
            .evaluate((button) => getComputedStyle(button).backgroundColor),
        POLL,
      )
      .toBe('rgb(214, 51, 108)');
    await page.getByLabel('Seen on').selectOption('wechat');
    await expect.poll(() => frame(page).getByRole('button', { name: 'Log in with WeChat' }).count(), POLL).toBe(1);
    await consoleSnapshot(page, 'preview-3-wechat-en');
  }, 60_000);
});

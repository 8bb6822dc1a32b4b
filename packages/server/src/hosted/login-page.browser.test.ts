/**
 * The hosted login page in a real browser (Debian's Chromium through playwright-core; skipped
 * without it), against the WeChat sandbox: on a PC WeChat's embedded QR (WxLogin) is drawn inline
 * and a scan signs in; an application's "I agree" box holds every code back until ticked; a phone
 * browser outside WeChat opens the mini program by link, the virtual phone confirms, and the
 * browser lands signed in (on every storage mode: the ticket is shared state); the WeChat browser
 * gets S4 first. Each variant (zh-CN and en, PC, phone, WeChat) is screenshot to
 * test-results/hosted/ and checked with axe-core (WCAG 2.1 A/AA).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type Browser as Chromium, type Page, chromium as playwright } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Browser, LoginWorld, sessionOf, storageModes } from '../login/test-harness.ts';
import { applicationInputSchema, createApplication } from '../oidc/applications.ts';
import { oidcDb } from '../oidc/tables.ts';
import { chromiumPath, launchChromium } from '../testing/chromium.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../../../test-results/hosted');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1';
const WECHAT = `${IPHONE} MicroMessenger/8.0.50(0x1800323c) NetType/WIFI Language/zh_CN`;
const violationsSchema = z.array(z.object({ id: z.string(), nodes: z.array(z.string()) }));

async function startWorld(mode: (typeof storageModes)[number]): Promise<LoginWorld> {
  const world = await LoginWorld.start(mode);
  await createApplication(
    oidcDb(world.database.db),
    world.first.app.ctx.secrets,
    applicationInputSchema.parse({
      id: 'agree-shop',
      name: 'Agree 商城',
      type: 'web',
      redirectUris: ['https://agree.example/cb'],
      scenarios: ['s1', 's2', 's3', 's4'],
      branding: {
        primaryColor: '#1a5fb4',
        termsUrl: 'https://agree.example/terms',
        privacyUrl: 'https://agree.example/privacy',
        requireAgreement: true,
      },
    }),
  );
  return world;
}

for (const mode of storageModes) {
  describe.skipIf(chromiumPath === undefined || mode.skip)(`hosted login page in Chromium: ${mode.name}`, () => {
    let world: LoginWorld;
    let url: string;
    let chromium: Chromium;
    let phoneBrowser: Chromium;
    beforeAll(async () => {
      world = await startWorld(mode);
      url = world.first.url;
      chromium = await launchChromium();
      // The virtual phone's sample mini program calls weunion as wx.request does: without CORS (a
      // mini program is no web page). In a browser page on the sandbox's origin that takes a
      // browser without same-origin checks — for the phone only; the login page runs in a normal one.
      phoneBrowser = await playwright.launch({
        executablePath: chromiumPath,
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-web-security'],
      });
    });
    afterAll(async () => {
      await phoneBrowser?.close();
      await chromium?.close();
      await world?.close();
    });

    /** A fresh page of that size, language and user agent; `errors` collects uncaught exceptions (a CSP-blocked script among them). */
    async function openPage(options: { width: number; height: number; locale: string; userAgent?: string }) {
      const context = await chromium.newContext({
        viewport: { width: options.width, height: options.height },
        locale: options.locale,
        ...(options.userAgent === undefined ? {} : { userAgent: options.userAgent, isMobile: true, hasTouch: true }),
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) errors.push(message.text());
      });
      return { page, errors };
    }

    async function screenshot(page: Page, name: string): Promise<void> {
      if (mode.name !== 'embedded') return;
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
    }

    /** axe-core's WCAG 2.1 A/AA violations on the page (injected through DevTools: the page's CSP admits no inline script). */
    async function axeViolations(page: Page) {
      await page.evaluate(AXE_SOURCE);
      const found = await page.evaluate(async () => {
        const axe = (
          window as unknown as {
            axe: {
              run: (context: Document, options: unknown) => Promise<{ violations: { id: string; nodes: { target: unknown[] }[] }[] }>;
            };
          }
        ).axe;
        const results = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
        return results.violations.map((violation) => ({
          id: violation.id,
          nodes: violation.nodes.map((node) => node.target.map(String).join(' ')),
        }));
      });
      return violationsSchema.parse(found);
    }

    async function signedInAs(page: Page): Promise<unknown> {
      const session = (await page.context().cookies(url)).find((cookie) => cookie.name === 'wu_session');
      if (session === undefined) return null;
      const browser = new Browser();
      browser.setCookie(url, 'wu_session', session.value);
      return (await sessionOf(browser, world.first))?.sub ?? null;
    }

    it('phone browser outside WeChat: Open in WeChat → the virtual phone opens the link → confirm with phone → signed in on returnTo', async () => {
      const person = await world.person('Mei');
      const { page, errors } = await openPage({ width: 390, height: 844, locale: 'zh-CN', userAgent: IPHONE });
      const phone = await (await phoneBrowser.newContext({ viewport: { width: 420, height: 900 } })).newPage();
      try {
        await page.goto(`${url}/login?returnTo=${encodeURIComponent('/phone-done')}`);
        const open = page.locator('weunion-login').getByRole('link', { name: '在微信中打开' });
        await open.waitFor();
        const link = (await open.getAttribute('href')) ?? '';
        expect(link).toMatch(/^weixin:\/\/dl\/business\/\?t=/);
        await screenshot(page, 'login-phone-zh');
        expect(await axeViolations(page)).toEqual([]);

        // The virtual phone, as this person, opens the link: the sample mini program's login page.
        await phone.goto(`${world.sandboxUrl}/phone`);
        await phone.evaluate((id) => localStorage.setItem('sandbox_person', id), person);
        await phone.goto(`${world.sandboxUrl}/phone?scan=${encodeURIComponent(link)}`);
        await phone.getByRole('button', { name: '手机号快捷登录 · Confirm with phone number' }).click();
        await phone.getByText('✓ 已登录 Logged in').waitFor();

        await page.waitForURL((target) => target.pathname === '/phone-done');
        const who = await signedInAs(page);
        expect(who).toMatch(/^usr_/);
        expect(errors).toEqual([]);
      } finally {
        await phone.context().close();
        await page.context().close();
      }
    });

    it.skipIf(mode.name !== 'embedded')('PC, zh-CN: WeChat’s QR is inline; a scan on the phone signs the browser in', async () => {
      const person = await world.person('Hao');
      const { page, errors } = await openPage({ width: 1280, height: 900, locale: 'zh-CN' });
      try {
        await page.goto(`${url}/login?returnTo=${encodeURIComponent('/pc-done')}`);
        expect(await page.getByRole('heading', { level: 2, name: '微信扫码登录' }).count()).toBe(1);
        const frame = page.frameLocator('#wu-primary iframe');
        const content = (await frame.locator('#qr').getAttribute('data-content')) ?? '';
        expect(content).toContain('/connect/confirm?uuid=');
        expect(await page.locator('#wu-primary iframe').getAttribute('title')).toBe('微信登录二维码');
        await screenshot(page, 'login-desktop-zh');
        expect(await axeViolations(page)).toEqual([]);
        // The other ways, by what the person does.
        for (const name of ['关注公众号登录', '小程序扫码登录（可授权手机号）'])
          expect(await page.getByRole('button', { name }).count()).toBe(1);

        await world.sandbox('POST', '/actions/scan', { personId: person, content });
        await world.approve(person, content);
        await page.waitForURL((target) => target.pathname === '/pc-done');
        expect(await signedInAs(page)).toMatch(/^usr_/);
        expect(errors).toEqual([]);
      } finally {
        await page.context().close();
      }
    });

    it.skipIf(mode.name !== 'embedded')(
      'PC, en, an application requiring “I agree”: no code until ticked; then the QR, and other ways show theirs',
      async () => {
        const { page, errors } = await openPage({ width: 1366, height: 900, locale: 'en-US' });
        try {
          await page.goto(`${url}/login?client=agree-shop&returnTo=${encodeURIComponent('/agreed')}`);
          expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Log in to Agree 商城');
          expect(await page.getByRole('link', { name: 'User Agreement' }).getAttribute('href')).toBe('https://agree.example/terms');
          expect(await page.getByRole('link', { name: 'Privacy Policy' }).getAttribute('href')).toBe('https://agree.example/privacy');
          await screenshot(page, 'login-desktop-en-agreement');
          expect(await axeViolations(page)).toEqual([]);
          // Nothing asked of WeChat yet: no frame, and another way is refused with a reason.
          expect(await page.locator('#wu-primary iframe').count()).toBe(0);
          await page.getByRole('button', { name: 'Follow the official account to log in' }).click();
          expect(await page.locator('#wu-status').textContent()).toBe('Tick “I agree” below to show the QR code.');
          expect(await page.locator('weunion-login').count()).toBe(0);

          await page.getByLabel(/I have read and agree/).check();
          await page.locator('#wu-primary iframe').waitFor();
          await page.getByRole('button', { name: 'Follow the official account to log in' }).click();
          await page.locator('#wu-other weunion-login img.qr:not(.dim)').waitFor();
          await screenshot(page, 'login-desktop-en-agreed');
          expect(await axeViolations(page)).toEqual([]);
          expect(errors).toEqual([]);
        } finally {
          await page.context().close();
        }
      },
    );

    it.skipIf(mode.name !== 'embedded')(
      'phone, en, and an application requiring “I agree”: the link is asked for only once ticked',
      async () => {
        const { page, errors } = await openPage({ width: 390, height: 844, locale: 'en-US', userAgent: IPHONE });
        try {
          await page.goto(`${url}/login?client=agree-shop`);
          expect(await page.locator('weunion-login').count()).toBe(0);
          await screenshot(page, 'login-phone-en-agreement');
          expect(await axeViolations(page)).toEqual([]);
          await page.getByLabel(/I have read and agree/).check();
          await page.locator('weunion-login').getByRole('link', { name: 'Open in WeChat' }).waitFor();
          await screenshot(page, 'login-phone-en');
          expect(errors).toEqual([]);
        } finally {
          await page.context().close();
        }
      },
    );

    it.skipIf(mode.name !== 'embedded')(
      'WeChat browser, zh-CN and en: S4 first; the form cannot be sent unticked, and ticked it goes to WeChat',
      async () => {
        for (const locale of ['zh-CN', 'en-US']) {
          const { page, errors } = await openPage({ width: 390, height: 844, locale, userAgent: WECHAT });
          try {
            await page.goto(`${url}/login?client=agree-shop&returnTo=${encodeURIComponent('/in-wechat')}`);
            const button = page.getByRole('button', { name: locale === 'en-US' ? 'Log in with WeChat' : '微信一键登录' });
            await screenshot(page, `login-wechat-${locale === 'en-US' ? 'en' : 'zh'}`);
            expect(await axeViolations(page)).toEqual([]);
            await button.click();
            // The browser's own validation holds the form: still here.
            expect(new URL(page.url()).pathname).toBe('/login');
            await page.locator('#wu-agree').check();
            await Promise.all([page.waitForURL((target) => target.pathname.endsWith('/connect/oauth2/authorize')), button.click()]);
            expect(errors).toEqual([]);
          } finally {
            await page.context().close();
          }
        }
      },
    );
  });
}

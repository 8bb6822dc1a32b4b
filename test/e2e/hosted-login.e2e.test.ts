/**
 * End to end, in a real browser (Debian's Chromium through playwright-core), against weunion as
 * `npm start` runs it (embedded storage, the WeChat sandbox mounted at /sandbox): the hosted login
 * page shows WeChat's QR inline (S2) or, as another way, a QR of ours (S1, S3), the virtual phone
 * scans and confirms, and the PC browser ends up logged in. Screenshots of every step go to test-results/e2e/.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../packages/server/src/config/index.ts';
import { type RunningService, startService } from '../../packages/server/src/service.ts';
import { freePort } from '../../packages/server/src/testing/free-port.ts';
import { chromiumPath, launchChromium, snapshot } from './browser.ts';

async function startWeunion(env: Record<string, string> = {}): Promise<{ service: RunningService; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'weunion-e2e-'));
  const config = loadConfig({ PUBLIC_URL: url, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir, ...env });
  const service = await startService(config, { logger: pino({ level: 'silent' }) });
  return { service, url };
}

describe.skipIf(chromiumPath === undefined)('hosted login page in a real browser', () => {
  let browser: Browser;
  let weunion: { service: RunningService; url: string };
  const control = async (method: string, route: string, body?: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${weunion.url}/sandbox/_sandbox${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`sandbox ${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const newPerson = async (nickname: string) =>
    String((await control('POST', '/people', { nickname, phone: `+86137${Date.now() % 1e8}` })).id);
  /** The QR the widget shows, as image bytes fetched by the page (its cookies bind S3 codes to it). */
  const qrImage = (page: Page): Promise<string> => pageImage(page, 'weunion-login img.qr:not(.dim)');
  const pageImage = async (page: Page, selector: string): Promise<string> => {
    const img = page.locator(selector).first();
    await img.waitFor();
    const src = new URL((await img.getAttribute('src')) ?? '', page.url()).href;
    return page.evaluate(async (url) => {
      const bytes = new Uint8Array(await (await fetch(url, { credentials: 'include' })).arrayBuffer());
      let binary = '';
      for (const byte of bytes) binary += String.fromCharCode(byte);
      return btoa(binary);
    }, src);
  };

  beforeAll(async () => {
    browser = await launchChromium();
    weunion = await startWeunion();
  });
  afterAll(async () => {
    await browser?.close();
    await weunion?.service.close();
  });

  it('S1: the person scans the official account QR on their phone and the PC is logged in', async () => {
    const person = await newPerson('Fay 菲');
    const context = await browser.newContext({ locale: 'zh-CN' });
    const page = await context.newPage();
    await page.goto(`${weunion.url}/login?returnTo=/api/session`);
    await page.getByRole('button', { name: '关注公众号登录' }).click();
    const image = await qrImage(page);
    await snapshot(page, 's1-1-qr');
    const scanned = await control('POST', '/actions/scan', { personId: person, imageBase64: image });
    expect(scanned.kind).toBe('official_account_qr');
    await page.waitForURL(`${weunion.url}/api/session`);
    // Official accounts no longer hand out nicknames (since 2021-12-27): the session says how.
    expect(await page.textContent('body')).toContain('"methods":["s1"]');
    await snapshot(page, 's1-2-logged-in');
    await context.close();
  });

  it('S2: WeChat website QR — the phone approves, the PC comes back logged in', async () => {
    const person = await newPerson('Gus');
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${weunion.url}/login?returnTo=/api/session`);
    // WeChat's website QR is the page's first way, drawn inline by WeChat's wxLogin.js (WxLogin).
    const qr = page.frameLocator('#wu-primary iframe').locator('#qr');
    await qr.waitFor();
    await snapshot(page, 's2-1-inline-wechat-qr');
    // The phone scans the QR in WeChat's frame and confirms; that frame then moves the PC on.
    // The phone's camera: a picture of the QR as it is drawn on the screen.
    const shown = (await qr.screenshot()).toString('base64');
    const scanned = await control('POST', '/actions/scan', { personId: person, imageBase64: shown });
    expect(scanned.kind).toBe('website_login');
    const answer = await control('POST', '/actions/authorize', { personId: person, url: scanned.content, decision: 'allow' });
    expect(answer.redirect).toEqual(expect.any(String));
    await page.waitForURL(`${weunion.url}/api/session`, { timeout: 15_000 });
    expect(await page.textContent('body')).toContain('Gus');
    await snapshot(page, 's2-3-logged-in');
    await context.close();
  });

  it('S3: the virtual phone scans the mini program code and confirms in the sample mini program', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${weunion.url}/login?returnTo=/api/session`);
    await page.getByRole('button', { name: 'Scan with the mini program (can share your phone number)' }).click();
    const image = await qrImage(page);
    await snapshot(page, 's3-1-mini-program-code');
    // The virtual phone: open the code's content there, as a person scanning it would.
    const decoded = await control('POST', '/actions/scan', { personId: 'p_carol', imageBase64: image });
    expect(decoded.kind).toBe('mini_program_code');
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 420, height: 900 });
    await phone.goto(`${weunion.url}/sandbox/phone`);
    await phone.locator('#person option[value="p_carol"]').waitFor({ state: 'attached' });
    await phone.selectOption('#person', 'p_carol');
    await phone.fill('#content', String(decoded.content));
    await phone.getByRole('button', { name: /Scan/ }).first().click();
    const confirm = phone.getByRole('button', { name: /Confirm/ }).first();
    await confirm.waitFor();
    await expect.poll(() => page.locator('weunion-login .status').textContent()).toContain('Scanned');
    await snapshot(page, 's3-2-scanned');
    await snapshot(phone, 's3-3-phone-confirm');
    await confirm.click();
    await page.waitForURL(`${weunion.url}/api/session`, { timeout: 15_000 });
    // A mini program login carries no nickname (WeChat gives none); the session says how it happened.
    expect(await page.textContent('body')).toContain('"methods":["s3"]');
    await snapshot(page, 's3-4-logged-in');
    await context.close();
  });
});

describe.skipIf(chromiumPath === undefined)('app logins from the virtual phone', () => {
  it('the sample mini program (S5) and the sample app (S6) log the same person in as one account', async () => {
    const weunion = await startWeunion();
    const browser = await launchChromium();
    try {
      const phone = await browser.newPage({ locale: 'en-US', viewport: { width: 420, height: 900 } });
      await phone.goto(`${weunion.url}/sandbox/phone`);
      await phone.locator('#person option[value="p_bob"]').waitFor({ state: 'attached' });
      await phone.selectOption('#person', 'p_bob');
      const subjectOf = async (resultSelector: string): Promise<string> => {
        const text = (await phone.locator(`${resultSelector} pre`).textContent({ timeout: 10_000 })) ?? '';
        const answer = JSON.parse(text) as { outcome: string; tokens?: { id_token?: string } };
        expect(answer.outcome).toBe('signed_in');
        const token = answer.tokens?.id_token ?? '';
        const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub: string };
        return payload.sub;
      };
      await phone.getByRole('button', { name: /Sample mini program: log in/ }).click();
      await expect.poll(() => phone.locator('#mpLoginResult').textContent()).toContain('/api/mp/login');
      const s5 = await subjectOf('#mpLoginResult');
      await snapshot(phone, 's5-phone-login');
      await phone.getByRole('button', { name: /Sample app: log in \(S6\)/ }).click();
      await expect.poll(() => phone.locator('#appLoginResult').textContent()).toContain('/api/app/login');
      const s6 = await subjectOf('#appLoginResult');
      await snapshot(phone, 's6-phone-login');
      expect(s5).toMatch(/^usr/);
      expect(s6).toBe(s5);
    } finally {
      await browser.close();
      await weunion.service.close();
    }
  }, 40_000);
});

describe.skipIf(chromiumPath === undefined)('S4 from the virtual phone', () => {
  it('opening the S4 login "in WeChat" as the phone’s person logs them in after consent', async () => {
    const weunion = await startWeunion();
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ locale: 'en-US' });
      const phone = await context.newPage();
      await phone.goto(`${weunion.url}/sandbox/phone`);
      await phone.locator('#person option[value="p_bob"]').waitFor({ state: 'attached' });
      await phone.selectOption('#person', 'p_bob');
      await phone.fill('#browseUrl', `${weunion.url}/login/s4?returnTo=/api/session`);
      const [wechatBrowser] = await Promise.all([context.waitForEvent('page'), phone.getByRole('button', { name: /Open/ }).click()]);
      await wechatBrowser.setViewportSize({ width: 420, height: 800 });
      // A new person: the silent round finds nobody, so WeChat asks for consent (snsapi_userinfo).
      const allow = wechatBrowser.getByRole('button', { name: /Allow|允许|同意/ }).first();
      await allow.waitFor({ timeout: 10_000 });
      await snapshot(wechatBrowser, 's4-1-consent');
      await allow.click();
      await wechatBrowser.waitForURL(`${weunion.url}/api/session`, { timeout: 10_000 });
      expect(await wechatBrowser.textContent('body')).toContain('"methods":["s4"]');
      await snapshot(wechatBrowser, 's4-2-logged-in');
    } finally {
      await browser.close();
      await weunion.service.close();
    }
  }, 40_000);
});

describe.skipIf(chromiumPath === undefined)('an expired QR in a real browser', () => {
  it('shows that it expired and gives a new code on request', async () => {
    const weunion = await startWeunion({ QR_TTL_SECONDS: '10' });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ locale: 'en-US' });
      await page.goto(`${weunion.url}/login?returnTo=/api/session`);
      await page.getByRole('button', { name: 'Follow the official account to log in' }).click();
      const first = await page.locator('weunion-login img.qr:not(.dim)').getAttribute('src');
      const refresh = page.getByRole('button', { name: 'Get a new QR code' });
      await refresh.waitFor({ timeout: 20_000 });
      expect(await page.locator('weunion-login .status').textContent()).toContain('expired');
      await snapshot(page, 'expiry-1-expired');
      await refresh.click();
      await page.locator('weunion-login img.qr:not(.dim)').waitFor();
      expect(await page.locator('weunion-login img.qr').getAttribute('src')).not.toBe(first);
      await snapshot(page, 'expiry-2-new-code');
    } finally {
      await browser.close();
      await weunion.service.close();
    }
  }, 40_000);
});

/**
 * `<weunion-login auto-refresh>` in Chromium: an expired QR is renewed by itself only so many times
 * in a row (every official-account QR spends the account's daily WeChat quota, and an abandoned
 * tab must not spend it all day); then the person gets the "Get a new QR code" button, and pressing
 * it starts the count again. QRs live 10 s here (the shortest QR_TTL_SECONDS allows).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../packages/server/src/config/index.ts';
import { type RunningService, startService } from '../../packages/server/src/service.ts';
import { freePort } from '../../packages/server/src/testing/free-port.ts';
import { chromiumPath, launchChromium } from './browser.ts';

describe.skipIf(chromiumPath === undefined)('<weunion-login auto-refresh>', () => {
  let browser: Browser;
  let service: RunningService;
  let weunionUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    weunionUrl = `http://127.0.0.1:${port}`;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'weunion-e2e-'));
    const config = loadConfig({ PUBLIC_URL: weunionUrl, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir, QR_TTL_SECONDS: '10' });
    [service, browser] = await Promise.all([startService(config, { logger: pino({ level: 'silent' }) }), launchChromium()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it('renews an expired QR at most as many times as it says, then waits for the person', async () => {
    const page = await browser.newPage();
    const tickets: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/login/s1') tickets.push(request.url());
    });
    // weunion's hosted login page defines <weunion-login>; the page's content gives way to one element.
    await page.goto(`${weunionUrl}/login?returnTo=/done`);
    await page.waitForFunction(() => customElements.get('weunion-login') !== undefined);
    tickets.length = 0;
    await page.evaluate(() => {
      const element = document.createElement('weunion-login');
      element.setAttribute('methods', 's1');
      element.setAttribute('lang', 'en');
      element.setAttribute('auto-refresh', '2');
      document.body.replaceChildren(element);
    });
    const renew = page.locator('weunion-login button', { hasText: 'Get a new QR code' });
    // The first QR and two renewals, then the button (three QRs of 10 s each).
    await renew.waitFor({ timeout: 60_000 });
    expect(tickets).toHaveLength(3);
    // Nothing more by itself while the button waits…
    await page.waitForTimeout(11_000);
    expect(tickets).toHaveLength(3);
    // …and the person's press starts over: a new QR, and renewals again.
    await renew.click();
    await page.locator('weunion-login img.qr:not(.dim)').waitFor();
    expect(tickets).toHaveLength(4);
    await page.close();
  }, 120_000);
});

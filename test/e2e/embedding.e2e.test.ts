/**
 * Embedding weunion's login on the customer's own site, in Chromium, against weunion as
 * `npm start` runs it (the WeChat sandbox and its virtual phone mounted at /sandbox). The "shop" is
 * a page served on another port, whose origin an application registered (through one of its
 * redirect URIs). It:
 * - embeds `<weunion-login>` loaded from weunion's /assets, logs in through S1 and through S3
 *   (the virtual phone scans and confirms in the sample mini program) and lands on its own page,
 *   which then reads the weunion session with CORS;
 * - does the same with `@weunion/sdk-browser` (its sources, types stripped, served by the shop);
 * - from an origin nobody registered, is refused: the widget says so, the SDK gets a network error,
 *   and weunion answers that origin 403 with a problem naming what to register.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { stripTypeScriptTypes } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminKey } from '../../packages/server/src/admin-keys/store.ts';
import { loadConfig } from '../../packages/server/src/config/index.ts';
import { SYSTEM_ACTOR } from '../../packages/server/src/identity/audit.ts';
import { type RunningService, startService } from '../../packages/server/src/service.ts';
import { freePort } from '../../packages/server/src/testing/free-port.ts';
import { chromiumPath, launchChromium, snapshot } from './browser.ts';

const SDK_SOURCES = path.resolve(import.meta.dirname, '../../packages/sdk-browser/src');
const sdk = new Map(
  readdirSync(SDK_SOURCES)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => [name, stripTypeScriptTypes(readFileSync(path.join(SDK_SOURCES, name), 'utf8'), { mode: 'strip' })]),
);

/** The customer's site: a widget page, an SDK page, the page a login lands on, and the SDK's files. */
function shopPages(weunionUrl: string, shopUrl: () => string) {
  return (url: string): { type: string; body: string } | null => {
    const { pathname, searchParams } = new URL(url, 'http://shop');
    const landed = `${shopUrl()}/landed`;
    if (pathname === '/widget')
      return {
        type: 'text/html',
        body: `<!doctype html><html lang="en"><body><h1>Shop</h1>
<weunion-login methods="s1 s3" client="shop" return-to="${landed}"></weunion-login>
<script type="module" src="${weunionUrl}/assets/weunion-login.js"></script></body></html>`,
      };
    if (pathname === '/sdk-page')
      return {
        type: 'text/html',
        body: `<!doctype html><html lang="en"><body><h1>Shop (SDK)</h1><div id="qr"></div><p id="state">starting</p>
<script type="module">
  import { createWeunion } from '/sdk/index.ts';
  const weunion = createWeunion({ baseUrl: ${JSON.stringify(weunionUrl)} });
  const state = document.getElementById('state');
  try {
    const login = await weunion.startQrLogin(${JSON.stringify(searchParams.get('scenario') ?? 's1')}, { returnTo: ${JSON.stringify(landed)}, client: 'shop' });
    login.render(document.getElementById('qr'));
    window.login = { ticketId: login.ticketId, qrImageUrl: login.qrImageUrl };
    login.on('scanned', () => (state.textContent = 'scanned'));
    login.on('error', (e) => (state.textContent = 'error ' + e.code));
    login.on('confirmed', async () => {
      const result = await login.redeem();
      location.assign(result.status === 'signed_in' ? result.returnTo : result.next);
    });
    state.textContent = 'waiting';
  } catch (error) {
    state.textContent = 'error ' + error.code;
  }
</script></body></html>`,
      };
    if (pathname === '/landed')
      return {
        type: 'text/html',
        body: `<!doctype html><html lang="en"><body><h1>Welcome back to the shop</h1><pre id="me">…</pre>
<script type="module">
  const response = await fetch(${JSON.stringify(`${weunionUrl}/api/session`)}, { credentials: 'include' });
  document.getElementById('me').textContent = JSON.stringify(await response.json());
</script></body></html>`,
      };
    const file = pathname.startsWith('/sdk/') ? sdk.get(pathname.slice('/sdk/'.length)) : undefined;
    return file === undefined ? null : { type: 'text/javascript', body: file };
  };
}

async function serveSite(pages: (url: string) => { type: string; body: string } | null): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const page = pages(request.url ?? '/');
    if (page === null) response.writeHead(404).end();
    else response.writeHead(200, { 'content-type': `${page.type}; charset=utf-8` }).end(page.body);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, server };
}

describe.skipIf(chromiumPath === undefined)('embedding the login on another site', () => {
  let browser: Browser;
  let service: RunningService;
  let weunionUrl: string;
  let shop: { url: string; server: Server };
  let stranger: { url: string; server: Server };

  const control = async (method: string, route: string, body?: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${weunionUrl}/sandbox/_sandbox${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`sandbox ${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const newPerson = async (nickname: string) =>
    String((await control('POST', '/people', { nickname, phone: `+86135${String(Date.now() % 1e8).padStart(8, '0')}` })).id);
  /**
   * An image the page shows, as the phone's camera gets it: an S3 code is served only with the
   * ticket's cookie, so the page fetches it (through weunion's CORS); an S1 QR is WeChat's, public.
   */
  const imageSeenBy = async (page: Page, src: string): Promise<string> => {
    if (!src.includes('/api/login/')) return Buffer.from(await (await fetch(src)).arrayBuffer()).toString('base64');
    return page.evaluate(async (url) => {
      const bytes = new Uint8Array(await (await fetch(url, { credentials: 'include' })).arrayBuffer());
      let binary = '';
      for (const byte of bytes) binary += String.fromCharCode(byte);
      return btoa(binary);
    }, src);
  };
  /** The virtual phone scans `content` as `personId` and confirms in the sample mini program. */
  const confirmOnPhone = async (phone: Page, personId: string, content: string) => {
    await phone.goto(`${weunionUrl}/sandbox/phone`);
    await phone.locator(`#person option[value="${personId}"]`).waitFor({ state: 'attached' });
    await phone.selectOption('#person', personId);
    await phone.fill('#content', content);
    await phone.getByRole('button', { name: /Scan/ }).first().click();
    const confirm = phone.getByRole('button', { name: /Confirm/ }).first();
    await confirm.waitFor();
    await confirm.click();
  };
  const landedSession = async (page: Page) => {
    await page.waitForURL(`${shop.url}/landed`, { timeout: 20_000 });
    await page.waitForFunction(() => document.getElementById('me')?.textContent !== '…');
    return JSON.parse((await page.locator('#me').textContent()) ?? '{}');
  };

  beforeAll(async () => {
    const port = await freePort();
    weunionUrl = `http://127.0.0.1:${port}`;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'weunion-e2e-'));
    const config = loadConfig({ PUBLIC_URL: weunionUrl, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir });
    let shopUrl = '';
    [service, browser, shop, stranger] = await Promise.all([
      startService(config, { logger: pino({ level: 'silent' }) }),
      launchChromium(),
      serveSite(shopPages(weunionUrl, () => shopUrl)),
      serveSite(shopPages(weunionUrl, () => shopUrl)),
    ]);
    shopUrl = shop.url;
    // The shop's application: its redirect URI's origin is the shop's, so the shop may embed the login.
    const { key } = await createAdminKey(service.database.db, 'e2e', SYSTEM_ACTOR);
    const created = await fetch(`${weunionUrl}/api/v1/applications`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'shop', name: 'Shop', type: 'spa', redirectUris: [`${shop.url}/callback`] }),
    });
    expect(created.status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await service?.close();
    shop?.server.close();
    stranger?.server.close();
  });

  it('<weunion-login> from weunion’s /assets on the shop’s page: S1 on the virtual phone, back on the shop, signed in', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${shop.url}/widget`);
    const image = page.locator('weunion-login img.qr:not(.dim)');
    await image.waitFor();
    await snapshot(page, 'embed-1-widget-on-shop');
    const src = new URL((await image.getAttribute('src')) ?? '', weunionUrl).href;
    const person = await newPerson('Ada');
    const scanned = await control('POST', '/actions/scan', { personId: person, imageBase64: await imageSeenBy(page, src) });
    expect(scanned.kind).toBe('official_account_qr');
    expect(await landedSession(page)).toMatchObject({ session: { methods: ['s1'] } });
    await snapshot(page, 'embed-2-back-on-shop');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('<weunion-login> on the shop’s page: S3 — the phone scans the mini program code and confirms; back on the shop', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${shop.url}/widget`);
    await page.getByRole('tab', { name: 'Mini program' }).click();
    const image = page.locator('weunion-login img.qr:not(.dim)');
    await image.waitFor();
    const src = new URL((await image.getAttribute('src')) ?? '', weunionUrl).href;
    expect(src).toContain(`${weunionUrl}/api/login/tickets/`);
    const person = await newPerson('Bo');
    const decoded = await control('POST', '/actions/scan', { personId: person, imageBase64: await imageSeenBy(page, src) });
    expect(decoded.kind).toBe('mini_program_code');
    await confirmOnPhone(await context.newPage(), person, String(decoded.content));
    expect(await landedSession(page)).toMatchObject({ session: { methods: ['s3'] } });
    await context.close();
  });

  it('@weunion/sdk-browser on the shop’s page: S1 and S3 followed from the shop, redeemed, back on the shop', async () => {
    for (const scenario of ['s1', 's3'] as const) {
      const context = await browser.newContext({ locale: 'en-US' });
      const page = await context.newPage();
      await page.goto(`${shop.url}/sdk-page?scenario=${scenario}`);
      await page.waitForFunction(() => document.getElementById('state')?.textContent === 'waiting');
      const src = await page.evaluate(() => String(Reflect.get(Reflect.get(window, 'login'), 'qrImageUrl')));
      const person = await newPerson(`Cy ${scenario}`);
      const decoded = await control('POST', '/actions/scan', { personId: person, imageBase64: await imageSeenBy(page, src) });
      if (scenario === 's3') await confirmOnPhone(await context.newPage(), person, String(decoded.content));
      expect(await landedSession(page)).toMatchObject({ session: { methods: [scenario] } });
      await context.close();
    }
  });

  it('an origin nobody registered is refused: the widget says so, the SDK gets a network error, weunion answers 403', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${stranger.url}/widget`);
    const status = page.locator('weunion-login .status.error');
    await status.waitFor();
    expect(await status.textContent()).toContain('registered as a web origin');
    await snapshot(page, 'embed-3-unregistered-origin');
    await page.goto(`${stranger.url}/sdk-page`);
    await page.waitForFunction(() => document.getElementById('state')?.textContent?.startsWith('error') === true);
    expect(await page.locator('#state').textContent()).toBe('error network_error');
    await context.close();

    const refused = await fetch(`${weunionUrl}/api/login/s1`, {
      method: 'POST',
      headers: { origin: stranger.url, 'content-type': 'application/json' },
      body: JSON.stringify({ returnTo: `${stranger.url}/landed` }),
    });
    expect(refused.status).toBe(403);
    expect((await refused.json()).detail).toContain(`${stranger.url} is not a registered web origin`);
    // Nor may a registered page send the person to it afterwards.
    const elsewhere = await fetch(`${weunionUrl}/api/login/s1`, {
      method: 'POST',
      headers: { origin: shop.url, 'content-type': 'application/json' },
      body: JSON.stringify({ returnTo: `${stranger.url}/landed` }),
    });
    expect(elsewhere.status).toBe(400);
  });
});

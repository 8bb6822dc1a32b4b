/**
 * The SDK as a browser gets it: each source file with its types stripped (nothing else: no bundler,
 * no rewriting), served as JavaScript. Its imports must all be its own files; and in Chromium, on
 * a page of the weunion origin, an S1 login runs over SSE to a signed-in session.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchChromium } from '../../../test/e2e/browser.ts';
import { LoginWorld, scan, storageModes } from '../../server/src/login/test-harness.ts';

const SRC = path.resolve(import.meta.dirname, '../src');
const sources = readdirSync(SRC).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'));
const stripped = new Map(
  sources.map((name) => [name, stripTypeScriptTypes(readFileSync(path.join(SRC, name), 'utf8'), { mode: 'strip' })]),
);
const embedded = storageModes.find((m) => m.name === 'embedded');

describe('sdk-browser sources', () => {
  it('strip to JavaScript whose only imports are the package’s own files (no node:, no packages)', () => {
    expect(sources).toContain('index.ts');
    for (const [name, code] of stripped) {
      const specifiers = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)].map((m) => m[1] ?? '');
      for (const specifier of specifiers) {
        expect(specifier, `${name} imports ${specifier}`).toMatch(/^\.\/[a-z-]+\.ts$/);
        expect(sources, `${name} imports ${specifier}`).toContain(specifier.slice(2));
      }
      if (name === 'index.ts') expect(specifiers).toContain('./qr-login.ts');
      expect(code, name).not.toMatch(/\b(?:process|Buffer|require)\b\s*[.(]/);
    }
  });
});

describe.skipIf(chromiumPath === undefined || embedded === undefined || embedded.skip)('sdk-browser in Chromium', () => {
  let world: LoginWorld;
  beforeAll(async () => {
    if (embedded === undefined) throw new Error('no embedded storage');
    world = await LoginWorld.start(embedded);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('an S1 login on a page: QR rendered, followed over SSE, redeemed, session shown', async () => {
    const base = world.first.url;
    const chromium = await launchChromium();
    try {
      const page = await chromium.newPage();
      // The page and the stripped SDK are served from weunion's origin (as an app would host them).
      await page.route(`${base}/sdk/**`, async (route) => {
        const name = new URL(route.request().url()).pathname.slice('/sdk/'.length);
        const code = stripped.get(name);
        if (code === undefined) await route.fulfill({ status: 404 });
        else await route.fulfill({ status: 200, contentType: 'text/javascript', body: code });
      });
      await page.route(`${base}/sdk-page`, (route) =>
        route.fulfill({
          status: 200,
          contentType: 'text/html',
          body: `<!doctype html><div id="qr"></div><p id="state">starting</p>
<script type="module">
  import { createWeunion } from '/sdk/index.ts';
  const weunion = createWeunion({ baseUrl: location.origin });
  const state = document.getElementById('state');
  const login = await weunion.startQrLogin('s1', { returnTo: '/done' });
  login.render(document.getElementById('qr'));
  window.qrContent = login.ticket.qrContent;
  login.on('scanned', () => (state.textContent = 'scanned'));
  login.on('error', (e) => (state.textContent = 'error ' + e.code));
  login.on('confirmed', async () => {
    const result = await login.redeem();
    const me = await weunion.session();
    state.dataset.transport = login.transport;
    state.dataset.sub = me.sub;
    state.textContent = 'signed in, back to ' + result.returnTo;
  });
  state.textContent = 'waiting';
</script>`,
        }),
      );
      await page.goto(`${base}/sdk-page`);
      await page.waitForFunction(() => document.getElementById('state')?.textContent === 'waiting');
      expect(await page.locator('#qr img').getAttribute('src')).toContain('/cgi-bin/showqrcode?ticket=');
      const qrContent = await page.evaluate(() => String(Reflect.get(window, 'qrContent')));

      await scan(world, await world.person('Tess'), qrContent);
      await page.waitForFunction(() => document.getElementById('state')?.textContent?.startsWith('signed in') === true);
      expect(await page.locator('#state').textContent()).toBe('signed in, back to /done');
      expect(await page.locator('#state').getAttribute('data-transport')).toBe('sse');
      expect(await page.locator('#state').getAttribute('data-sub')).toMatch(/^usr/);
    } finally {
      await chromium.close();
    }
  });
});

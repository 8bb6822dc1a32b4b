/**
 * `@weunion/sdk-browser` and `@weunion/login-element` as a web app gets them: the npm tarballs
 * installed in a fresh project outside the monorepo, the app's TypeScript checked against the
 * published declarations, a page importing both bundled by Vite, and the bundle run in Chromium
 * against a running weunion: an S1 QR login followed to a signed-in session.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginWorld, scan, storageModes } from '../../packages/server/src/login/test-harness.ts';
import { chromiumPath, launchChromium } from '../../packages/server/src/testing/chromium.ts';
import { freshProject, packedTarballs, ROOT } from './tarballs.ts';

const embedded = storageModes.find((m) => m.name === 'embedded');

const PAGE = `<!doctype html>
<html><body><div id="qr"></div><p id="state">starting</p><weunion-login id="widget"></weunion-login>
<script type="module" src="./main.ts"></script></body></html>
`;

/** The app's code, in TypeScript so its use of the SDK's types is checked too. */
const MAIN = `import { createWeunion, type QrLogin, WeunionError } from '@weunion/sdk-browser';
import '@weunion/login-element';

const state = document.getElementById('state') as HTMLElement;
const weunion = createWeunion({ baseUrl: location.origin });
state.dataset.element = String(customElements.get('weunion-login') !== undefined);
try {
  const login: QrLogin = await weunion.startQrLogin('s1', { returnTo: '/done' });
  login.render(document.getElementById('qr') as HTMLElement);
  Reflect.set(window, 'qrContent', login.ticket.qrContent);
  login.on('confirmed', async () => {
    const result = await login.redeem();
    const me = await weunion.session();
    state.dataset.sub = me?.sub ?? '';
    state.textContent = 'signed in, back to ' + result.returnTo;
  });
  state.textContent = 'waiting';
} catch (error) {
  state.textContent = error instanceof WeunionError ? 'error ' + error.code : 'error ' + String(error);
}
`;

const TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'es2022',
    module: 'esnext',
    moduleResolution: 'bundler',
    lib: ['es2022', 'dom', 'dom.iterable'],
    types: [],
    strict: true,
    noEmit: true,
  },
  include: ['main.ts'],
});

describe.skipIf(chromiumPath === undefined || embedded === undefined || embedded.skip)('@weunion/sdk-browser from its npm tarball', () => {
  let world: LoginWorld;
  let project: string;

  beforeAll(async () => {
    if (embedded === undefined) throw new Error('no embedded storage');
    const tarballs = await packedTarballs();
    project = freshProject([tarballs['sdk-browser'], tarballs['login-element']], {
      'index.html': PAGE,
      'main.ts': MAIN,
      'tsconfig.json': TSCONFIG,
    });
    world = await LoginWorld.start(embedded);
  });
  afterAll(async () => {
    await world?.close();
    if (project !== undefined) rmSync(project, { recursive: true, force: true });
  });

  it('the app type-checks against the published declarations (no TypeScript sources in the package)', () => {
    const installed = path.join(project, 'node_modules/@weunion/sdk-browser');
    expect(readdirSync(installed).sort()).toEqual(['README.md', 'dist', 'package.json']);
    expect(readdirSync(path.join(installed, 'dist')).filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))).toEqual([]);
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project], { stdio: 'pipe' });
  });

  it('bundled by Vite, it runs in Chromium: an S1 login followed to a signed-in session', async () => {
    const { build } = await import('vite');
    const outDir = path.join(project, 'dist');
    await build({ root: project, configFile: false, logLevel: 'silent', build: { outDir, emptyOutDir: true } });
    const bundle = new Map<string, string>();
    for (const name of readdirSync(path.join(outDir, 'assets')))
      bundle.set(`/app/assets/${name}`, readFileSync(path.join(outDir, 'assets', name), 'utf8'));
    const html = readFileSync(path.join(outDir, 'index.html'), 'utf8').replaceAll('"/assets/', '"/app/assets/');
    expect([...bundle.values()].join('\n')).toContain('startQrLogin');

    const base = world.first.url;
    const chromium = await launchChromium();
    try {
      const page = await chromium.newPage();
      // The bundle is served from weunion's origin, as an app hosted next to it would be.
      await page.route(`${base}/app/**`, async (route) => {
        const pathname = new URL(route.request().url()).pathname;
        if (pathname === '/app/') return route.fulfill({ status: 200, contentType: 'text/html', body: html });
        const code = bundle.get(pathname);
        if (code === undefined) return route.fulfill({ status: 404 });
        return route.fulfill({ status: 200, contentType: 'text/javascript', body: code });
      });
      await page.goto(`${base}/app/`);
      await page.waitForFunction(() => document.getElementById('state')?.textContent !== 'starting');
      expect(await page.locator('#state').textContent()).toBe('waiting');
      expect(await page.locator('#state').getAttribute('data-element')).toBe('true');
      expect(await page.locator('#qr img').getAttribute('src')).toContain('/cgi-bin/showqrcode?ticket=');

      const qrContent = await page.evaluate(() => String(Reflect.get(window, 'qrContent')));
      await scan(world, await world.person('Vita'), qrContent);
      await page.waitForFunction(() => document.getElementById('state')?.textContent?.startsWith('signed in') === true);
      expect(await page.locator('#state').textContent()).toBe('signed in, back to /done');
      expect(await page.locator('#state').getAttribute('data-sub')).toMatch(/^usr/);
    } finally {
      await chromium.close();
    }
  });
});

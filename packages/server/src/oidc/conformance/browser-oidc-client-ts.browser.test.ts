/**
 * A browser relying party nobody here wrote — oidc-client-ts, in Debian's Chromium (skipped
 * without it) — against the real server and the real hosted login (S2, approved on the sandbox
 * phone): sign-in by redirect with PKCE, silent renew in a hidden iframe (`prompt=none`), refresh
 * with the refresh token a first-party single-page application gets for `offline_access`, and
 * RP-initiated logout through the hosted logout page (its button, under its CSP, sends the browser
 * back to the application). After logging out, silent renew answers `login_required`.
 * The single-page application is served from another origin (another port) than weunion.
 * Screenshots of the consent-free flow's pages go to test-results/oidc/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser as Chromium, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { chromiumPath, launchChromium } from '../../testing/chromium.ts';
import { freePort } from '../../testing/free-port.ts';
import { OidcWorld, storageModes } from './harness.ts';

// The library's browser bundle (global `oidc`), beside the package.json its exports do name.
const OIDC_CLIENT_TS = readFileSync(
  path.join(path.dirname(fileURLToPath(import.meta.resolve('oidc-client-ts/package.json'))), 'dist/browser/oidc-client-ts.min.js'),
  'utf8',
);
const ARTIFACTS = path.resolve(import.meta.dirname, '../../../../../test-results/oidc');

/** The application's pages: one UserManager, results on `window` for the test to read. */
function spaPages(issuer: string, origin: string, clientId: string): Record<string, string> {
  const settings = JSON.stringify({
    authority: issuer,
    client_id: clientId,
    redirect_uri: `${origin}/callback.html`,
    silent_redirect_uri: `${origin}/silent.html`,
    post_logout_redirect_uri: `${origin}/index.html`,
    scope: 'openid profile offline_access',
    automaticSilentRenew: false,
    loadUserInfo: true,
    // Keep amr and auth_time in the profile (oidc-client-ts drops protocol claims by default).
    filterProtocolClaims: false,
  });
  const head = `<!doctype html><meta charset="utf-8"><script src="/oidc-client-ts.js"></script><script>window.mgr = new oidc.UserManager(Object.assign(${settings}, { userStore: new oidc.WebStorageStateStore({ store: window.localStorage }) }));</script>`;
  return {
    '/index.html': `${head}<title>Shop</title><h1>Shop</h1>`,
    '/callback.html': `${head}<script>mgr.signinRedirectCallback().then((u) => { window.signedIn = { sub: u.profile.sub, amr: u.profile.amr, refresh: Boolean(u.refresh_token), name: u.profile.nickname }; }, (e) => { window.signedIn = { error: String(e) }; });</script>`,
    '/silent.html': `${head}<script>mgr.signinSilentCallback();</script>`,
    '/oidc-client-ts.js': OIDC_CLIENT_TS,
  };
}

/** What the test calls on the page's UserManager (its real types live in the page's bundle). */
interface SpaWindow {
  mgr: {
    signinRedirect(args?: { prompt?: string }): Promise<void>;
    signoutRedirect(): Promise<void>;
    signinSilent(): Promise<{ access_token: string; profile: { sub: string } }>;
  };
}

const signedInSchema = z
  .object({ sub: z.string(), amr: z.array(z.string()), refresh: z.boolean(), name: z.string().optional() })
  .or(z.object({ error: z.string() }));
const renewedSchema = z.object({ accessToken: z.string(), sub: z.string() }).or(z.object({ error: z.string() }));

const embedded = storageModes.find((mode) => mode.name === 'embedded');

describe.skipIf(chromiumPath === undefined || embedded === undefined || embedded.skip)('oidc-client-ts in Chromium', () => {
  let oidc: OidcWorld;
  let chromium: Chromium;
  let spa: Server;
  let origin: string;

  beforeAll(async () => {
    if (embedded === undefined) throw new Error('no embedded storage');
    oidc = await OidcWorld.start(embedded);
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    await oidc.register({
      id: 'shop-spa',
      name: 'Shop',
      type: 'spa',
      redirectUris: [`${origin}/callback.html`, `${origin}/silent.html`],
      postLogoutRedirectUris: [`${origin}/index.html`],
    });
    await oidc.register({
      id: 'partner-spa',
      name: 'Partner',
      type: 'spa',
      firstParty: false,
      redirectUris: [`${origin}/partner/callback.html`, `${origin}/partner/silent.html`],
      postLogoutRedirectUris: [`${origin}/partner/index.html`],
    });
    const pages: Record<string, string> = { ...spaPages(oidc.issuer, origin, 'shop-spa') };
    for (const [name, page] of Object.entries(spaPages(oidc.issuer, `${origin}/partner`, 'partner-spa'))) pages[`/partner${name}`] = page;
    spa = createServer((request, response) => {
      const page = pages[new URL(request.url ?? '/', origin).pathname];
      if (page === undefined) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': request.url?.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8' }).end(page);
    });
    await new Promise<void>((resolve) => spa.listen(port, '127.0.0.1', resolve));
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await new Promise((resolve) => spa?.close(resolve));
    await oidc?.close();
  });

  async function screenshot(page: Page, name: string): Promise<void> {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  }

  async function renew(page: Page) {
    return renewedSchema.parse(
      await page.evaluate(() =>
        (window as unknown as SpaWindow).mgr.signinSilent().then(
          (u: { access_token: string; profile: { sub: string } }) => ({ accessToken: u.access_token, sub: u.profile.sub }),
          (e: unknown) => ({ error: String(e) }),
        ),
      ),
    );
  }

  it('signs in through the hosted WeChat login, renews silently and by refresh token, and logs out through the hosted page', async () => {
    const context = await chromium.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${origin}/index.html`);

    // Sign-in: oidc-client-ts sends the browser to weunion, which shows its login page.
    await page.evaluate(() => {
      // The page navigates away: do not wait for the promise.
      void (window as unknown as SpaWindow).mgr.signinRedirect();
    });
    await page.waitForURL((url) => url.pathname === '/login');
    await screenshot(page, 'login-page');
    const returnTo = new URL(page.url()).searchParams.get('returnTo') ?? '';
    expect(returnTo).toMatch(/^\/interaction\//);

    // The widget's S2 tab: WeChat's QR page, approved on the sandbox phone, which sends the browser back.
    await page.goto(`${oidc.issuer}/login/s2?${new URLSearchParams({ returnTo, client: 'shop-spa' })}`);
    await page.waitForURL((url) => url.pathname.endsWith('/connect/qrconnect'));
    const person = await oidc.world.person('Chromie');
    // The sandbox answers with where WeChat sends the browser (weunion's S2 callback).
    const back = await oidc.world.approve(person, page.url());
    if (back === null) throw new Error('WeChat sent the browser nowhere');
    await page.goto(back);
    await page.waitForURL((url) => url.href.startsWith(`${origin}/callback.html`));
    await page.waitForFunction(() => 'signedIn' in window);
    const signedIn = signedInSchema.parse(await page.evaluate(() => (window as unknown as { signedIn: unknown }).signedIn));
    if ('error' in signedIn) throw new Error(signedIn.error);
    expect(signedIn.amr).toEqual(['s2', 'wechat']);
    expect(signedIn.name).toBe('Chromie');
    // A first-party application asked for offline_access and saw no consent page: it has a refresh token.
    expect(signedIn.refresh).toBe(true);

    // Renewal by refresh token (oidc-client-ts prefers it when it has one).
    const refreshed = await renew(page);
    if ('error' in refreshed) throw new Error(refreshed.error);
    expect(refreshed.sub).toBe(signedIn.sub);

    // Silent renew in a hidden iframe: drop the refresh token so oidc-client-ts must ask with prompt=none.
    await page.evaluate(() => {
      for (const key of Object.keys(localStorage)) {
        if (!key.startsWith('oidc.user:')) continue;
        const user = JSON.parse(localStorage.getItem(key) ?? '{}');
        delete user.refresh_token;
        localStorage.setItem(key, JSON.stringify(user));
      }
    });
    const silent = await renew(page);
    if ('error' in silent) throw new Error(silent.error);
    expect(silent.sub).toBe(signedIn.sub);
    expect(silent.accessToken).not.toBe(refreshed.accessToken);

    // Logout: weunion's hosted logout page; its "Yes" button posts and the browser goes back to the application.
    await page.evaluate(() => {
      void (window as unknown as SpaWindow).mgr.signoutRedirect();
    });
    await page.waitForURL((url) => url.pathname === '/session/end');
    await screenshot(page, 'logout-page');
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${origin}/index.html`));

    // Signed out everywhere: silent renew now answers login_required.
    const after = await renew(page);
    expect('error' in after ? after.error : '').toMatch(/login_required|End-User authentication is required/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a third-party application: the hosted consent page lists offline_access; Allow returns to the application under the page CSP', async () => {
    const context = await chromium.newContext({ locale: 'zh-CN' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${origin}/partner/index.html`);
    await page.evaluate(() => {
      void (window as unknown as SpaWindow).mgr.signinRedirect({ prompt: 'consent' });
    });
    await page.waitForURL((url) => url.pathname === '/login');
    const returnTo = new URL(page.url()).searchParams.get('returnTo') ?? '';
    await page.goto(`${oidc.issuer}/login/s2?${new URLSearchParams({ returnTo, client: 'partner-spa' })}`);
    await page.waitForURL((url) => url.pathname.endsWith('/connect/qrconnect'));
    const back = await oidc.world.approve(await oidc.world.person('Consenting'), page.url());
    if (back === null) throw new Error('WeChat sent the browser nowhere');
    await page.goto(back);
    await page.waitForURL((url) => /^\/interaction\/[^/]+$/.test(url.pathname));
    expect(await page.getByText('在你不使用时保持登录（刷新令牌）').isVisible()).toBe(true);
    await screenshot(page, 'consent-page');
    await page.getByRole('button', { name: '允许' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${origin}/partner/callback.html`));
    await page.waitForFunction(() => 'signedIn' in window);
    const signedIn = signedInSchema.parse(await page.evaluate(() => (window as unknown as { signedIn: unknown }).signedIn));
    if ('error' in signedIn) throw new Error(signedIn.error);
    expect(signedIn.refresh).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });
});

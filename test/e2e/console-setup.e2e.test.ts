/**
 * An operator sets weunion up in the console, in a real browser: adds a mini program (a new app in
 * the WeChat sandbox) through the form, tests its credentials — a wrong AppSecret gets WeChat's
 * 40125, the right one passes — and copies what to paste into WeChat; then registers a web
 * application whose redirect URI is a real HTTP server here, presses "Try login", logs in on the
 * hosted page through S2 with the sandbox's virtual phone, and the code that arrives at the
 * application exchanges (openid-client, with the secret the console showed once) for an ID token.
 */
import { createServer, type Server } from 'node:http';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { freePort } from '../../packages/server/src/testing/free-port.ts';
import { chromiumPath } from './browser.ts';
import { type ConsoleWorld, consoleSnapshot, signIn, startConsoleWorld } from './console.ts';

const sandboxAppSchema = z.object({ appid: z.string(), secret: z.string() });
const connectionSchema = z.object({
  id: z.string(),
  appType: z.string(),
  appid: z.string(),
  scenarios: z.array(z.string()),
  secretSet: z.boolean(),
  setup: z.array(z.object({ key: z.string(), value: z.string() })),
});

describe.skipIf(chromiumPath === undefined)('console: set up a WeChat app and an application, then log in through it', () => {
  let world: ConsoleWorld;
  /** The application's own callback endpoint: a real HTTP server that hands over what arrived. */
  let application: Server;
  let redirectUri: string;
  let arrived: (url: URL) => void = () => {};

  beforeAll(async () => {
    world = await startConsoleWorld();
    application = createServer((request, response) => {
      arrived(new URL(request.url ?? '/', redirectUri));
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<h1>Back at the shop</h1>');
    });
    const port = await freePort();
    await new Promise<void>((resolve) => application.listen(port, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${port}/auth/callback`;
  });
  afterAll(async () => {
    await world?.close();
    await new Promise((resolve) => application?.close(resolve));
  });

  it('adds a mini program through the form and tests its credentials: a wrong AppSecret gets 40125, the right one passes', async () => {
    // A mini program that exists in the virtual WeChat but not yet in weunion.
    const miniProgram = sandboxAppSchema.parse(
      await world.sandbox('POST', '/apps', { type: 'mini_program', name: 'Shop Mini Program', openPlatformId: 'op_demo' }),
    );
    const page = await world.newPage();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: world.url });
    await signIn(page, world);
    await page.getByRole('link', { name: 'WeChat apps' }).click();
    await page.getByRole('button', { name: 'Add a WeChat app' }).first().click();
    await page.getByRole('radio', { name: 'Mini program' }).check();
    await page.getByLabel('Connection id').fill('shop-mp');
    await page.getByLabel('Name', { exact: true }).fill('Shop Mini Program');
    await page.getByLabel('AppID', { exact: true }).fill(miniProgram.appid);
    // The demo mini program already serves S3 and S7 here; this one logs people in inside itself (S5).
    await page.getByRole('checkbox', { name: 'S3 · Mini program code on PC' }).uncheck();
    await page.getByRole('checkbox', { name: 'S7 · App opens mini program' }).uncheck();

    await page.getByLabel('AppSecret', { exact: true }).fill(`${miniProgram.secret.slice(0, -1)}x`);
    await page.getByRole('button', { name: 'Test credentials' }).click();
    const result = page.locator('.check-result');
    await expect.poll(() => result.textContent(), { timeout: 10_000 }).toContain('errcode 40125');
    await consoleSnapshot(page, 'setup-1-wrong-secret');

    await page.getByLabel('AppSecret', { exact: true }).fill(miniProgram.secret);
    await page.getByRole('button', { name: 'Test credentials' }).click();
    await expect.poll(() => result.textContent(), { timeout: 10_000 }).toContain('WeChat accepted the credentials.');
    await consoleSnapshot(page, 'setup-2-right-secret');

    await page.getByRole('button', { name: 'Add app' }).click();
    await page.waitForURL(`${world.url}/console/connections/shop-mp`);
    await page.getByRole('heading', { name: 'WeChat app: Shop Mini Program' }).waitFor();
    // What to paste into WeChat's request legal domain, with a working copy button.
    const requestDomain = page.getByLabel(/request legal domain/);
    expect(await requestDomain.inputValue()).toBe(world.url);
    await page.locator('.copy-value').filter({ has: requestDomain }).getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => page.locator('.copy-value-status').first().textContent()).toMatch(/Copied|Selected/);
    // The secret is stored and never shown again: the field is empty and says so.
    expect(await page.getByLabel('AppSecret', { exact: true }).inputValue()).toBe('');
    expect(await page.getByLabel('AppSecret', { exact: true }).getAttribute('placeholder')).toBe('stored — leave empty to keep');
    await consoleSnapshot(page, 'setup-3-connection-saved');

    // The saved connection tests fine without typing the secret again.
    await page.getByRole('button', { name: 'Test credentials' }).click();
    await expect.poll(() => page.locator('.check-result').textContent(), { timeout: 10_000 }).toContain('WeChat accepted the credentials.');

    const stored = connectionSchema.parse(await (await page.request.get(`${world.url}/api/v1/connections/shop-mp`)).json());
    expect(stored).toMatchObject({ appType: 'mini_program', appid: miniProgram.appid, scenarios: ['s5'], secretSet: true });
    expect(stored.setup).toEqual([{ key: 'request_domain', value: world.url }]);
  }, 60_000);

  it('creates an application, shows its secret once, and a login through "Try login" ends with an ID token at the application', async () => {
    const page = await world.newPage();
    await signIn(page, world);
    await page.getByRole('link', { name: 'Applications' }).click();
    await page.getByRole('button', { name: 'Add an application' }).first().click();
    await page.getByLabel('Client id').fill('shop-web');
    await page.getByLabel('Name', { exact: true }).fill('Lin’s Shop');
    await page.getByLabel('Redirect URIs', { exact: true }).fill('not a url');
    await page.getByLabel('Accent colour', { exact: true }).fill('#d6336c');
    await page.getByRole('button', { name: 'Add application' }).click();
    await expect.poll(() => page.textContent('body')).toContain('Not an absolute URL without a #fragment: not a url');
    await page.getByLabel('Redirect URIs', { exact: true }).fill(redirectUri);
    await page.getByRole('button', { name: 'Add application' }).click();

    const secretField = page.getByLabel('client_secret');
    await secretField.waitFor();
    const clientSecret = await secretField.inputValue();
    expect(clientSecret.length).toBeGreaterThanOrEqual(32);
    expect(await page.textContent('body')).toContain('This is the only time weunion shows the client secret.');
    await consoleSnapshot(page, 'setup-4-secret-once');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.waitForURL(`${world.url}/console/applications/shop-web`);
    expect(await page.textContent('body')).not.toContain(clientSecret);

    // First through the application's own callback (weunion's result page is the default for a web application).
    await page.getByLabel('Redirect URI for the try').selectOption(redirectUri);
    const [tab] = await Promise.all([page.context().waitForEvent('page'), page.getByRole('button', { name: 'Try login' }).click()]);
    const verifier = await page.getByLabel('code_verifier').inputValue();
    const state = await page.getByLabel('state', { exact: true }).inputValue();
    const nonce = await page.getByLabel('nonce', { exact: true }).inputValue();
    const authorizationUrl = new URL(await page.getByLabel('Authorization URL').inputValue());
    expect(Object.fromEntries(authorizationUrl.searchParams)).toMatchObject({
      client_id: 'shop-web',
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid profile',
      code_challenge_method: 'S256',
    });
    await consoleSnapshot(page, 'setup-5-try-login');

    // The hosted login page, through S2: WeChat's website QR, scanned and approved on the virtual phone.
    const callback = new Promise<URL>((resolve) => {
      arrived = resolve;
    });
    await tab.waitForURL(/\/login\?/);
    const qr = tab.frameLocator('#wu-primary iframe').locator('#qr');
    await qr.waitFor();
    await consoleSnapshot(tab, 'setup-6-hosted-login');
    const person = z.object({ id: z.string() }).parse(await world.sandbox('POST', '/people', { nickname: 'Mei 梅' }));
    const shown = (await qr.screenshot()).toString('base64');
    const scanned = z
      .object({ content: z.string() })
      .parse(await world.sandbox('POST', '/actions/scan', { personId: person.id, imageBase64: shown }));
    await world.sandbox('POST', '/actions/authorize', { personId: person.id, url: scanned.content, decision: 'allow' });

    const arrivedAt = await callback;
    expect(arrivedAt.searchParams.get('code')).toEqual(expect.any(String));
    await consoleSnapshot(tab, 'setup-7-back-at-application');
    const config = await client.discovery(new URL(world.url), 'shop-web', clientSecret, undefined, {
      execute: [client.allowInsecureRequests],
    });
    const tokens = await client.authorizationCodeGrant(config, arrivedAt, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    expect(tokens.id_token).toEqual(expect.any(String));
    expect(tokens.claims()).toMatchObject({ aud: 'shop-web', sub: expect.stringMatching(/^usr/), nonce });

    // Then ending on weunion's own result page: the application need not run; the claims are shown, no token.
    await page.getByLabel('Redirect URI for the try').selectOption('weunion:result');
    const [resultTab] = await Promise.all([page.context().waitForEvent('page'), page.getByRole('button', { name: 'Try login' }).click()]);
    await resultTab.waitForURL(/\/console\/try-login\/callback/, { timeout: 20_000 });
    await expect.poll(() => resultTab.getByRole('heading', { level: 1 }).textContent()).toBe('Login works');
    const claims = (await resultTab.getByRole('table', { name: 'ID token claims' }).textContent()) ?? '';
    expect(claims).toContain('shop-web');
    expect(claims).toMatch(/sub\s*usr_/);
    expect(await resultTab.textContent('body')).not.toContain(clientSecret);
    await consoleSnapshot(resultTab, 'setup-7b-try-login-result');

    // The overview counts that login for the application, by its name.
    await page.getByRole('link', { name: 'Overview' }).click();
    const byApplication = page.getByRole('table', { name: 'Logins per day by application (OpenID Connect)' });
    await expect.poll(() => byApplication.locator('thead').textContent()).toContain('Lin’s Shop');
  }, 90_000);

  it('a fault switched on in the sandbox panel is what WeChat answers, until it is cleared', async () => {
    const page = await world.newPage();
    await signIn(page, world);
    await page.getByRole('link', { name: 'Sandbox' }).click();
    await page.getByRole('heading', { name: 'WeChat sandbox' }).waitFor();
    await expect.poll(() => page.locator('main').textContent()).toContain('Alice 爱丽丝');
    expect(await page.getByRole('link', { name: 'Open the virtual phone' }).getAttribute('href')).toBe(`${world.url}/sandbox/phone`);
    await page.getByLabel('App', { exact: true }).selectOption({ label: 'Demo Mini Program (wxd00000000000b002)' });
    await page.getByLabel('Answer with errcode').selectOption('40164');
    await expect.poll(() => page.locator('main').textContent()).toContain('"errcode":40164');
    await consoleSnapshot(page, 'setup-8-sandbox-fault');

    await page.goto(`${world.url}/console/connections/demo-mini-program`);
    await page.getByRole('button', { name: 'Test credentials' }).click();
    await expect.poll(() => page.locator('.check-result').textContent(), { timeout: 10_000 }).toContain('errcode 40164');

    // A fault for every app on top, then cleared alone: the mini program's fault stays with its count.
    await page.goto(`${world.url}/console/sandbox`);
    await page.getByLabel('App', { exact: true }).selectOption({ label: 'Every app' });
    await page.getByLabel('Answer with errcode').selectOption('-1');
    const activeFaults = page.getByRole('listitem').filter({ has: page.locator('.mono') });
    await expect.poll(() => activeFaults.count()).toBe(2);
    await activeFaults.filter({ hasText: 'Every app' }).getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => activeFaults.count()).toBe(1);
    const faultList = z.object({ faults: z.array(z.object({ appid: z.string().nullable(), injected: z.number() })) });
    const left = faultList.parse(await world.sandbox('GET', '/faults')).faults;
    expect(left).toEqual([{ appid: 'wxd00000000000b002', injected: expect.any(Number) }]);
    expect(left[0]?.injected).toBeGreaterThanOrEqual(1);
    expect(await activeFaults.textContent()).toContain(`${left[0]?.injected} injected so far`);

    await page.getByRole('button', { name: 'Clear all faults' }).click();
    await expect.poll(() => page.locator('main').textContent()).toContain('WeChat behaves normally');
    await page.goto(`${world.url}/console/connections/demo-mini-program`);
    await page.getByRole('button', { name: 'Test credentials' }).click();
    await expect.poll(() => page.locator('.check-result').textContent(), { timeout: 10_000 }).toContain('WeChat accepted the credentials.');

    await page.getByRole('link', { name: 'My account' }).click();
    await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
    await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    await consoleSnapshot(page, 'setup-9-account-totp');
  }, 60_000);
});

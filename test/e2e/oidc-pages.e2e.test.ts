/**
 * An OIDC application (openid-client, in this process) sends a real browser to weunion, and the
 * person goes through the hosted pages that need them: choosing among their accounts (S3 with a
 * phone number matches two), and proving an existing account when the policy requires binding (S2).
 * The browser ends at the application's redirect URI; the code exchange names the chosen account.
 */
import { mkdtempSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as client from 'openid-client';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../packages/server/src/config/index.ts';
import { updateConnection } from '../../packages/server/src/connections/store.ts';
import { SYSTEM_ACTOR } from '../../packages/server/src/identity/audit.ts';
import { DEFAULT_POLICY } from '../../packages/server/src/identity/policy.ts';
import { createUser } from '../../packages/server/src/identity/users.ts';
import { applicationInputSchema, createApplication } from '../../packages/server/src/oidc/applications.ts';
import { oidcDb } from '../../packages/server/src/oidc/tables.ts';
import { type RunningService, startService } from '../../packages/server/src/service.ts';
import { freePort } from '../../packages/server/src/testing/free-port.ts';
import { chromiumPath, launchChromium, snapshot } from './browser.ts';

describe.skipIf(chromiumPath === undefined)('OIDC through the hosted selection and binding pages, in a real browser', () => {
  let browser: Browser;
  let service: RunningService;
  let url: string;
  let config: client.Configuration;
  /** The application's own callback endpoint: a real HTTP server that remembers what arrived. */
  let application: Server;
  let redirectUri: string;
  let arrived: (url: URL) => void = () => {};

  const control = async (route: string, body: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${url}/sandbox/_sandbox${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`sandbox ${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const policy = (connectionId: string, changes: Partial<typeof DEFAULT_POLICY>) =>
    updateConnection(
      service.database.db,
      service.app.ctx.secrets,
      connectionId,
      { policy: { ...DEFAULT_POLICY, ...changes } },
      SYSTEM_ACTOR,
    );

  /** Starts an authorization in the browser; resolves with the code URL once the browser gets there. */
  async function authorize(page: Page): Promise<{ callback: Promise<URL>; verifier: string; state: string }> {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const callback = new Promise<URL>((resolve) => {
      arrived = resolve;
    });
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile phone',
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    await page.goto(authorizationUrl.href);
    await page.waitForURL(/\/login\?/);
    return { callback, verifier, state };
  }

  beforeAll(async () => {
    application = createHttpServer((request, response) => {
      arrived(new URL(request.url ?? '/', redirectUri));
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<h1>Back at the application</h1>');
    });
    const applicationPort = await freePort();
    await new Promise<void>((resolve) => application.listen(applicationPort, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${applicationPort}/cb`;
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    service = await startService(
      loadConfig({ PUBLIC_URL: url, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: mkdtempSync(path.join(tmpdir(), 'weunion-e2e-')) }),
      { logger: pino({ level: 'silent' }) },
    );
    const { clientSecret } = await createApplication(
      oidcDb(service.database.db),
      service.app.ctx.secrets,
      applicationInputSchema.parse({ id: 'rp-web', name: 'RP Shop', type: 'web', redirectUris: [redirectUri], scenarios: ['s2', 's3'] }),
    );
    config = await client.discovery(new URL(url), 'rp-web', clientSecret ?? '', undefined, { execute: [client.allowInsecureRequests] });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await service?.close();
    await new Promise((resolve) => application?.close(resolve));
  });

  it('two accounts match one login: the person chooses, and the application gets the chosen one', async () => {
    const phoneNumber = '+8613911112222';
    const dan = String((await control('/people', { nickname: 'Dan', phone: phoneNumber })).id);
    // A: an account the shop made for Dan's phone number. B: Dan's account from the mobile app (S6).
    const shopAccount = await createUser(
      service.database.db,
      { nickname: 'Dan (shop account)', phoneNumber, phoneNumberVerified: true },
      SYSTEM_ACTOR,
    );
    const sendAuth = await control('/actions/app-login', { personId: dan, appid: 'wxd00000000000d004' });
    const appLogin = await fetch(`${url}/api/app/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appid: 'wxd00000000000d004', code: sendAuth.code }),
    });
    expect(appLogin.status).toBe(200);
    await policy('demo-mini-program', { fieldMatching: ['phone'], onMultipleMatches: 'select' });

    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const { callback, verifier, state } = await authorize(page);
    await page.getByRole('button', { name: 'Scan with the mini program (can share your phone number)' }).click();
    const img = page.locator('weunion-login img.qr:not(.dim)');
    await img.waitFor();
    const image = (await img.screenshot()).toString('base64');
    const decoded = await control('/actions/scan', { personId: dan, imageBase64: image });
    // Dan's phone: the sample mini program, sharing the phone number.
    const phone = await context.newPage();
    await phone.goto(`${url}/sandbox/phone`);
    await phone.locator(`#person option[value="${dan}"]`).waitFor({ state: 'attached' });
    await phone.selectOption('#person', dan);
    await phone.fill('#content', String(decoded.content));
    await phone.getByRole('button', { name: /Scan/ }).first().click();
    await phone.getByRole('button', { name: /Confirm with phone number/ }).click();

    await page.waitForURL(/\/login\/select/);
    await snapshot(page, 'oidc-select-1-choose');
    const choices = page.locator('button[data-select]');
    await expect.poll(() => choices.count()).toBe(2);
    expect(await page.textContent('body')).not.toContain(phoneNumber);
    await page.locator(`button[data-select="${shopAccount.id}"]`).click();

    const tokens = await client.authorizationCodeGrant(config, await callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()?.sub).toBe(shopAccount.id);
    await snapshot(page, 'oidc-select-2-back-at-application');
    await context.close();
  }, 60_000);

  it('binding required: a wrong password is refused, the right one links the WeChat login to the account', async () => {
    const member = await createUser(
      service.database.db,
      { nickname: 'Eve (member)', email: 'eve@example.com', emailVerified: true, password: 'correct horse battery staple' },
      SYSTEM_ACTOR,
    );
    await policy('demo-website', { queryBinding: 'require', bindingMethods: ['password'] });
    const eve = String((await control('/people', { nickname: 'Eve', phone: '+8613933334444' })).id);

    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const { callback, verifier, state } = await authorize(page);
    const shown = (await page.frameLocator('#wu-primary iframe').locator('#qr').screenshot()).toString('base64');
    const scanned = await control('/actions/scan', { personId: eve, imageBase64: shown });
    await control('/actions/authorize', { personId: eve, url: scanned.content, decision: 'allow' });

    await page.waitForURL(/\/login\/bind/);
    await page.fill('#wu-login', 'eve@example.com');
    await page.fill('#wu-password', 'not her password');
    await page.getByRole('button', { name: /Link/ }).first().click();
    await expect.poll(() => page.locator('[role="alert"]').allTextContents()).toContainEqual(expect.stringMatching(/\S/));
    await snapshot(page, 'oidc-bind-1-wrong-password');
    await page.fill('#wu-password', 'correct horse battery staple');
    await page.getByRole('button', { name: /Link/ }).first().click();

    const tokens = await client.authorizationCodeGrant(config, await callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()?.sub).toBe(member.id);
    await snapshot(page, 'oidc-bind-2-back-at-application');
    await context.close();
  }, 60_000);
});

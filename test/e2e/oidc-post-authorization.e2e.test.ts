/**
 * POST at the authorization endpoint from another site, in a real browser: a relying party's page
 * on http://localhost auto-submits a form to weunion on http://127.0.0.1 (another site), and the
 * person, already logged in at weunion, comes back to the application with a code and no login
 * page. Chromium sends no SameSite=Lax cookie with the cross-site POST; weunion's 303 turns it into
 * a top-level GET, which carries them — so the session is found, as for a GET authorization.
 */
import { mkdtempSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as client from 'openid-client';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../packages/server/src/config/index.ts';
import { escapeHtml } from '../../packages/server/src/hosted/html.ts';
import { SYSTEM_ACTOR } from '../../packages/server/src/identity/audit.ts';
import { createUser } from '../../packages/server/src/identity/users.ts';
import { LoginSessions, SESSION_COOKIE } from '../../packages/server/src/login/sessions.ts';
import { applicationInputSchema, createApplication } from '../../packages/server/src/oidc/applications.ts';
import { oidcDb } from '../../packages/server/src/oidc/tables.ts';
import { type RunningService, startService } from '../../packages/server/src/service.ts';
import { freePort } from '../../packages/server/src/testing/free-port.ts';
import { chromiumPath, launchChromium } from './browser.ts';

describe.skipIf(chromiumPath === undefined)('POST at the authorization endpoint from another site, in Chromium', () => {
  let browser: Browser;
  let service: RunningService;
  let url: string;
  let config: client.Configuration;
  let rp: Server;
  let rpOrigin: string;
  let form = '';
  const arrivals: URL[] = [];

  beforeAll(async () => {
    const rpPort = await freePort();
    rpOrigin = `http://localhost:${rpPort}`;
    rp = createHttpServer((request, response) => {
      const at = new URL(request.url ?? '/', rpOrigin);
      if (at.pathname === '/start') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(form);
        return;
      }
      arrivals.push(at);
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<h1>Back at the application</h1>');
    });
    await new Promise<void>((resolve) => rp.listen(rpPort, '127.0.0.1', resolve));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    service = await startService(
      loadConfig({ PUBLIC_URL: url, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: mkdtempSync(path.join(tmpdir(), 'weunion-e2e-')) }),
      { logger: pino({ level: 'silent' }) },
    );
    const { clientSecret } = await createApplication(
      oidcDb(service.database.db),
      service.app.ctx.secrets,
      applicationInputSchema.parse({ id: 'rp-post', name: 'RP', type: 'web', redirectUris: [`${rpOrigin}/cb`] }),
    );
    config = await client.discovery(new URL(url), 'rp-post', clientSecret ?? '', undefined, { execute: [client.allowInsecureRequests] });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await service?.close();
    await new Promise((resolve) => rp?.close(resolve));
  });

  it('a logged-in person POSTed to /auth from another site returns to the application with a code, without the login page', async () => {
    const user = await createUser(service.database.db, { nickname: 'Posty' }, SYSTEM_ACTOR);
    const { sessionId } = await new LoginSessions(service.app.ctx.state, { ttlMs: 60_000 }).create({ userId: user.id, method: 's2' });
    const context = await browser.newContext();
    await context.addCookies([{ name: SESSION_COOKIE, value: sessionId, url, httpOnly: true, sameSite: 'Lax' }]);
    const page = await context.newPage();
    const visited: string[] = [];
    page.on('request', (request) => {
      if (request.isNavigationRequest()) visited.push(`${request.method()} ${new URL(request.url()).pathname}`);
    });

    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const params = {
      client_id: 'rp-post',
      redirect_uri: `${rpOrigin}/cb`,
      response_type: 'code',
      scope: 'openid profile',
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    };
    const inputs = Object.entries(params)
      .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
      .join('');
    form = `<!doctype html><form method="post" action="${url}/auth">${inputs}</form><script>document.forms[0].submit()</script>`;

    await page.goto(`${rpOrigin}/start`);
    await page.waitForURL(`${rpOrigin}/cb?**`);
    const callback = arrivals.at(-1);
    expect(callback?.searchParams.get('state')).toBe(state);
    expect(visited).toContain('POST /auth');
    expect(visited).toContain('GET /auth');
    expect(visited.some((v) => v.includes('/login'))).toBe(false);

    const tokens = await client.authorizationCodeGrant(config, callback ?? new URL(rpOrigin), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(tokens.claims()?.sub).toBe(user.id);
    await context.close();
  });
});

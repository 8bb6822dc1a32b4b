/**
 * Embedded mode, run as `npm start` runs it: `weunion serve` as child processes (a group of two
 * workers on one port) on one data folder, talking to a standalone WeChat sandbox that outlives
 * them. What people hold must survive SIGTERM and a fresh start on the same folder: a browser's
 * S2 login, an OIDC client's session (a silent `prompt=none` authorization succeeds), a console
 * sign-in, a QR ticket scanned but not yet confirmed, and a rate-limit window. And while the group
 * runs, a browser watching a ticket hears about a scan whichever worker handled it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_APPS, type RunningSandbox, startSandbox } from '@weunion/sandbox';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdminAccount } from './admin-accounts/store.ts';
import { loadConfig } from './config/index.ts';
import { seedSandboxConnections } from './connections/declared.ts';
import { SYSTEM_ACTOR } from './identity/audit.ts';
import { Browser, type Json, readStatusEvents, sessionOf } from './login/test-harness.ts';
import { applicationInputSchema, createApplication } from './oidc/applications.ts';
import { oidcDb } from './oidc/tables.ts';
import { loadSecretBox } from './secrets/master-key.ts';
import { migrateToLatest, openDatabase } from './storage/index.ts';
import { freePort } from './testing/free-port.ts';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const REDIRECT = 'http://127.0.0.1:9/callback';
const ADMIN_PASSWORD = 'a long enough password';
const MP = DEMO_APPS.find((a) => a.key === 'miniProgram');
if (MP === undefined) throw new Error('no demo mini program');

interface Serve {
  child: ChildProcess;
  banner: string;
  exited: Promise<number | null>;
}

/** `weunion serve` in a child process; resolves once its start banner is printed. */
function serve(env: Record<string, string>): Promise<Serve> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'serve'], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('admin console:')) resolve({ child, banner: stdout, exited });
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    void exited.then((code) => reject(new Error(`weunion serve exited (${code}) before starting: ${stderr}`)));
  });
}

/** The worker processes of a group: the primary's children. */
function workerPids(primary: number): number[] {
  return readdirSync(`/proc/${primary}/task`).flatMap((task) =>
    readFileSync(`/proc/${primary}/task/${task}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number),
  );
}

/** Follows redirects until the browser is sent to the application's redirect URI. */
async function untilRedirect(browser: Browser, start: string): Promise<URL> {
  let url = start;
  for (let hop = 0; hop < 10 && !url.startsWith(REDIRECT); hop++) {
    const response = await browser.fetch(url);
    const next = response.headers.get('location');
    if (next === null) throw new Error(`stuck at ${url} (${response.status}): ${await response.text()}`);
    url = new URL(next, url).href;
  }
  return new URL(url);
}

describe('embedded mode across a restart, with two worker processes', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'weunion-restart-'));
  let sandbox: RunningSandbox;
  let env: Record<string, string>;
  let url: string;
  let running: Serve | undefined;
  let oidcSecret: string;

  const control = async (method: string, route: string, body?: unknown): Promise<Json> => {
    const response = await fetch(`${sandbox.url}/_sandbox${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status >= 300) throw new Error(`sandbox ${route}: ${response.status} ${await response.text()}`);
    return z.record(z.string(), z.unknown()).parse(await response.json());
  };
  const jsLogin = async (personId: string) =>
    z.string().parse((await control('POST', '/actions/js-login', { personId, appid: MP.appid })).code);
  const consoleSignIn = (username: string, password: string) =>
    fetch(`${url}/console/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    sandbox = await startSandbox({ port: 0, callbackBaseUrl: url });
    env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: url,
      SANDBOX: 'off',
      WECHAT_API_URL: sandbox.url,
      WECHAT_OPEN_URL: sandbox.url,
      WECHAT_MP_URL: sandbox.url,
      WORKERS: '2',
      LOG_LEVEL: 'warn',
    };
    // What an operator sets up once: the demo connections, an OIDC application, two admins.
    const config = loadConfig(env);
    const database = await openDatabase(config.databaseUrl);
    await migrateToLatest(database);
    const secrets = loadSecretBox(config);
    await seedSandboxConnections(database.db, secrets);
    const application = await createApplication(
      oidcDb(database.db),
      secrets,
      applicationInputSchema.parse({ id: 'shop-web', name: 'Shop', type: 'web', redirectUris: [REDIRECT], scenarios: ['s2'] }),
    );
    oidcSecret = application.clientSecret ?? '';
    for (const username of ['operator', 'target']) {
      await createAdminAccount(database.db, secrets, { username, password: ADMIN_PASSWORD }, SYSTEM_ACTOR);
    }
    await database.close();
    running = await serve(env);
  });

  afterAll(async () => {
    running?.child.kill('SIGTERM');
    await running?.exited;
    await sandbox?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts two workers on one port and says so', () => {
    expect(running?.banner).toContain('2 worker processes');
    expect(running?.banner).toContain('shared state in a SQLite file');
  });

  it('a browser watching a ticket hears the scan and the confirmation, whichever worker handled them', async () => {
    const person = z.string().parse((await control('POST', '/people', { nickname: 'Watcher' })).id);
    const browser = new Browser();
    const ticket = z
      .object({ ticketId: z.string(), secret: z.string() })
      .parse((await browser.json('POST', `${url}/api/login/s3`, { returnTo: '/watched' })).body);
    // Several watchers, each on its own connection: node:cluster hands connections to the
    // workers in turn, so both workers have watchers (checked below by the worker header).
    const watchers = await Promise.all(
      Array.from({ length: 4 }, () =>
        fetch(`${url}/api/login/tickets/${ticket.ticketId}/events`, {
          headers: { 'x-ticket-secret': ticket.secret, accept: 'text/event-stream', connection: 'close' },
        }),
      ),
    );
    expect(new Set(watchers.map((w) => w.headers.get('x-weunion-worker'))).size).toBe(2);
    const events = watchers.map((w) => readStatusEvents(w, 3));
    const mp = new Browser();
    expect(
      (await mp.json('POST', `${url}/api/mp/tickets/${ticket.ticketId}/scan`, { appid: MP.appid, code: await jsLogin(person) })).status,
    ).toBe(200);
    const confirmed = await mp.json('POST', `${url}/api/mp/tickets/${ticket.ticketId}/confirm`, {
      appid: MP.appid,
      code: await jsLogin(person),
    });
    expect(confirmed.status).toBe(200);
    for (const received of await Promise.all(events)) {
      expect(received.map((e) => e.state)).toEqual(['waiting', 'scanned', 'confirmed']);
    }
  });

  it('a worker that dies is replaced, and the group keeps serving on both', async () => {
    const primary = running?.child.pid ?? 0;
    const [victim] = workerPids(primary);
    expect(workerPids(primary)).toHaveLength(2);
    process.kill(victim ?? 0, 'SIGKILL');
    // Once the primary has reaped it, no new connection is handed to the dead worker.
    for (let i = 0; i < 100 && workerPids(primary).includes(victim ?? 0); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    // Connections go to the workers in turn: once two in a row are served by different workers,
    // the replacement listens beside the survivor (until then the survivor answers them all).
    const servedBy = new Set<string>();
    for (let attempt = 0; attempt < 100 && servedBy.size < 2; attempt++) {
      servedBy.clear();
      for (let i = 0; i < 2; i++) {
        const response = await fetch(`${url}/healthz`, { headers: { connection: 'close' } });
        expect(response.status).toBe(200);
        servedBy.add(response.headers.get('x-weunion-worker') ?? '');
      }
      if (servedBy.size < 2) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(servedBy.size).toBe(2);
    expect(workerPids(primary)).toHaveLength(2);
    expect(workerPids(primary)).not.toContain(victim);
  });

  it('a browser login, an OIDC session, a console sign-in, a scanned ticket and a rate-limit window survive a restart', async () => {
    const person = z.string().parse((await control('POST', '/people', { nickname: 'Rita', phone: '+8613900000042' })).id);

    // S2 in a browser.
    const browser = new Browser();
    const start = await browser.fetch(`${url}/login/s2?returnTo=/app`);
    const redirect = z
      .object({ redirect: z.string() })
      .parse(await control('POST', '/actions/authorize', { personId: person, url: start.headers.get('location'), decision: 'allow' }));
    expect((await browser.fetch(redirect.redirect)).headers.get('location')).toBe('/app');
    const before = await sessionOf(browser, { url } as never);
    expect(before?.sub).toMatch(/^usr/);

    // An OIDC client logs the person in (through S2 on the hosted page) in another browser.
    const oidc = await client.discovery(new URL(url), 'shop-web', oidcSecret, undefined, { execute: [client.allowInsecureRequests] });
    const authorize = async (relyingParty: Browser, extra: Record<string, string>) => {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const authorizationUrl = client.buildAuthorizationUrl(oidc, {
        redirect_uri: REDIRECT,
        scope: 'openid profile',
        state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        ...extra,
      });
      return { verifier, state, first: await relyingParty.fetch(authorizationUrl.href) };
    };
    const relyingParty = new Browser();
    const firstLogin = await authorize(relyingParty, {});
    const landed = await relyingParty.navigate(new URL(firstLogin.first.headers.get('location') ?? '', url).href);
    const returnTo = new URL(landed.url).searchParams.get('returnTo') ?? '';
    const s2 = await relyingParty.fetch(`${url}/login/s2?${new URLSearchParams({ returnTo })}`);
    const callback = z
      .object({ redirect: z.string() })
      .parse(await control('POST', '/actions/authorize', { personId: person, url: s2.headers.get('location'), decision: 'allow' }));
    const firstTokens = await client.authorizationCodeGrant(oidc, await untilRedirect(relyingParty, callback.redirect), {
      pkceCodeVerifier: firstLogin.verifier,
      expectedState: firstLogin.state,
    });
    const oidcSub = firstTokens.claims()?.sub;
    expect(oidcSub).toBe(before?.sub);

    // A console sign-in.
    const signedIn = await consoleSignIn('operator', ADMIN_PASSWORD);
    expect(signedIn.status).toBe(200);
    const consoleCookie = /weunion_console=[^;]*/.exec(signedIn.headers.getSetCookie().join('\n'))?.[0] ?? '';
    expect((await fetch(`${url}/console/api/session`, { headers: { cookie: consoleCookie } })).status).toBe(200);

    // A QR ticket (S3) the person has scanned but not yet confirmed.
    const pc = new Browser();
    const ticket = z.object({ ticketId: z.string() }).parse((await pc.json('POST', `${url}/api/login/s3`, { returnTo: '/pc' })).body);
    const mp = new Browser();
    expect(
      (await mp.json('POST', `${url}/api/mp/tickets/${ticket.ticketId}/scan`, { appid: MP.appid, code: await jsLogin(person) })).status,
    ).toBe(200);
    expect((await pc.json('GET', `${url}/api/login/tickets/${ticket.ticketId}`)).body.state).toBe('scanned');

    // A rate-limit window: ten wrong passwords for one console account.
    for (let i = 0; i < 10; i++) expect((await consoleSignIn('target', 'not the password')).status).toBe(401);

    // Stop the group (SIGTERM drains every worker) and start it again on the same folder.
    running?.child.kill('SIGTERM');
    expect(await running?.exited).toBe(0);
    running = await serve(env);

    expect((await sessionOf(browser, { url } as never))?.sub).toBe(before?.sub);

    const silent = await authorize(relyingParty, { prompt: 'none' });
    const silentRedirect = await untilRedirect(relyingParty, new URL(silent.first.headers.get('location') ?? '', url).href);
    expect(silentRedirect.searchParams.get('error')).toBeNull();
    const silentTokens = await client.authorizationCodeGrant(oidc, silentRedirect, {
      pkceCodeVerifier: silent.verifier,
      expectedState: silent.state,
    });
    expect(silentTokens.claims()?.sub).toBe(oidcSub);

    expect((await fetch(`${url}/console/api/session`, { headers: { cookie: consoleCookie } })).status).toBe(200);

    expect((await pc.json('GET', `${url}/api/login/tickets/${ticket.ticketId}`)).body.state).toBe('scanned');
    const confirmed = await mp.json('POST', `${url}/api/mp/tickets/${ticket.ticketId}/confirm`, {
      appid: MP.appid,
      code: await jsLogin(person),
      phoneCode: z.string().parse((await control('POST', '/actions/phone-code', { personId: person, appid: MP.appid })).code),
    });
    expect(confirmed.status).toBe(200);
    expect((await pc.json('POST', `${url}/api/login/tickets/${ticket.ticketId}/redeem`)).body.status).toBe('signed_in');

    // The window still counts the ten failures: even the right password is refused for now.
    expect((await consoleSignIn('target', ADMIN_PASSWORD)).status).toBe(429);
    expect((await consoleSignIn('operator', ADMIN_PASSWORD)).status).toBe(200);
  });
});

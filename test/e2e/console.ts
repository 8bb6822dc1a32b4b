/**
 * What every console end-to-end test starts from: weunion running as `npm start` runs it (embedded
 * mode, a fresh SQLite data dir, the built console from packages/console/dist, the WeChat sandbox
 * on), an administrator made through the real CLI with the same environment, a Chromium with the
 * page in English, and `signIn(page)`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../../packages/server/src/config/index.ts';
import { type RunningService, startService } from '../../packages/server/src/service.ts';
import { freePort } from '../../packages/server/src/testing/free-port.ts';
import { launchChromium } from './browser.ts';

const identitiesSchema = z.array(z.object({ appid: z.string(), openid: z.string() }));

const ROOT = path.resolve(import.meta.dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-results/console');

export interface Admin {
  username: string;
  password: string;
}

export interface ConsoleWorld {
  url: string;
  service: RunningService;
  browser: Browser;
  /** The environment the service was configured from; the CLI runs with it too. */
  env: Record<string, string>;
  /** Made through `weunion admins create` before any test runs. */
  admin: Admin;
  /** Script errors and CSP refusals seen by any page so far: a console that works has none. */
  pageErrors: string[];
  /** A fresh browser context (English, desktop size) and page. */
  newPage: (options?: { width?: number; height?: number }) => Promise<Page>;
  /** The sandbox's control API (contract §3): `sandbox('POST', '/people', { nickname })`. */
  sandbox: (method: 'GET' | 'POST' | 'PUT' | 'DELETE', route: string, body?: unknown) => Promise<unknown>;
  close: () => Promise<void>;
}

/** Runs `node packages/server/src/cli.ts <args>` with the service's environment; `stdin` is piped in. */
export function runCli(env: Record<string, string>, args: string[], stdin = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      path.join(ROOT, 'node_modules/.bin/node'),
      [path.join(ROOT, 'packages/server/src/cli.ts'), ...args],
      // Only the service's own settings: a DATABASE_URL or REDIS_URL from the test run must not point
      // the CLI at another database than the embedded one the service uses.
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env, LOG_LEVEL: 'silent' } },
      (error, stdout, stderr) => (error ? reject(new Error(`weunion ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout)),
    );
    child.stdin?.end(stdin);
  });
}

/** `withAdmin: false` starts with no admin account (the first-run state); `world.admin` is then made by the test. */
export async function startConsoleWorld({ withAdmin = true } = {}): Promise<ConsoleWorld> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    PUBLIC_URL: url,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'weunion-console-e2e-')),
    SANDBOX: 'on',
  };
  const service = await startService(loadConfig(env), { logger: pino({ level: 'silent' }) });
  const admin = { username: 'ops-lin', password: 'correct horse battery staple' };
  if (withAdmin) await runCli(env, ['admins', 'create', admin.username, '--password-stdin'], `${admin.password}\n`);
  const browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  return {
    pageErrors,
    url,
    service,
    browser,
    env,
    admin,
    async newPage({ width = 1280, height = 900 } = {}) {
      const context = await browser.newContext({ locale: 'en-US', viewport: { width, height }, baseURL: url });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text()))
          pageErrors.push(`${page.url()}: ${message.text()}`);
      });
      return page;
    },
    async sandbox(method, route, body) {
      const response = await fetch(`${url}/sandbox/_sandbox${route}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`sandbox ${method} ${route}: ${response.status} ${await response.text()}`);
      return response.status === 204 ? undefined : response.json();
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
      await service.close();
    },
  };
}

/**
 * For a test file's `describe`: starts a world before its tests (`options` as for
 * `startConsoleWorld`), fails a test after which any page had a script error or CSP refusal, and
 * closes the world after the last test. Returns the running world (call it inside tests and hooks).
 */
export function setUpConsoleWorld(options: { withAdmin?: boolean } = {}): () => ConsoleWorld {
  let world: ConsoleWorld | undefined;
  beforeAll(async () => {
    world = await startConsoleWorld(options);
  });
  afterEach(() => {
    expect(world?.pageErrors).toEqual([]);
  });
  afterAll(async () => {
    await world?.close();
  });
  return () => {
    if (world === undefined) throw new Error('the console world has not started');
    return world;
  };
}

/**
 * A sandbox person signs in once through a demo mini program (S5, `/api/mp/login`) or mobile app
 * (S6, `/api/app/login`) with a code the sandbox issues; their openid in that app.
 */
export async function signInThroughApp(
  world: ConsoleWorld,
  personId: string,
  via: { scenario: 's5' | 's6'; appid: string },
): Promise<string> {
  const action = via.scenario === 's5' ? '/actions/js-login' : '/actions/app-login';
  const { code } = z.object({ code: z.string() }).parse(await world.sandbox('POST', action, { personId, appid: via.appid }));
  const login = await fetch(`${world.url}${via.scenario === 's5' ? '/api/mp/login' : '/api/app/login'}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appid: via.appid, code }),
  });
  expect(login.status).toBe(200);
  const identities = identitiesSchema.parse(await world.sandbox('GET', `/people/${personId}/identities`));
  const openid = identities.find((identity) => identity.appid === via.appid)?.openid;
  if (openid === undefined) throw new Error(`${personId} has no openid for ${via.appid}`);
  return openid;
}

/** Signs in through the console's sign-in page and waits for the shell. */
export async function signIn(page: Page, world: ConsoleWorld, admin: Admin = world.admin): Promise<void> {
  await page.goto(`${world.url}/console/`);
  await page.getByLabel('Username').fill(admin.username);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible(), { timeout: 10_000 }).toBe(true);
}

/** A screenshot of a step, kept as a test artifact in test-results/console/<name>.png. */
export async function consoleSnapshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page
    .screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true })
    .catch((error: unknown) => console.warn(`screenshot ${name} not taken: ${String(error)}`));
}

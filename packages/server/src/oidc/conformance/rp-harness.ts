/**
 * What the OIDC conformance suites need around a real weunion: applications registered as an
 * admin would, a person logging in through the hosted page with WeChat (the sandbox) the way a
 * browser does, RP-initiated logout through the provider's confirmation form, and a relying
 * party's back-channel logout endpoint that records what it receives.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { type Browser, LoginWorld } from '../../login/test-harness.ts';
import { type Application, applicationInputSchema, createApplication } from '../applications.ts';
import { oidcDb } from '../tables.ts';

export async function registerApplication(
  world: LoginWorld,
  input: Record<string, unknown>,
): Promise<{ application: Application; clientSecret: string | null }> {
  return createApplication(oidcDb(world.database.db), world.first.app.ctx.secrets, applicationInputSchema.parse(input));
}

/**
 * Follows the browser from an authorization URL to the application's redirect URI. Without a
 * weunion session the hosted login page appears and `personId` logs in with S2 on the sandbox.
 */
export async function authorizeInBrowser(
  world: LoginWorld,
  browser: Browser,
  authorizationUrl: string,
  redirectUri: string,
  personId?: string,
  init: RequestInit = {},
): Promise<URL> {
  let url = authorizationUrl;
  let request = init;
  for (let hop = 0; hop < 16; hop++) {
    if (url.startsWith(redirectUri)) return new URL(url);
    const response = await browser.fetch(url, request);
    request = {};
    const location = response.headers.get('location');
    if (location === null && response.status === 200 && new URL(url).pathname.startsWith('/interaction/')) {
      url = await consent(browser, url, await response.text());
      continue;
    }
    if (location === null) throw new Error(`stuck at ${url} (${response.status}): ${(await response.text()).slice(0, 300)}`);
    await response.body?.cancel();
    const next = new URL(location, url);
    if (next.pathname === '/login' && next.origin === world.first.url) {
      if (personId === undefined) throw new Error('the login page appeared, and nobody was set to log in');
      const returnTo = next.searchParams.get('returnTo') ?? '';
      const s2 = await browser.fetch(`${world.first.url}/login/s2?${new URLSearchParams({ returnTo })}`);
      const callback = await world.approve(personId, s2.headers.get('location') ?? '');
      if (callback === null) throw new Error('WeChat did not redirect back');
      url = callback;
      continue;
    }
    url = next.href;
  }
  throw new Error('too many redirects');
}

/** The consent page: the person allows (the form's `decision=allow` button). Returns where it sends the browser. */
async function consent(browser: Browser, pageUrl: string, html: string): Promise<string> {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (action === undefined || !/name="decision"[^>]*value="allow"|value="allow"[^>]*name="decision"/.test(html)) {
    throw new Error(`not a consent page: ${html.slice(0, 300)}`);
  }
  const extra = [...html.matchAll(/<input[^>]*type="hidden"[^>]*>/g)].flatMap((match) => {
    const name = /name="([^"]+)"/.exec(match[0])?.[1];
    const value = /value="([^"]*)"/.exec(match[0])?.[1];
    return name === undefined ? [] : [[name, value ?? ''] as [string, string]];
  });
  const response = await browser.fetch(new URL(action.replaceAll('&amp;', '&'), pageUrl).href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams([...extra, ['decision', 'allow']]).toString(),
  });
  const location = response.headers.get('location');
  if (location === null) throw new Error(`consent went nowhere (${response.status})`);
  return new URL(location, pageUrl).href;
}

/** RP-initiated logout: the end-session URL, then the provider's confirmation form (`logout=yes` ends the OP session). */
export async function logoutInBrowser(browser: Browser, endSessionUrl: string, options: { everywhere: boolean }): Promise<Response> {
  const page = await browser.fetch(endSessionUrl);
  const html = await page.text();
  expect(page.status, html.slice(0, 300)).toBe(200);
  const xsrf = /name="xsrf"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="xsrf"/.exec(html);
  const token = xsrf?.[1] ?? xsrf?.[2];
  if (token === undefined) throw new Error(`no logout form: ${html.slice(0, 300)}`);
  return browser.fetch(new URL('/session/end/confirm', endSessionUrl).href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ xsrf: token, ...(options.everywhere ? { logout: 'yes' } : {}) }).toString(),
  });
}

export interface ReceivedLogout {
  path: string;
  contentType: string | undefined;
  logoutToken: string | null;
}

/** A relying party's back-channel logout endpoint: records every POST, answers with the next queued status (default 200). */
export class LogoutReceiver {
  readonly received: ReceivedLogout[] = [];
  readonly statuses: number[] = [];
  readonly #server: Server;
  #waiters: (() => void)[] = [];

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<LogoutReceiver> {
    const server = createServer();
    const receiver = new LogoutReceiver(server);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        receiver.received.push({
          path: request.url ?? '',
          contentType: request.headers['content-type'],
          logoutToken: body.get('logout_token'),
        });
        response.statusCode = receiver.statuses.shift() ?? 200;
        response.end();
        for (const wake of receiver.#waiters.splice(0)) wake();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  url(path: string): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}${path}`;
  }

  /** Waits until `count` logouts arrived at `path` (they are sent in the background); bounded by the test's timeout. */
  async waitFor(path: string, count: number): Promise<ReceivedLogout[]> {
    for (;;) {
      const arrived = this.received.filter((r) => r.path === path);
      if (arrived.length >= count) return arrived;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

export { LoginWorld };

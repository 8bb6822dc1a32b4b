/**
 * Test harness for the OIDC conformance suites (not a test file): the real weunion server on the
 * WeChat sandbox (login/test-harness.ts), applications registered as an operator would, and a
 * person who logs in the way a browser does — authorization endpoint, hosted login page, S2 QR
 * approved (or declined) on the sandbox phone, back through the interaction to the redirect URI.
 *
 * The cases follow the OpenID Foundation conformance suite's provider test plans (Basic, Config,
 * Form Post, RP-initiated logout); each test names the module it mirrors.
 */
import * as client from 'openid-client';
import { z } from 'zod';
import { type Browser, LoginWorld, type StorageMode } from '../../login/test-harness.ts';
import { applicationInputSchema, createApplication } from '../applications.ts';
import { oidcDb } from '../tables.ts';

export { Browser, storageModes } from '../../login/test-harness.ts';

export const REDIRECT = 'http://127.0.0.1:9/callback';
export const POST_LOGOUT = 'http://127.0.0.1:9/signed-out';

export interface RegisteredApp {
  id: string;
  secret: string | undefined;
}

/** Where a walk through the authorization endpoint ended. */
export interface Landing {
  /** The redirect URI with the authorization response (query), when it ended there. */
  callback?: URL;
  /** Otherwise: the last URL and its response (a page, a form_post answer, an error). */
  url: string;
  response?: Response;
  body?: string;
}

export interface WalkOptions {
  /** The person on the sandbox phone (S2); the walk fails when a login page shows and there is none. */
  person?: string;
  /** What the person answers on the phone. */
  wechat?: 'allow' | 'deny';
  /** What the person answers on a consent page; `undefined`: stop there. */
  consent?: 'allow' | 'deny';
  /** Stop at the hosted login page instead of logging in. */
  stopAtLogin?: boolean;
}

export class OidcWorld {
  readonly world: LoginWorld;
  /** Every page the walk passed through, in order (paths), for asserting the person's way. */
  visited: string[] = [];

  private constructor(world: LoginWorld) {
    this.world = world;
  }

  static async start(mode: StorageMode): Promise<OidcWorld> {
    return new OidcWorld(await LoginWorld.start(mode));
  }

  get issuer(): string {
    return this.world.first.url;
  }

  close(): Promise<void> {
    return this.world.close();
  }

  async register(input: Record<string, unknown>): Promise<RegisteredApp> {
    const created = await createApplication(
      oidcDb(this.world.database.db),
      this.world.first.app.ctx.secrets,
      applicationInputSchema.parse({
        redirectUris: [REDIRECT],
        postLogoutRedirectUris: [POST_LOGOUT],
        scenarios: ['s1', 's2', 's3'],
        ...input,
      }),
    );
    return { id: created.application.id, secret: created.clientSecret ?? undefined };
  }

  /** openid-client configured by discovery; http issuers need `allowInsecureRequests` (README). */
  async rp(app: RegisteredApp): Promise<client.Configuration> {
    return client.discovery(new URL(this.issuer), app.id, app.secret, app.secret === undefined ? client.None() : undefined, {
      execute: [client.allowInsecureRequests],
    });
  }

  /** Follows the browser from `start` until the redirect URI, a page it cannot answer, or an error. */
  async walk(browser: Browser, start: string, options: WalkOptions = {}): Promise<Landing> {
    this.visited = [];
    let url = start;
    for (let hop = 0; hop < 20; hop++) {
      if (url.startsWith(REDIRECT) || url.startsWith(POST_LOGOUT)) return { callback: new URL(url), url };
      // As a browser navigates: asking for HTML (the provider answers errors as JSON otherwise).
      const response = await browser.fetch(url, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
      const path = new URL(url).pathname;
      this.visited.push(path);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.body?.cancel();
        url = new URL(location, url).href;
        continue;
      }
      const body = await response.text();
      if (response.status === 200 && path === '/login' && options.stopAtLogin !== true && options.person !== undefined) {
        url = await this.#loginWithS2(browser, new URL(url), options.person, options.wechat ?? 'allow');
        continue;
      }
      if (
        response.status === 200 &&
        /^\/interaction\/[^/]+$/.test(path) &&
        body.includes('name="decision"') &&
        options.consent !== undefined
      ) {
        const answer = await browser.fetch(`${url}/consent`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `decision=${options.consent}`,
        });
        const next = answer.headers.get('location');
        if (next === null) throw new Error(`consent answered ${answer.status}: ${await answer.text()}`);
        url = new URL(next, url).href;
        continue;
      }
      return { url, response, body };
    }
    throw new Error(`too many redirects, last ${url}`);
  }

  /** The widget's S2 tab: qrconnect, answered on the phone; the URL WeChat sends the browser back to. */
  async #loginWithS2(browser: Browser, loginPage: URL, person: string, decision: 'allow' | 'deny'): Promise<string> {
    const query = new URLSearchParams({ returnTo: loginPage.searchParams.get('returnTo') ?? '/' });
    const clientId = loginPage.searchParams.get('client');
    if (clientId !== null) query.set('client', clientId);
    const start = await browser.fetch(`${this.issuer}/login/s2?${query}`);
    const qrconnect = start.headers.get('location');
    if (qrconnect === null) throw new Error(`no qrconnect redirect (${start.status})`);
    const back = await this.world.approve(person, new URL(qrconnect, this.issuer).href, decision);
    if (back === null) throw new Error('WeChat sent the browser nowhere');
    return back;
  }

  /** A full login for `app` through WeChat: the callback URL (fails the test when it does not end there). */
  async authorize(browser: Browser, config: client.Configuration, params: Record<string, string>, options: WalkOptions = {}) {
    const landing = await this.walk(browser, client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, ...params }).href, options);
    if (landing.callback === undefined)
      throw new Error(`ended at ${landing.url} (${landing.response?.status}): ${landing.body?.slice(0, 300)}`);
    return landing.callback;
  }
}

/** PKCE, state and nonce for one authorization request. */
export async function freshRequest(extra: Record<string, string> = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  return {
    verifier,
    state,
    nonce,
    params: {
      scope: 'openid',
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...extra,
    },
  };
}

/** The payload of a JWT (for reading claims the RP library already verified). */
export function jwtPayload(jwt: string): Record<string, unknown> {
  const [, payload = ''] = jwt.split('.');
  return z.record(z.string(), z.unknown()).parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
}

/** The hidden fields of a `response_mode=form_post` page. */
export function formPostFields(html: string): { action: string; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]+)"/i.exec(html)?.[1] ?? '';
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/gi)) {
    const [, name = '', value = ''] = match;
    fields[name] = value
      .replace(/&quot;/g, '"')
      .replace(/&#x27;|&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  }
  return { action: action.replace(/&amp;/g, '&'), fields };
}

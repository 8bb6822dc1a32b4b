/**
 * A real relying party (openid-client) against weunion's provider over HTTP: authorization code
 * with PKCE, the ID token validated against the JWKS, refresh with rotation, userinfo, revocation
 * and RP-initiated logout. Run on SQLite and (with DATABASE_URL) PostgreSQL.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { MemorySharedState, RedisSharedState } from '@weunion/state';
import type { FastifyInstance } from 'fastify';
import * as client from 'openid-client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { buildApp } from '../http/app.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { createUser } from '../identity/users.ts';
import { LoginSessions, SESSION_COOKIE } from '../login/sessions.ts';
import { SigningKeys } from '../signing/signing-keys.ts';
import type { Database } from '../storage/index.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';
import { freePort } from '../testing/free-port.ts';
import { applicationInputSchema, createApplication } from './applications.ts';
import { oidcDb } from './tables.ts';

/** A browser: follows nothing by itself, keeps cookies per name. */
class Browser {
  readonly cookies = new Map<string, string>();

  async get(url: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...init.headers, cookie: this.#header() } });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index);
      const value = pair.slice(index + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  #header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

function location(response: Response, base: string): string {
  const value = response.headers.get('location');
  if (value === null) throw new Error(`expected a redirect, got ${response.status}`);
  return new URL(value, base).href;
}

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`OIDC provider on ${backend.name}`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    let issuer: string;
    let userId: string;
    const redirectUri = 'http://127.0.0.1:9/callback';
    const postLogout = 'http://127.0.0.1:9/bye';

    beforeAll(async () => {
      database = await backend.open();
      const port = await freePort();
      issuer = `http://127.0.0.1:${port}`;
      const config = loadConfig({ PUBLIC_URL: issuer, DATA_DIR: `/tmp/weunion-oidc-test-${port}` });
      app = await buildApp(
        { config, database, state: new MemorySharedState() },
        {
          logger: pino({ level: 'silent' }),
        },
      );
      await app.listen({ port, host: '127.0.0.1' });
      const user = await createUser(database.db, { name: 'Alice', nickname: 'Alice 爱丽丝', phoneNumber: '+8613800000001' }, SYSTEM_ACTOR);
      userId = user.id;
      await createApplication(
        oidcDb(database.db),
        app.ctx.secrets,
        applicationInputSchema.parse({
          id: 'shop-spa',
          name: 'Shop',
          type: 'spa',
          redirectUris: [redirectUri],
          postLogoutRedirectUris: [postLogout],
        }),
      );
    });
    afterAll(async () => {
      await app?.close();
      await database?.dispose();
    });

    async function loggedInBrowser(): Promise<Browser> {
      const browser = new Browser();
      const sessions = new LoginSessions(app.ctx.state, { ttlMs: 60_000 });
      const { sessionId } = await sessions.create({ userId, method: 's2' });
      browser.cookies.set(SESSION_COOKIE, sessionId);
      return browser;
    }

    async function discover(): Promise<client.Configuration> {
      return client.discovery(new URL(issuer), 'shop-spa', undefined, client.None(), { execute: [client.allowInsecureRequests] });
    }

    /** Walks the browser through /auth → interactions → back to the redirect URI. */
    async function authorize(browser: Browser, config: client.Configuration, params: Record<string, string>): Promise<URL> {
      let url = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri, ...params }).href;
      for (let hop = 0; hop < 12; hop++) {
        if (url.startsWith(redirectUri)) return new URL(url);
        const response = await browser.get(url);
        if (response.status === 200 && url.includes('/interaction/')) {
          // The consent page: allow.
          const uid = new URL(url).pathname.split('/')[2] ?? '';
          const consent = await browser.get(`${issuer}/interaction/${uid}/consent`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: 'decision=allow',
          });
          url = location(consent, issuer);
          continue;
        }
        url = location(response, issuer);
      }
      throw new Error('too many redirects');
    }

    it('publishes discovery with the issuer, PKCE S256 and the WeChat scope', async () => {
      const response = await fetch(`${issuer}/.well-known/openid-configuration`);
      const metadata = await response.json();
      expect(metadata).toMatchObject({
        issuer,
        jwks_uri: `${issuer}/jwks`,
        code_challenge_methods_supported: ['S256'],
        response_types_supported: ['code'],
      });
      expect(metadata.scopes_supported).toEqual(
        expect.arrayContaining(['openid', 'profile', 'phone', 'email', 'wechat', 'offline_access']),
      );
    });

    it('a public client cannot start a login without PKCE', async () => {
      const config = await discover();
      const browser = await loggedInBrowser();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid', state: 'x' });
      const response = await browser.get(url.href);
      const target = new URL(location(response, issuer));
      expect(target.href.startsWith(redirectUri)).toBe(true);
      expect(target.searchParams.get('error')).toBe('invalid_request');
    });

    it('a redirect URI off the allowlist is refused without redirecting there', async () => {
      const config = await discover();
      const browser = await loggedInBrowser();
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: 'https://evil.example/cb',
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const response = await browser.get(url.href);
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
    });

    it('code + PKCE through a logged-in session: tokens, ID token verified with the JWKS, refresh rotation, userinfo, logout', async () => {
      const config = await discover();
      const browser = await loggedInBrowser();
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const callback = await authorize(browser, config, {
        scope: 'openid profile phone offline_access',
        prompt: 'consent',
        state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
      const claims = tokens.claims();
      expect(claims?.sub).toBe(userId);
      expect(claims?.iss).toBe(issuer);
      expect(claims?.aud).toBe('shop-spa');
      // The ID token itself carries the granted scopes' claims, like the app-scenario ID tokens.
      expect(claims).toMatchObject({ name: 'Alice', nickname: 'Alice 爱丽丝', phone_number: '+8613800000001' });
      expect(tokens.refresh_token).toBeDefined();

      const userinfo = await client.fetchUserInfo(config, tokens.access_token, userId);
      expect(userinfo).toMatchObject({ sub: userId, name: 'Alice', nickname: 'Alice 爱丽丝', phone_number: '+8613800000001' });

      const oldRefresh = tokens.refresh_token ?? '';
      const refreshed = await client.refreshTokenGrant(config, oldRefresh);
      expect(refreshed.refresh_token).toBeDefined();
      expect(refreshed.refresh_token).not.toBe(oldRefresh);
      expect(refreshed.claims()?.sub).toBe(userId);
      // Rotation: the old refresh token is spent.
      await expect(client.refreshTokenGrant(config, oldRefresh)).rejects.toThrow();

      await client.tokenRevocation(config, refreshed.refresh_token ?? '');
      await expect(client.refreshTokenGrant(config, refreshed.refresh_token ?? '')).rejects.toThrow();

      // RP-initiated logout ends the provider session and the weunion login session.
      const endUrl = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: postLogout });
      const confirmPage = await browser.get(endUrl.href);
      const html = await confirmPage.text();
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
      expect(xsrf).toBeDefined();
      const confirmed = await browser.get(`${issuer}/session/end/confirm`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ xsrf: xsrf ?? '', logout: 'yes' }).toString(),
      });
      expect(location(confirmed, issuer)).toContain(postLogout);
      expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
    });

    it('after a key rotation the running provider signs with the new key, without a restart', async () => {
      const config = await discover();
      const login = async () => {
        const verifier = client.randomPKCECodeVerifier();
        const state = client.randomState();
        const callback = await authorize(await loggedInBrowser(), config, {
          scope: 'openid',
          state,
          code_challenge: await client.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        });
        const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
        const header = JSON.parse(Buffer.from((tokens.id_token ?? '').split('.')[0] ?? '', 'base64url').toString('utf8')) as {
          kid: string;
        };
        return header.kid;
      };
      const before = await login();
      const rotated = await new SigningKeys(database, app.ctx.secrets, { publishDelayMs: 0 }).rotate();
      await app.signingKeys.refresh();
      const after = await login();
      expect(before).not.toBe(rotated.kid);
      expect(after).toBe(rotated.kid);
    });

    it('a replayed authorization code is refused and revokes the tokens it issued', async () => {
      const config = await discover();
      const browser = await loggedInBrowser();
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const callback = await authorize(browser, config, {
        scope: 'openid',
        state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
      expect((await fetch(`${issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(200);
      await expect(client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state })).rejects.toThrow();
      expect((await fetch(`${issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
    });

    it('without a weunion login session the browser is sent to the hosted login page, coming back afterwards', async () => {
      const config = await discover();
      const browser = new Browser();
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const interaction = location(await browser.get(url.href), issuer);
      const login = new URL(location(await browser.get(interaction), issuer));
      expect(login.pathname).toBe('/login');
      expect(login.searchParams.get('returnTo')).toBe(new URL(interaction).pathname);
      expect(login.searchParams.get('client')).toBe('shop-spa');
    });
  });
}

const postgresUrl = process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : undefined;
const redisUrl = process.env.REDIS_URL;
const postgres = databaseBackends.find((b) => b.name === 'postgres');

describe.skipIf(postgresUrl === undefined || redisUrl === undefined)('OIDC across two instances (PostgreSQL + Redis)', () => {
  it('an authorization started on one instance completes on the other', async () => {
    if (postgres === undefined) throw new Error('no postgres backend');
    const database = await postgres.open();
    const sibling = await database.openSibling();
    const prefix = `test:${randomUUID()}:`;
    const stateA = new RedisSharedState({ url: redisUrl ?? '', prefix });
    const stateB = new RedisSharedState({ url: redisUrl ?? '', prefix });
    await Promise.all([stateA.connect(), stateB.connect()]);
    const [portA, portB] = [await freePort(), await freePort()];
    // One issuer (as behind a load balancer); each instance listens on its own port.
    const issuer = `http://127.0.0.1:${portA}`;
    const masterKey = randomBytes(32).toString('base64');
    const start = async (db: Database, state: RedisSharedState, port: number) => {
      const config = loadConfig({ PUBLIC_URL: issuer, MASTER_KEY: masterKey });
      const app = await buildApp(
        { config, database: db, state },
        {
          logger: pino({ level: 'silent' }),
        },
      );
      await app.listen({ port, host: '127.0.0.1' });
      return app;
    };
    const first = await start(database, stateA, portA);
    const second = await start(sibling, stateB, portB);
    try {
      const user = await createUser(database.db, { name: 'Bob' }, SYSTEM_ACTOR);
      await createApplication(
        oidcDb(database.db),
        first.ctx.secrets,
        applicationInputSchema.parse({ id: 'lb-app', name: 'LB', type: 'spa', redirectUris: ['http://127.0.0.1:9/cb'] }),
      );
      const browser = new Browser();
      const { sessionId } = await new LoginSessions(stateA, { ttlMs: 60_000 }).create({ userId: user.id, method: 's2' });
      browser.cookies.set(SESSION_COOKIE, sessionId);
      const config = await client.discovery(new URL(issuer), 'lb-app', undefined, client.None(), {
        execute: [client.allowInsecureRequests],
      });
      const verifier = client.randomPKCECodeVerifier();
      const authUrl = client.buildAuthorizationUrl(config, {
        redirect_uri: 'http://127.0.0.1:9/cb',
        scope: 'openid',
        state: 's',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      // /auth on the first instance; every following hop on the second.
      const onSecond = (url: string) => url.replace(`:${portA}`, `:${portB}`);
      let url = location(await browser.get(authUrl.href), issuer);
      for (let hop = 0; hop < 6 && !url.startsWith('http://127.0.0.1:9/cb'); hop++) {
        url = location(await browser.get(onSecond(url)), issuer);
      }
      expect(url.startsWith('http://127.0.0.1:9/cb')).toBe(true);
      const secondConfig = await client.discovery(new URL(issuer), 'lb-app', undefined, client.None(), {
        execute: [client.allowInsecureRequests],
      });
      const tokens = await client.authorizationCodeGrant(secondConfig, new URL(url), { pkceCodeVerifier: verifier, expectedState: 's' });
      expect(tokens.claims()?.sub).toBe(user.id);
    } finally {
      await Promise.all([first.close(), second.close()]);
      await Promise.all([stateA.close(), stateB.close(), sibling.close()]);
      await database.dispose();
    }
  });
});

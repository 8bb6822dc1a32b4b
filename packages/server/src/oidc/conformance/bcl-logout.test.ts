/**
 * OIDC Back-Channel Logout 1.0, after the cases of the OpenID Foundation's back-channel logout OP
 * test plan (oidcc-backchannel-rp-initiated-logout and its companions): a real relying party
 * (openid-client) logs a person in through the hosted page with WeChat (sandbox), RP-initiated
 * logout ends the session, and every application of that session gets a logout token it can
 * validate (typ, iss, aud, iat/exp, jti, sub, sid = the ID token's sid, the event, no nonce). An
 * admin blocking, deleting or merging the person away logs them out of every application they
 * used. Failed deliveries are retried, then given up and recorded. On embedded and scale-out storage.
 */
import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminKey } from '../../admin-keys/store.ts';
import { SYSTEM_ACTOR } from '../../identity/audit.ts';
import { createUser } from '../../identity/users.ts';
import { importPeople } from '../../import/run.ts';
import { Browser, storageModes } from '../../login/test-harness.ts';
import { waitUntil } from '../../testing/process-cluster.ts';
import { BACKCHANNEL_LOGOUT_EVENT, LogoutDeliveries } from '../backchannel-logout.ts';
import { oidcDb } from '../tables.ts';
import { authorizeInBrowser, LoginWorld, LogoutReceiver, logoutInBrowser, registerApplication } from './rp-harness.ts';

const SHOP = 'http://127.0.0.1:9/shop/cb';
const BLOG = 'http://127.0.0.1:9/blog/cb';
const NEWS = 'http://127.0.0.1:9/news/cb';
const BYE = 'http://127.0.0.1:9/shop/bye';
const LEGACY = 'http://127.0.0.1:9/legacy/cb';

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`back-channel logout: ${mode.name}`, () => {
    let world: LoginWorld;
    let receiver: LogoutReceiver;
    let issuer: string;
    let adminKey: string;
    const secrets = new Map<string, string>();

    beforeAll(async () => {
      world = await LoginWorld.start(mode);
      issuer = world.first.url;
      receiver = await LogoutReceiver.start();
      adminKey = (await createAdminKey(world.database.db, 'bcl-tests', SYSTEM_ACTOR)).key;
      for (const [id, redirect, bcl, alg] of [
        ['bcl-shop', SHOP, '/shop', null],
        ['bcl-blog', BLOG, '/blog', 'RS256'],
        ['bcl-news', NEWS, null, null],
        ['bcl-legacy', LEGACY, '/legacy', null],
      ] as const) {
        const { clientSecret } = await registerApplication(world, {
          id,
          name: id,
          type: 'web',
          redirectUris: [redirect],
          postLogoutRedirectUris: id === 'bcl-shop' ? [BYE] : [],
          backchannelLogoutUri: bcl === null ? null : receiver.url(bcl),
          idTokenSignedResponseAlg: alg,
          ...(id === 'bcl-legacy' ? { subjectType: 'external' } : {}),
        });
        secrets.set(id, clientSecret ?? '');
      }
    });
    afterAll(async () => {
      await world?.close();
      await receiver?.close();
    });

    const discover = (clientId: string) =>
      client.discovery(new URL(issuer), clientId, secrets.get(clientId), undefined, { execute: [client.allowInsecureRequests] });

    /** One login of `clientId` in `browser` (a WeChat login when the browser has no weunion session yet). */
    async function login(browser: Browser, clientId: string, redirectUri: string, personId: string) {
      const config = await discover(clientId);
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid',
        state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const callback = await authorizeInBrowser(world, browser, url.href, redirectUri, personId);
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
      const claims = tokens.claims();
      if (claims === undefined) throw new Error('no ID token');
      return { config, tokens, claims };
    }

    /** What a relying party checks on a logout token (Back-Channel Logout 1.0, 2.6). */
    async function validLogoutToken(token: string | null, audience: string): Promise<JWTPayload> {
      if (token === null) throw new Error('no logout_token');
      const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(`${issuer}/jwks`)), {
        issuer,
        audience,
        typ: 'logout+jwt',
        requiredClaims: ['iat', 'exp', 'jti', 'events'],
      });
      expect(protectedHeader.alg).not.toBe('none');
      expect(payload.events).toEqual({ [BACKCHANNEL_LOGOUT_EVENT]: {} });
      expect(payload).not.toHaveProperty('nonce');
      expect(typeof payload.sub === 'string' || typeof payload.sid === 'string').toBe(true);
      return payload;
    }

    const deliveries = async (accountId: string) =>
      oidcDb(world.database.db).selectFrom('oidc_logout_deliveries').selectAll().where('account_id', '=', accountId).execute();

    it('discovery advertises back-channel logout with sessions', async () => {
      const metadata = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
      expect(metadata).toMatchObject({ backchannel_logout_supported: true, backchannel_logout_session_supported: true });
    });

    it('RP-initiated logout: every application of the session gets a valid logout token with its sid; one without a URI gets none', async () => {
      const browser = new Browser();
      const person = await world.person('Logout Lou');
      const shop = await login(browser, 'bcl-shop', SHOP, person);
      // Single sign-on: the second and third applications reuse the session, no WeChat step.
      const blog = await login(browser, 'bcl-blog', BLOG, person);
      await login(browser, 'bcl-news', NEWS, person);
      expect(typeof shop.claims.sid).toBe('string');
      expect(blog.claims.sub).toBe(shop.claims.sub);
      const before = receiver.received.length;

      const state = randomUUID();
      const endSession = client.buildEndSessionUrl(shop.config, {
        id_token_hint: shop.tokens.id_token ?? '',
        post_logout_redirect_uri: BYE,
        state,
      });
      const confirmed = await logoutInBrowser(browser, endSession.href, { everywhere: true });
      const back = new URL(confirmed.headers.get('location') ?? '');
      expect(`${back.origin}${back.pathname}`).toBe(BYE);
      expect(back.searchParams.get('state')).toBe(state);

      const [toShop] = (await receiver.waitFor('/shop', 1)).filter((_, i) => i >= 0).slice(-1);
      const [toBlog] = (await receiver.waitFor('/blog', 1)).slice(-1);
      expect(toShop?.contentType).toBe('application/x-www-form-urlencoded');
      const shopToken = await validLogoutToken(toShop?.logoutToken ?? null, 'bcl-shop');
      expect(shopToken).toMatchObject({ sub: shop.claims.sub, sid: shop.claims.sid });
      const blogToken = await validLogoutToken(toBlog?.logoutToken ?? null, 'bcl-blog');
      expect(blogToken).toMatchObject({ sub: blog.claims.sub, sid: blog.claims.sid });
      // Signed as each application asked its ID tokens to be.
      expect(decodeProtectedHeader(toShop?.logoutToken ?? '').alg).toBe('ES256');
      expect(decodeProtectedHeader(toBlog?.logoutToken ?? '').alg).toBe('RS256');
      expect(receiver.received.length - before).toBe(2);

      // The deliverer marks a delivery done once the application answered, a moment after the
      // receiver saw the request.
      const delivered = async () => (await deliveries(shop.claims.sub)).filter((r) => r.status === 'delivered');
      await waitUntil('both logout deliveries are marked delivered', async () => (await delivered()).length >= 2);
      const rows = await deliveries(shop.claims.sub);
      expect(
        rows
          .filter((r) => r.status === 'delivered')
          .map((r) => r.client_id)
          .sort(),
      ).toEqual(['bcl-blog', 'bcl-shop']);
      expect(rows.every((r) => r.reason === 'logout')).toBe(true);

      // The session is over: the next authorization needs a WeChat login again.
      const again = await client.buildAuthorizationUrl(shop.config, {
        redirect_uri: SHOP,
        scope: 'openid',
        state: 'x',
        code_challenge: 'a'.repeat(43),
        code_challenge_method: 'S256',
      });
      await expect(authorizeInBrowser(world, browser, again.href, SHOP)).rejects.toThrow(/login page appeared/);
    });

    it('a logout with a tampered id_token_hint is refused, sends nothing and leaves the session', async () => {
      const browser = new Browser();
      const person = await world.person('Tamper Tess');
      const shop = await login(browser, 'bcl-shop', SHOP, person);
      const [header, payload] = (shop.tokens.id_token ?? '').split('.');
      const tampered = `${header}.${payload}.${'A'.repeat(86)}`;
      const before = receiver.received.length;
      const response = await browser.fetch(
        client.buildEndSessionUrl(shop.config, { id_token_hint: tampered, post_logout_redirect_uri: BYE }).href,
      );
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('invalid_request');
      // Still logged in: the next login needs no WeChat step.
      await login(browser, 'bcl-shop', SHOP, 'nobody');
      expect(receiver.received.length).toBe(before);
      expect(await deliveries(shop.claims.sub)).toEqual([]);
    });

    it('logging out of only the requesting application sends a logout token to it alone', async () => {
      const browser = new Browser();
      const person = await world.person('Partial Pat');
      const shop = await login(browser, 'bcl-shop', SHOP, person);
      await login(browser, 'bcl-blog', BLOG, person);
      await logoutInBrowser(browser, client.buildEndSessionUrl(shop.config, { id_token_hint: shop.tokens.id_token ?? '' }).href, {
        everywhere: false,
      });
      const rows = await deliveries(shop.claims.sub);
      expect(rows.map((r) => r.client_id)).toEqual(['bcl-shop']);
    });

    async function admin(method: string, path: string, body?: unknown): Promise<number> {
      const response = await fetch(`${issuer}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      await response.body?.cancel();
      return response.status;
    }

    for (const [reason, act] of [
      ['blocked', (userId: string) => admin('POST', `/users/${userId}/block`)],
      ['deleted', (userId: string) => admin('DELETE', `/users/${userId}`)],
    ] as const) {
      it(`an admin action (${reason}) logs the person out of every application they used, without sid`, async () => {
        const browser = new Browser();
        const person = await world.person(`Admin ${reason}`);
        const shop = await login(browser, 'bcl-shop', SHOP, person);
        await login(browser, 'bcl-blog', BLOG, person);
        const userId = String(shop.claims.sub);
        const shopBefore = receiver.received.filter((r) => r.path === '/shop').length;
        const blogBefore = receiver.received.filter((r) => r.path === '/blog').length;
        expect(await act(userId)).toBeLessThan(300);
        const toShop = (await receiver.waitFor('/shop', shopBefore + 1)).at(-1);
        const toBlog = (await receiver.waitFor('/blog', blogBefore + 1)).at(-1);
        const shopToken = await validLogoutToken(toShop?.logoutToken ?? null, 'bcl-shop');
        expect(shopToken.sub).toBe(userId);
        expect(shopToken).not.toHaveProperty('sid');
        expect((await validLogoutToken(toBlog?.logoutToken ?? null, 'bcl-blog')).sub).toBe(userId);
        const rows = await deliveries(userId);
        expect(rows.map((r) => [r.client_id, r.reason]).sort()).toEqual([
          ['bcl-blog', reason],
          ['bcl-shop', reason],
        ]);
      });
    }

    it('an application that sees imported ids as sub (subjectType external) gets logout tokens with that sub', async () => {
      const browser = new Browser();
      const person = await world.person('Imported');
      const first = await login(browser, 'bcl-shop', SHOP, person);
      const userId = String(first.claims.sub);
      await importPeople(
        world.database,
        JSON.stringify([{ id: userId, externalId: { source: 'authing', id: 'ext-logout-0001' } }]),
        'json',
        {
          actor: SYSTEM_ACTOR,
          dryRun: false,
        },
      );
      expect((await login(browser, 'bcl-legacy', LEGACY, person)).claims.sub).toBe('ext-logout-0001');
      const before = receiver.received.filter((r) => r.path === '/legacy').length;
      expect(await admin('POST', `/users/${userId}/block`)).toBe(200);
      const toLegacy = (await receiver.waitFor('/legacy', before + 1)).at(-1);
      expect((await validLogoutToken(toLegacy?.logoutToken ?? null, 'bcl-legacy')).sub).toBe('ext-logout-0001');
    });

    it('merging a person away logs the source out of its applications; nothing is sent for the target', async () => {
      const sourceBrowser = new Browser();
      const source = await login(sourceBrowser, 'bcl-blog', BLOG, await world.person('Merge Source'));
      // The target: an account made by an admin (two WeChat identities of one app cannot share an account).
      const target = await createUser(world.database.db, { name: 'Merge Target' }, SYSTEM_ACTOR);
      const blogBefore = receiver.received.filter((r) => r.path === '/blog').length;
      expect(await admin('POST', `/users/${target.id}/merge`, { sourceUserId: source.claims.sub })).toBe(201);
      const toBlog = (await receiver.waitFor('/blog', blogBefore + 1)).at(-1);
      expect((await validLogoutToken(toBlog?.logoutToken ?? null, 'bcl-blog')).sub).toBe(source.claims.sub);
      expect((await deliveries(String(source.claims.sub))).map((r) => r.reason)).toEqual(['merged']);
      expect(await deliveries(target.id)).toEqual([]);
    });

    it('a failed delivery is retried with backoff until the application takes it, then recorded as delivered', async () => {
      const browser = new Browser();
      const shop = await login(browser, 'bcl-shop', SHOP, await world.person('Retry Rita'));
      const userId = String(shop.claims.sub);
      const arrived = receiver.received.filter((r) => r.path === '/shop').length;
      receiver.statuses.push(503);
      expect(await admin('POST', `/users/${userId}/block`)).toBe(200);
      await receiver.waitFor('/shop', arrived + 1);
      // The first attempt failed and waits for its retry; a worker whose clock is past the backoff sends it.
      let row = (await deliveries(userId))[0];
      for (let turn = 0; turn < 100 && row?.attempts !== 1; turn++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        row = (await deliveries(userId))[0];
      }
      expect(row).toMatchObject({ status: 'pending', attempts: 1, last_error: 'HTTP 503' });
      const later = laterWorker(() => (row?.next_attempt_at ?? 0) + 1);
      expect(await later.deliverDue()).toBe(1);
      expect((await deliveries(userId))[0]).toMatchObject({ status: 'delivered', attempts: 2, last_error: null });
      expect(receiver.received.filter((r) => r.path === '/shop').length).toBe(arrived + 2);
    });

    it('a delivery the application keeps refusing is given up after the last attempt and recorded as failed', async () => {
      const browser = new Browser();
      const shop = await login(browser, 'bcl-shop', SHOP, await world.person('Refused Rob'));
      const userId = String(shop.claims.sub);
      receiver.statuses.push(...Array.from({ length: 20 }, () => 400));
      expect(await admin('POST', `/users/${userId}/block`)).toBe(200);
      let clock = Date.now();
      const later = laterWorker(() => clock);
      for (let turn = 0; turn < 200; turn++) {
        const [row] = await deliveries(userId);
        if (row?.status === 'failed') break;
        clock = Math.max(clock, (row?.next_attempt_at ?? clock) + 1);
        await later.deliverDue();
      }
      receiver.statuses.length = 0;
      const [row] = await deliveries(userId);
      expect(row).toMatchObject({ status: 'failed', attempts: 8, last_error: 'HTTP 400' });
    });

    it('finished deliveries are kept as the record for 30 days, then pruned; pending ones stay', async () => {
      const before = await oidcDb(world.database.db).selectFrom('oidc_logout_deliveries').select(['id', 'status', 'updated_at']).execute();
      const finished = before.filter((r) => r.status !== 'pending');
      expect(finished.length).toBeGreaterThan(0);
      const newest = Math.max(...finished.map((r) => r.updated_at));
      await laterWorker(() => newest + 29 * 24 * 3600_000).deliverDue();
      expect(await oidcDb(world.database.db).selectFrom('oidc_logout_deliveries').select('id').execute()).toHaveLength(before.length);
      await laterWorker(() => newest + 31 * 24 * 3600_000).deliverDue();
      const remaining = new Set(
        (await oidcDb(world.database.db).selectFrom('oidc_logout_deliveries').select('id').execute()).map((r) => r.id),
      );
      expect(finished.filter((r) => remaining.has(r.id))).toEqual([]);
      for (const row of before.filter((r) => r.status === 'pending')) expect(remaining.has(row.id)).toBe(true);
    });

    /** A delivery worker like every instance's, with its own clock. */
    function laterWorker(now: () => number): LogoutDeliveries {
      const app = world.first.app;
      return new LogoutDeliveries({
        db: oidcDb(world.database.db),
        state: world.state,
        secrets: app.ctx.secrets,
        signingKeys: app.signingKeys,
        issuer,
        logger: app.log,
        now,
      });
    }
  });
}

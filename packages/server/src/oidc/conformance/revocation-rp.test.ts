/**
 * Token revocation (RFC 7009) as two widely used client libraries call it, with no workaround on
 * their side: oidc-client-ts `revokeToken` (a public SPA, from its origin, with CORS) and
 * simple-oauth2 `revoke` / `revokeAll` (a confidential web application). After revocation the
 * token is dead at userinfo and introspection; revoking a token twice, or an unknown one, is not
 * an error (RFC 7009, 2.2); a client cannot revoke another client's token. A real WeChat login
 * (sandbox) through the hosted page comes first. On embedded and scale-out storage.
 */
import { InMemoryWebStorage, OidcClient, WebStorageStateStore } from 'oidc-client-ts';
import { AuthorizationCode } from 'simple-oauth2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, storageModes } from '../../login/test-harness.ts';
import { authorizeInBrowser, LoginWorld, registerApplication } from './rp-harness.ts';

const SPA_ORIGIN = 'http://localhost:5173';
const SPA_REDIRECT = `${SPA_ORIGIN}/cb`;
const WEB_REDIRECT = 'http://127.0.0.1:9/web/cb';

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`revocation with oidc-client-ts and simple-oauth2: ${mode.name}`, () => {
    let world: LoginWorld;
    let issuer: string;
    let webSecret: string;
    let person: string;
    const browser = new Browser();

    beforeAll(async () => {
      world = await LoginWorld.start(mode);
      issuer = world.first.url;
      person = await world.person('Revoke Rui');
      await registerApplication(world, { id: 'rev-spa', name: 'SPA', type: 'spa', redirectUris: [SPA_REDIRECT] });
      webSecret =
        (await registerApplication(world, { id: 'rev-web', name: 'Web', type: 'web', redirectUris: [WEB_REDIRECT] })).clientSecret ?? '';
    });
    afterAll(async () => {
      await world?.close();
    });

    /** Whether the provider still takes `token` (userinfo for access tokens). */
    const userinfoStatus = async (accessToken: string) => {
      const response = await fetch(`${issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
      await response.body?.cancel();
      return response.status;
    };

    /** fetch as a page on the SPA's origin would: with Origin, refusing what CORS does not allow. */
    const nodeFetch = globalThis.fetch;
    const spaFetch: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('origin', SPA_ORIGIN);
      const response = await nodeFetch(input, { ...init, headers });
      const allowed = response.headers.get('access-control-allow-origin');
      if (allowed !== SPA_ORIGIN && allowed !== '*') throw new TypeError(`CORS: ${String(input)} does not allow ${SPA_ORIGIN}`);
      return response;
    };

    /** Runs `work` as code on the SPA's page: every fetch it makes carries the SPA's Origin and obeys CORS. */
    async function asSpa<T>(work: () => Promise<T>): Promise<T> {
      globalThis.fetch = spaFetch;
      try {
        return await work();
      } finally {
        globalThis.fetch = nodeFetch;
      }
    }

    it('oidc-client-ts revokeToken from the SPA origin revokes the access token', async () => {
      const oidc = new OidcClient({
        authority: issuer,
        client_id: 'rev-spa',
        redirect_uri: SPA_REDIRECT,
        scope: 'openid profile',
        stateStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
      });
      const request = await asSpa(() => oidc.createSigninRequest({ state: undefined }));
      const callback = await authorizeInBrowser(world, browser, request.url, SPA_REDIRECT, person);
      const { access_token: accessToken } = await asSpa(() => oidc.processSigninResponse(callback.href));
      expect(await userinfoStatus(accessToken)).toBe(200);
      await asSpa(() => oidc.revokeToken(accessToken, 'access_token'));
      expect(await userinfoStatus(accessToken)).toBe(401);
      // Twice is fine: a revoked (or unknown) token is not an error (RFC 7009, 2.2).
      await asSpa(() => oidc.revokeToken(accessToken, 'access_token'));
    });

    it('a page on an origin the SPA did not register cannot call revocation for it', async () => {
      const response = await fetch(`${issuer}/token/revocation`, {
        method: 'POST',
        headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: 'rev-spa', token: 'whatever' }).toString(),
      });
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.status).toBe(400);
    });

    async function webLogin() {
      const oauth2 = new AuthorizationCode({
        client: { id: 'rev-web', secret: webSecret },
        auth: { tokenHost: issuer, tokenPath: '/token', authorizePath: '/auth', revokePath: '/token/revocation' },
      });
      const state = 'simple-state';
      // simple-oauth2 passes parameters it has no type for as they are: prompt=consent, for a refresh token.
      const params: Parameters<typeof oauth2.authorizeURL>[0] & { prompt: string } = {
        redirect_uri: WEB_REDIRECT,
        scope: 'openid offline_access',
        state,
        prompt: 'consent',
      };
      const url = oauth2.authorizeURL(params);
      const callback = await authorizeInBrowser(world, browser, url, WEB_REDIRECT, person);
      expect(callback.searchParams.get('state')).toBe(state);
      const token = await oauth2.getToken({ code: callback.searchParams.get('code') ?? '', redirect_uri: WEB_REDIRECT });
      return { oauth2, token };
    }

    it('simple-oauth2 revoke and revokeAll revoke the access and refresh tokens', async () => {
      const { token } = await webLogin();
      const accessToken = String(token.token.access_token);
      expect(await userinfoStatus(accessToken)).toBe(200);
      await token.revoke('access_token');
      expect(await userinfoStatus(accessToken)).toBe(401);

      const second = await webLogin();
      expect(second.token.token.refresh_token).toEqual(expect.any(String));
      await second.token.revokeAll();
      expect(await userinfoStatus(String(second.token.token.access_token))).toBe(401);
      await expect(second.token.refresh()).rejects.toThrow();
    });

    it("a client cannot revoke another client's token", async () => {
      const { token } = await webLogin();
      const accessToken = String(token.token.access_token);
      // A public client proves nothing about itself: it gets the answer an unknown token gets, so
      // revocation tells it nothing about whether the token exists.
      const asPublic = await fetch(`${issuer}/token/revocation`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: 'rev-spa', token: accessToken }).toString(),
      });
      expect(asPublic.status).toBe(200);
      await asPublic.body?.cancel();
      expect(await userinfoStatus(accessToken)).toBe(200);
      // An authenticated client is refused (RFC 7009, 2.1).
      const other = await registerApplication(world, {
        id: `rev-other-${mode.name}`,
        name: 'Other',
        type: 'web',
        redirectUris: [WEB_REDIRECT],
      });
      const asConfidential = await fetch(`${issuer}/token/revocation`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${other.application.id}:${other.clientSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ token: accessToken }).toString(),
      });
      expect(asConfidential.status).toBe(400);
      expect((await asConfidential.json()).error).toBe('invalid_request');
      expect(await userinfoStatus(accessToken)).toBe(200);
    });
  });
}

/**
 * The whole way an OIDC application gets a WeChat login, with no WeChat code of its own: a real
 * relying party (openid-client) sends the browser to weunion; the hosted login page offers S2;
 * the person approves on the (sandbox) phone; the browser comes back through the interaction to
 * the application's redirect URI; the code is exchanged with PKCE and the ID token validated
 * against the JWKS. On embedded and scale-out storage.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, demo, LoginWorld, storageModes } from '../login/test-harness.ts';
import { applicationInputSchema, createApplication } from './applications.ts';
import { oidcDb } from './tables.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`OIDC login through the hosted page and S2: ${mode.name}`, () => {
    let world: LoginWorld;
    let clientSecret: string;
    beforeAll(async () => {
      world = await LoginWorld.start(mode);
      const created = await createApplication(
        oidcDb(world.database.db),
        world.first.app.ctx.secrets,
        applicationInputSchema.parse({
          id: 'shop-web',
          name: 'Shop',
          type: 'web',
          redirectUris: [REDIRECT],
          scenarios: ['s1', 's2', 's3'],
        }),
      );
      clientSecret = created.clientSecret ?? '';
    });
    afterAll(async () => {
      await world?.close();
    });

    it('a confidential application logs a person in with WeChat and reads their WeChat identities', async () => {
      const issuer = world.first.url;
      const config = await client.discovery(new URL(issuer), 'shop-web', clientSecret, undefined, {
        execute: [client.allowInsecureRequests],
      });
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const authorizationUrl = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid profile wechat',
        state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const browser = new Browser();
      const person = await world.person('Erin');

      // No session yet: the provider sends the browser to the hosted login page, which offers S2.
      const landed = await browser.navigate(authorizationUrl.href);
      const loginPage = new URL(landed.url);
      expect(loginPage.pathname).toBe('/login');
      const page = await landed.response.text();
      expect(page).toContain('data-way="s2"');
      expect(page).toContain('data-way="s1"');
      expect(page).toContain('data-way="s3"');
      const returnTo = loginPage.searchParams.get('returnTo') ?? '';
      expect(returnTo).toMatch(/^\/interaction\//);

      // S2 (the page draws WeChat's QR inline; here the redirect variant): WeChat's QR page, approved on the phone.
      const s2 = await browser.fetch(`${issuer}/login/s2?${new URLSearchParams({ returnTo })}`);
      const qrconnect = s2.headers.get('location') ?? '';
      expect(qrconnect).toContain('/connect/qrconnect');
      const callback = await world.approve(person, qrconnect);
      expect(callback).not.toBeNull();

      // Back through the interaction to the application.
      let url = callback ?? '';
      for (let hop = 0; hop < 8 && !url.startsWith(REDIRECT); hop++) {
        const response = await browser.fetch(url);
        const next = response.headers.get('location');
        if (next === null) throw new Error(`stuck at ${url} (${response.status}): ${await response.text()}`);
        url = new URL(next, url).href;
      }
      expect(url.startsWith(REDIRECT)).toBe(true);

      const tokens = await client.authorizationCodeGrant(config, new URL(url), { pkceCodeVerifier: verifier, expectedState: state });
      const sub = tokens.claims()?.sub ?? '';
      expect(sub).toMatch(/^usr/);
      const userinfo = await client.fetchUserInfo(config, tokens.access_token, sub);
      expect(userinfo.nickname).toBe('Erin');
      const identities = userinfo.wechat_identities;
      expect(Array.isArray(identities)).toBe(true);
      expect(identities).toEqual([
        expect.objectContaining({ appid: demo('website').appid, app_type: 'website', unionid: expect.any(String) }),
      ]);
      // The ID token carries the claims of the granted scopes too (the identities are read for it).
      expect(tokens.claims()?.wechat_identities).toEqual(identities);
    });
  });
}

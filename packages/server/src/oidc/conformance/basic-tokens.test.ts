/**
 * Basic and Config OP plans, the token side, with oauth4webapi as the relying party (a second RP
 * library beside openid-client): oidcc-server, oidcc-userinfo-get/post-header/post-body,
 * oidcc-refresh-token (first-party applications get `offline_access` with no consent page;
 * third-party ones see it listed on consent), oidcc-ensure-request-without-nonce-succeeds-for-code-flow,
 * oidcc-ensure-request-with-unknown-parameter-succeeds, oidcc-ensure-other-scope-order-succeeds,
 * oidcc-scope-profile/phone, oidcc-server-rotate-keys. Through the real hosted login (S2 on the sandbox).
 */
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SigningKeys } from '../../signing/signing-keys.ts';
import { Browser, freshRequest, jwtPayload, OidcWorld, REDIRECT, type RegisteredApp, storageModes } from './harness.ts';

const insecure = { [oauth.allowInsecureRequests]: true } as const;

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`OIDC Basic OP: tokens and userinfo with oauth4webapi (${mode.name})`, () => {
    let oidc: OidcWorld;
    let as: oauth.AuthorizationServer;
    let web: RegisteredApp;
    let partner: RegisteredApp;

    beforeAll(async () => {
      oidc = await OidcWorld.start(mode);
      web = await oidc.register({ id: 'shop-web', name: 'Shop', type: 'web' });
      partner = await oidc.register({ id: 'partner-web', name: 'Partner', type: 'web', firstParty: false });
      const issuer = new URL(oidc.issuer);
      as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
    });
    afterAll(async () => {
      await oidc?.close();
    });

    /** Walks a login for `app` and exchanges the code; `consent` answers a consent page if one shows. */
    async function login(app: RegisteredApp, browser: Browser, extra: Record<string, string> = {}, options: { consent?: 'allow' } = {}) {
      const client: oauth.Client = { client_id: app.id };
      const request = await freshRequest(extra);
      const url = new URL(as.authorization_endpoint ?? '');
      for (const [name, value] of Object.entries({ client_id: app.id, redirect_uri: REDIRECT, response_type: 'code', ...request.params })) {
        if (value !== '') url.searchParams.set(name, value);
      }
      if (extra.nonce === '') url.searchParams.delete('nonce');
      const landing = await oidc.walk(browser, url.href, { person: await oidc.world.person('Tess'), ...options });
      if (landing.callback === undefined) throw new Error(`ended at ${landing.url}: ${landing.body?.slice(0, 200)}`);
      const visited = [...oidc.visited];
      const params = oauth.validateAuthResponse(as, client, landing.callback, request.state);
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic(app.secret ?? ''),
        params,
        REDIRECT,
        request.verifier,
        insecure,
      );
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
        expectedNonce: extra.nonce === '' ? oauth.expectNoNonce : request.nonce,
        requireIdToken: true,
      });
      return { client, tokens, claims: oauth.getValidatedIdTokenClaims(tokens), visited };
    }

    it('oidcc-server: code flow, client_secret_basic, an ID token oauth4webapi validates, saying how the person logged in', async () => {
      const { claims } = await login(web, new Browser());
      expect(claims?.iss).toBe(oidc.issuer);
      expect(claims?.aud).toBe(web.id);
      expect(claims?.amr).toEqual(['s2', 'wechat']);
      expect(typeof claims?.auth_time).toBe('number');
    });

    it('oidcc-userinfo-get, -post-header, -post-body: the same claims three ways; a bad token is 401 invalid_token', async () => {
      const { client, tokens, claims } = await login(web, new Browser(), { scope: 'openid profile phone' });
      const sub = String(claims?.sub);
      const viaGet = await oauth.processUserInfoResponse(
        as,
        client,
        sub,
        await oauth.userInfoRequest(as, client, tokens.access_token, insecure),
      );
      expect(viaGet).toMatchObject({ sub, nickname: 'Tess' });
      const endpoint = as.userinfo_endpoint ?? '';
      const header = await fetch(endpoint, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(header.status).toBe(200);
      expect(await header.json()).toEqual(viaGet);
      const body = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ access_token: tokens.access_token }),
      });
      expect(body.status).toBe(200);
      expect(await body.json()).toEqual(viaGet);
      const bad = await fetch(endpoint, { headers: { authorization: `Bearer ${tokens.access_token}x` } });
      expect(bad.status).toBe(401);
      expect(bad.headers.get('www-authenticate')).toContain('invalid_token');
    });

    it('oidcc-refresh-token: a first-party application asking for offline_access gets a refresh token without any consent page', async () => {
      const { client, tokens, claims, visited } = await login(web, new Browser(), { scope: 'openid profile offline_access' });
      expect(visited.some((path) => /^\/interaction\//.test(path))).toBe(true);
      expect(tokens.refresh_token).toBeDefined();
      expect(tokens.scope?.split(' ')).toContain('offline_access');

      const refreshed = await oauth.processRefreshTokenResponse(
        as,
        client,
        await oauth.refreshTokenGrantRequest(as, client, oauth.ClientSecretBasic(web.secret ?? ''), tokens.refresh_token ?? '', insecure),
      );
      const again = oauth.getValidatedIdTokenClaims(refreshed);
      expect(again?.sub).toBe(claims?.sub);
      // Refreshing is not logging in: the ID token still names the WeChat login.
      expect(again?.auth_time).toBe(claims?.auth_time);
      expect(again?.amr).toEqual(['s2', 'wechat']);

      // A refresh token that is not weunion's is invalid_grant and spends nothing.
      const forged = await oauth.refreshTokenGrantRequest(as, client, oauth.ClientSecretBasic(web.secret ?? ''), 'not-a-token', insecure);
      await expect(oauth.processRefreshTokenResponse(as, client, forged)).rejects.toMatchObject({ error: 'invalid_grant' });
      const still = await oauth.refreshTokenGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic(web.secret ?? ''),
        refreshed.refresh_token ?? '',
        insecure,
      );
      expect(still.status).toBe(200);
    });

    it('a third-party application gets offline_access only with prompt=consent, and the person sees it on the consent page', async () => {
      const browser = new Browser();
      const withConsent = await login(partner, browser, { scope: 'openid offline_access', prompt: 'consent' }, { consent: 'allow' });
      expect(withConsent.tokens.refresh_token).toBeDefined();
      // Without prompt=consent the scope is dropped (OIDC Core §11): tokens, but no refresh token.
      const without = await login(partner, browser, { scope: 'openid offline_access' }, { consent: 'allow' });
      expect(without.tokens.refresh_token).toBeUndefined();
    });

    it('oidcc-ensure-request-without-nonce-succeeds-for-code-flow, -with-unknown-parameter-succeeds, -other-scope-order-succeeds', async () => {
      const browser = new Browser();
      const noNonce = await login(web, browser, { nonce: '' });
      expect(noNonce.claims?.nonce).toBeUndefined();
      const unknown = await login(web, browser, { extra_unknown_parameter: 'ignored' });
      expect(unknown.claims?.sub).toBe(noNonce.claims?.sub);
      const reordered = await login(web, browser, { scope: 'phone openid profile' });
      expect(reordered.claims?.sub).toBe(noNonce.claims?.sub);
    });

    it('oidcc-scope-profile and oidcc-scope-phone: the scopes bring their claims, and only theirs', async () => {
      const browser = new Browser();
      const profile = await login(web, browser, { scope: 'openid profile' });
      const info = await oauth.processUserInfoResponse(
        as,
        profile.client,
        String(profile.claims?.sub),
        await oauth.userInfoRequest(as, profile.client, profile.tokens.access_token, insecure),
      );
      expect(info.nickname).toBe('Tess');
      expect(info.phone_number).toBeUndefined();
      expect(info.wechat_identities).toBeUndefined();
    });

    it('oidcc-server-rotate-keys: after a rotation ID tokens are signed with a key the JWKS now publishes', async () => {
      const before = await login(web, new Browser());
      const oldKid = jwtHeader(String(before.tokens.id_token)).kid;
      // `weunion keys rotate`, with the new key signing at once (no publication delay), as the suite does.
      const instance = oidc.world.first.app;
      await new SigningKeys(oidc.world.database, instance.ctx.secrets, { publishDelayMs: 0 }).rotate();
      await instance.signingKeys.refresh();
      const after = await login(web, new Browser());
      const newKid = jwtHeader(String(after.tokens.id_token)).kid;
      expect(newKid).not.toBe(oldKid);
      const jwks = jwksSchema.parse(await (await fetch(as.jwks_uri ?? '')).json());
      // The new key is published, and the old one still is, for tokens signed before the rotation.
      expect(jwks.keys.map((key) => key.kid)).toEqual(expect.arrayContaining([newKid, oldKid]));
      expect(jwtPayload(String(after.tokens.id_token)).iss).toBe(oidc.issuer);
    });
  });
}

const jwksSchema = z.object({ keys: z.array(z.object({ kid: z.string() }).loose()) });
const headerSchema = z.object({ kid: z.string().optional(), alg: z.string() }).loose();

function jwtHeader(jwt: string): z.output<typeof headerSchema> {
  const [header = ''] = jwt.split('.');
  return headerSchema.parse(JSON.parse(Buffer.from(header, 'base64url').toString('utf8')));
}

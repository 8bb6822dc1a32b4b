/**
 * Discovery advertises only what works, and what it advertises works — after the OpenID
 * Foundation's Config OP plan (oidcc-discovery-endpoint-verification, oidcc-idtoken-rs256) and
 * the Basic plan's POST-at-the-authorization-endpoint test, run with two relying-party libraries
 * nobody here wrote (oauth4webapi, openid-client) against the real server, the person logging in
 * through the hosted page with WeChat (sandbox). Every advertised client authentication method,
 * PAR, DPoP, POST at the authorization and end-session endpoints, RS256 ID tokens per
 * application, and CORS on discovery and the JWKS. Refused requests get the spec's errors and
 * spend nothing (a code survives a failed client authentication). On embedded and scale-out storage.
 */
import { createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, storageModes } from '../../login/test-harness.ts';
import { authorizeInBrowser, LoginWorld, logoutInBrowser, registerApplication } from './rp-harness.ts';

const REDIRECT = 'http://127.0.0.1:9/rp/cb';
const BYE = 'http://127.0.0.1:9/rp/bye';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`discovery and what it advertises: ${mode.name}`, () => {
    let world: LoginWorld;
    let issuer: string;
    let as: oauth.AuthorizationServer;
    let metadata: Record<string, unknown>;
    let person: string;
    /** One browser with a weunion session, made by a real WeChat login in the first test that needs it. */
    const browser = new Browser();
    const secrets = new Map<string, string>();
    let clientKey: CryptoKey;

    beforeAll(async () => {
      world = await LoginWorld.start(mode);
      issuer = world.first.url;
      person = await world.person('Config Cai');
      const keys = await generateKeyPair('ES256', { extractable: true });
      clientKey = keys.privateKey;
      const publicJwk = { ...(await exportJWK(keys.publicKey)), kid: 'rp-key-1', alg: 'ES256', use: 'sig' };
      for (const [id, extra] of [
        ['cfg-basic', { tokenEndpointAuthMethod: 'client_secret_basic' }],
        ['cfg-post', { tokenEndpointAuthMethod: 'client_secret_post' }],
        ['cfg-secret-jwt', { tokenEndpointAuthMethod: 'client_secret_jwt' }],
        ['cfg-key-jwt', { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [publicJwk] } }],
        ['cfg-rs256', { idTokenSignedResponseAlg: 'RS256' }],
      ] as const) {
        const { clientSecret } = await registerApplication(world, {
          id,
          name: id,
          type: 'web',
          redirectUris: [REDIRECT],
          postLogoutRedirectUris: [BYE],
          ...extra,
        });
        secrets.set(id, clientSecret ?? '');
      }
      await registerApplication(world, { id: 'cfg-spa', name: 'SPA', type: 'spa', redirectUris: ['http://localhost:5173/cb'] });
      const issuerUrl = new URL(issuer);
      as = await oauth.processDiscoveryResponse(issuerUrl, await oauth.discoveryRequest(issuerUrl, insecure));
      metadata = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
    });
    afterAll(async () => {
      await world?.close();
    });

    const authOf = (id: string): oauth.ClientAuth => {
      const secret = secrets.get(id) ?? '';
      switch (id) {
        case 'cfg-post':
          return oauth.ClientSecretPost(secret);
        case 'cfg-secret-jwt':
          return oauth.ClientSecretJwt(secret);
        case 'cfg-key-jwt':
          return oauth.PrivateKeyJwt({ key: clientKey, kid: 'rp-key-1' });
        case 'cfg-spa':
          return oauth.None();
        default:
          return oauth.ClientSecretBasic(secret);
      }
    };

    /** oauth4webapi's code flow: authorize in the browser (optionally by PAR or by POST), then the token request. */
    async function codeFlow(
      clientId: string,
      options: { par?: boolean; post?: boolean; dpop?: oauth.DPoPHandle; auth?: oauth.ClientAuth; alg?: string } = {},
    ) {
      const rp: oauth.Client = { client_id: clientId, ...(options.alg === undefined ? {} : { id_token_signed_response_alg: options.alg }) };
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      const params = new URLSearchParams({
        client_id: clientId,
        redirect_uri: REDIRECT,
        response_type: 'code',
        scope: 'openid profile',
        state,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const auth = options.auth ?? authOf(clientId);
      let callback: URL;
      if (options.par === true) {
        const pushed = await oauth.processPushedAuthorizationResponse(
          as,
          rp,
          await oauth.pushedAuthorizationRequest(as, rp, auth, params, { ...insecure, ...(options.dpop ? { DPoP: options.dpop } : {}) }),
        );
        const url = new URL(as.authorization_endpoint ?? '');
        url.search = new URLSearchParams({ client_id: clientId, request_uri: pushed.request_uri }).toString();
        callback = await authorizeInBrowser(world, browser, url.href, REDIRECT, person);
      } else if (options.post === true) {
        callback = await authorizeInBrowser(world, browser, as.authorization_endpoint ?? '', REDIRECT, person, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: params.toString(),
        });
      } else {
        const url = new URL(as.authorization_endpoint ?? '');
        url.search = params.toString();
        callback = await authorizeInBrowser(world, browser, url.href, REDIRECT, person);
      }
      const validated = oauth.validateAuthResponse(as, rp, callback, state);
      const response = await oauth.authorizationCodeGrantRequest(as, rp, auth, validated, REDIRECT, verifier, {
        ...insecure,
        ...(options.dpop ? { DPoP: options.dpop } : {}),
      });
      const tokens = await oauth.processAuthorizationCodeResponse(as, rp, response, { requireIdToken: true });
      return { tokens, claims: oauth.getValidatedIdTokenClaims(tokens), rp, validated, verifier };
    }

    it('oidcc-discovery-endpoint-verification: the required metadata, RS256 among the ID token algorithms, nothing unsupported', () => {
      expect(metadata).toMatchObject({
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        userinfo_endpoint: `${issuer}/me`,
        jwks_uri: `${issuer}/jwks`,
        end_session_endpoint: `${issuer}/session/end`,
        pushed_authorization_request_endpoint: `${issuer}/request`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        code_challenge_methods_supported: ['S256'],
      });
      expect(metadata.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'ES256']));
      expect(metadata.id_token_signing_alg_values_supported).not.toContain('none');
      expect(metadata.scopes_supported).toContain('openid');
      expect(metadata.claims_supported).toEqual(expect.arrayContaining(['sub', 'iss', 'name', 'nickname', 'picture']));
      // Every advertised client authentication method is exercised by a test below.
      expect([...(metadata.token_endpoint_auth_methods_supported as string[])].sort()).toEqual(
        ['client_secret_basic', 'client_secret_jwt', 'client_secret_post', 'none', 'private_key_jwt'].sort(),
      );
      // Not supported, so not advertised.
      expect(metadata.request_parameter_supported ?? false).toBe(false);
      expect(metadata.request_uri_parameter_supported ?? false).toBe(false);
      expect(metadata).not.toHaveProperty('registration_endpoint');
      expect(metadata.grant_types_supported).toEqual(['authorization_code', 'refresh_token']);
    });

    it('the JWKS publishes only public signing keys, one kid each, an ES256 and an RS256 one among them', async () => {
      const jwks = (await (await fetch(`${issuer}/jwks`)).json()) as { keys: Record<string, unknown>[] };
      const kids = jwks.keys.map((k) => k.kid);
      expect(new Set(kids).size).toBe(kids.length);
      for (const key of jwks.keys) {
        expect(key).toMatchObject({ use: 'sig', kid: expect.any(String), alg: expect.stringMatching(/^(ES256|RS256)$/) });
        for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key).not.toHaveProperty(member);
      }
      expect(jwks.keys.map((k) => k.alg)).toEqual(expect.arrayContaining(['ES256', 'RS256']));
    });

    it('discovery and the JWKS answer CORS for any origin (browser relying parties)', async () => {
      const origin = 'https://spa.example';
      for (const path of ['/.well-known/openid-configuration', '/jwks']) {
        const response = await fetch(`${issuer}${path}`, { headers: { origin } });
        await response.body?.cancel();
        expect(response.status).toBe(200);
        expect([origin, '*']).toContain(response.headers.get('access-control-allow-origin'));
      }
      const preflight = await fetch(`${issuer}/jwks`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET' },
      });
      expect(preflight.status).toBeLessThan(300);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    });

    for (const clientId of ['cfg-basic', 'cfg-post', 'cfg-secret-jwt', 'cfg-key-jwt']) {
      it(`client authentication ${clientId.slice(4)} works end to end (oauth4webapi)`, async () => {
        const { claims } = await codeFlow(clientId);
        expect(claims).toMatchObject({ iss: issuer, aud: clientId, sub: expect.stringMatching(/^usr/) });
      });
    }

    it('a client authenticating another way than it registered is refused with invalid_client, and the code is not spent', async () => {
      const rp: oauth.Client = { client_id: 'cfg-basic' };
      const verifier = oauth.generateRandomCodeVerifier();
      const url = new URL(as.authorization_endpoint ?? '');
      url.search = new URLSearchParams({
        client_id: 'cfg-basic',
        redirect_uri: REDIRECT,
        response_type: 'code',
        scope: 'openid',
        state: 's1',
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      }).toString();
      const callback = await authorizeInBrowser(world, browser, url.href, REDIRECT, person);
      const validated = oauth.validateAuthResponse(as, rp, callback, 's1');
      // (client_secret_post with the right secret is taken for client_secret_basic: the same secret, sent in the body.)
      for (const wrong of [
        oauth.ClientSecretBasic('not-the-secret'),
        oauth.ClientSecretPost('not-the-secret'),
        oauth.ClientSecretJwt(secrets.get('cfg-basic') ?? ''),
      ]) {
        const response = await oauth.authorizationCodeGrantRequest(as, rp, wrong, validated, REDIRECT, verifier, insecure);
        expect(response.status).toBe(401);
        expect(await response.json()).toMatchObject({ error: 'invalid_client' });
      }
      const right = await oauth.authorizationCodeGrantRequest(as, rp, authOf('cfg-basic'), validated, REDIRECT, verifier, insecure);
      expect((await oauth.processAuthorizationCodeResponse(as, rp, right)).access_token).toEqual(expect.any(String));
    });

    it('private_key_jwt with a key the application did not register is refused', async () => {
      const stranger = await generateKeyPair('ES256');
      await expect(
        codeFlow('cfg-key-jwt', { auth: oauth.PrivateKeyJwt({ key: stranger.privateKey, kid: 'rp-key-1' }) }),
      ).rejects.toMatchObject({
        error: 'invalid_client',
      });
    });

    it('oidcc-idtoken-rs256: an application registered for RS256 gets RS256 ID tokens that verify with the JWKS; others keep ES256', async () => {
      const rs = await codeFlow('cfg-rs256', { alg: 'RS256' });
      expect(decodeProtectedHeader(rs.tokens.id_token ?? '')).toMatchObject({ alg: 'RS256', kid: expect.any(String) });
      const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
      await expect(
        jwtVerify(rs.tokens.id_token ?? '', jwks, { issuer, audience: 'cfg-rs256', algorithms: ['RS256'] }),
      ).resolves.toBeDefined();
      const es = await codeFlow('cfg-basic');
      expect(decodeProtectedHeader(es.tokens.id_token ?? '').alg).toBe('ES256');
      // openid-client, told to expect RS256, accepts it too.
      const config = await client.discovery(
        new URL(issuer),
        'cfg-rs256',
        { id_token_signed_response_alg: 'RS256' },
        client.ClientSecretBasic(secrets.get('cfg-rs256') ?? ''),
        {
          execute: [client.allowInsecureRequests],
        },
      );
      expect(config.clientMetadata().id_token_signed_response_alg).toBe('RS256');
    });

    it('PAR: a pushed request is authorized by its request_uri alone', async () => {
      const { claims } = await codeFlow('cfg-post', { par: true });
      expect(claims?.aud).toBe('cfg-post');
    });

    it('PAR refuses a redirect URI off the allowlist and an unauthenticated push, storing nothing', async () => {
      const rp: oauth.Client = { client_id: 'cfg-post' };
      const bad = await oauth.pushedAuthorizationRequest(
        as,
        rp,
        authOf('cfg-post'),
        new URLSearchParams({
          redirect_uri: 'https://evil.example/cb',
          response_type: 'code',
          scope: 'openid',
          code_challenge: 'x'.repeat(43),
          code_challenge_method: 'S256',
        }),
        insecure,
      );
      expect(bad.status).toBe(400);
      expect((await bad.json()).error).toMatch(/^invalid_(request|redirect_uri)$/);
      const anonymous = await fetch(`${issuer}/request`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: 'cfg-post', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid' }).toString(),
      });
      expect(anonymous.status).toBe(401);
      expect((await anonymous.json()).error).toBe('invalid_client');
    });

    it('POST at the authorization endpoint works as GET does (oidcc-ensure-post-request-succeeds)', async () => {
      const { claims } = await codeFlow('cfg-basic', { post: true });
      expect(claims?.aud).toBe('cfg-basic');
    });

    it('response_mode fragment and form_post (advertised) deliver the code and state', async () => {
      const params = (mode: string) =>
        new URLSearchParams({
          client_id: 'cfg-basic',
          redirect_uri: REDIRECT,
          response_type: 'code',
          response_mode: mode,
          scope: 'openid',
          state: `state-${mode}`,
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
        });
      await codeFlow('cfg-basic'); // the browser has a session from here on
      const fragment = await authorizeInBrowser(world, browser, `${as.authorization_endpoint}?${params('fragment')}`, REDIRECT, person);
      const inFragment = new URLSearchParams(fragment.hash.slice(1));
      expect(inFragment.get('code')).toEqual(expect.any(String));
      expect(inFragment.get('state')).toBe('state-fragment');
      expect(fragment.search).toBe('');
      // form_post: a page that posts code and state to the redirect URI.
      let url = `${as.authorization_endpoint}?${params('form_post')}`;
      let page: Response | undefined;
      for (let hop = 0; hop < 8; hop++) {
        const response = await browser.fetch(url);
        const location = response.headers.get('location');
        if (location === null) {
          page = response;
          break;
        }
        await response.body?.cancel();
        url = new URL(location, url).href;
      }
      const html = (await page?.text()) ?? '';
      expect(html).toContain(`action="${REDIRECT}"`);
      expect(html).toMatch(/name="code" value="[^"]+"/);
      expect(html).toContain('name="state" value="state-form_post"');
    });

    it('a POST to the authorization endpoint without a form body is refused', async () => {
      for (const [type, body] of [
        ['application/json', '{}'],
        ['text/plain', 'client_id=cfg-basic'],
      ]) {
        const response = await fetch(`${issuer}/auth`, { method: 'POST', headers: { 'content-type': type ?? '' }, body });
        expect(response.status, type).toBe(400);
        expect(response.headers.get('location')).toBeNull();
        await response.body?.cancel();
      }
    });

    it('DPoP (advertised): tokens bound to the client key, userinfo needs the proof', async () => {
      const dpop = oauth.DPoP({}, await oauth.generateKeyPair('ES256'));
      const { tokens, rp } = await codeFlow('cfg-basic', { dpop });
      expect(tokens.token_type.toLowerCase()).toBe('dpop');
      const withProof = await oauth.userInfoRequest(as, rp, tokens.access_token, { ...insecure, DPoP: dpop });
      expect(withProof.status).toBe(200);
      const bearer = await fetch(`${issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(bearer.status).toBe(401);
    });

    it('POST at the end-session endpoint works as GET does (RP-Initiated Logout 1.0, section 2)', async () => {
      const { tokens } = await codeFlow('cfg-basic');
      const page = await browser.fetch(`${issuer}/session/end`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: BYE, state: 'bye-state' }).toString(),
      });
      expect(page.status).toBe(303);
      const confirmed = await logoutInBrowser(browser, new URL(page.headers.get('location') ?? '', issuer).href, { everywhere: true });
      const back = new URL(confirmed.headers.get('location') ?? '');
      expect(`${back.origin}${back.pathname}`).toBe(BYE);
      expect(back.searchParams.get('state')).toBe('bye-state');
    });
  });
}

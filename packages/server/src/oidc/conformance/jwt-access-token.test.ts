/**
 * JWT access tokens (RFC 9068) for an application's API via resource indicators (RFC 8707): an
 * application registered with `resources` asks for a token for its API with `resource=`, and gets
 * a JWT that the Node SDK's `verifyAccessToken` and oauth4webapi's RFC 9068 validator both accept
 * exactly as issued. A resource the application did not register is `invalid_target`; a token for
 * one API is refused by another; an opaque token (no `resource`) is checked by the SDK's
 * introspection, which reports revoked tokens and other clients' tokens as inactive. A real WeChat
 * login (sandbox) through the hosted page comes first. On embedded and scale-out storage.
 */
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeunionTokenError } from '../../../../sdk-node/src/errors.ts';
import { createTokenVerifier } from '../../../../sdk-node/src/token-verifier.ts';
import { Browser, storageModes } from '../../login/test-harness.ts';
import { authorizeInBrowser, LoginWorld, registerApplication } from './rp-harness.ts';

const REDIRECT = 'http://127.0.0.1:9/api-app/cb';
const API = 'https://api.shop.example';
const OTHER_API = 'https://api.other.example';

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof WeunionTokenError)) throw new Error(`expected a WeunionTokenError, got ${String(error)}`);
  return error.code;
}

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`JWT access tokens for an application's API: ${mode.name}`, () => {
    let world: LoginWorld;
    let issuer: string;
    let person: string;
    const browser = new Browser();
    const secrets = new Map<string, string>();

    beforeAll(async () => {
      world = await LoginWorld.start(mode);
      issuer = world.first.url;
      person = await world.person('Api Ada');
      for (const [id, resources] of [
        ['api-app', [API, OTHER_API]],
        ['api-other', []],
      ] as const) {
        const { clientSecret } = await registerApplication(world, { id, name: id, type: 'web', redirectUris: [REDIRECT], resources });
        secrets.set(id, clientSecret ?? '');
      }
    });
    afterAll(async () => {
      await world?.close();
    });

    async function login(clientId: string, params: Record<string, string>) {
      const config = await client.discovery(new URL(issuer), clientId, secrets.get(clientId), undefined, {
        execute: [client.allowInsecureRequests],
      });
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid profile',
        state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        ...params,
      });
      const callback = await authorizeInBrowser(world, browser, url.href, REDIRECT, person);
      return { config, callback, verifier, state };
    }

    async function tokensFor(clientId: string, params: Record<string, string>) {
      const { config, callback, verifier, state } = await login(clientId, params);
      return client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
    }

    it('with resource=, the access token is an RFC 9068 JWT that the SDK and oauth4webapi verify as issued', async () => {
      const tokens = await tokensFor('api-app', { resource: API });
      const header = JSON.parse(Buffer.from(tokens.access_token.split('.')[0] ?? '', 'base64url').toString('utf8'));
      expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256', kid: expect.any(String) });

      const verifier = createTokenVerifier({ issuer, audience: API });
      const claims = await verifier.verifyAccessToken(tokens.access_token, { requiredScopes: ['profile'] });
      expect(claims).toMatchObject({ iss: issuer, aud: API, client_id: 'api-app', sub: tokens.claims()?.sub, scope: 'profile' });
      expect(claims.jti).toEqual(expect.any(String));

      const as = await oauth.processDiscoveryResponse(
        new URL(issuer),
        await oauth.discoveryRequest(new URL(issuer), { [oauth.allowInsecureRequests]: true }),
      );
      const request = new Request(API, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      const validated = await oauth.validateJwtAccessToken(as, request, API, { [oauth.allowInsecureRequests]: true });
      expect(validated).toMatchObject({ client_id: 'api-app', sub: claims.sub, aud: API });

      // The token is for the API, and the ID token is not an access token.
      expect(await refusal(createTokenVerifier({ issuer, audience: OTHER_API }).verifyAccessToken(tokens.access_token))).toBe(
        'audience_mismatch',
      );
      expect(await refusal(verifier.verifyAccessToken(tokens.id_token ?? ''))).toBe('claims_invalid');
      expect(await refusal(verifier.verifyAccessToken(tokens.access_token, { requiredScopes: ['phone'] }))).toBe('insufficient_scope');
    });

    it('introspecting a JWT access token or an ID token answers active false (RFC 7662 §2.2); no client authentication is invalid_client; no-store answers say Pragma no-cache', async () => {
      const tokens = await tokensFor('api-app', { resource: API });
      const basic = `Basic ${Buffer.from(`api-app:${secrets.get('api-app') ?? ''}`).toString('base64')}`;
      for (const token of [tokens.access_token, tokens.id_token ?? '', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln']) {
        const response = await fetch(`${issuer}/token/introspection`, {
          method: 'POST',
          headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token }),
        });
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ active: false });
        expect(response.headers.get('pragma')).toBe('no-cache');
      }
      for (const path of ['/token', '/token/introspection', '/token/revocation']) {
        const response = await fetch(`${issuer}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x', token: 'x' }),
        });
        expect(response.status, path).toBe(401);
        expect(await response.json()).toMatchObject({ error: 'invalid_client' });
        expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      }
      const refreshed = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      expect(refreshed.headers.get('cache-control')).toBe('no-store');
      expect(refreshed.headers.get('pragma')).toBe('no-cache');
    });

    it('a resource the application did not register is invalid_target, back at the redirect URI', async () => {
      const { callback } = await login('api-other', { resource: API });
      expect(callback.searchParams.get('error')).toBe('invalid_target');
      expect(callback.searchParams.get('code')).toBeNull();
    });

    it('without resource=, the access token is opaque: the SDK refuses it as a JWT and introspects it', async () => {
      const tokens = await tokensFor('api-app', {});
      expect(tokens.access_token.split('.')).toHaveLength(1);
      const verifier = createTokenVerifier({ issuer, client: { id: 'api-app', secret: secrets.get('api-app') ?? '' } });
      expect(await refusal(verifier.verifyAccessToken(tokens.access_token))).toBe('token_invalid');
      const introspected = await verifier.introspectAccessToken(tokens.access_token, { requiredScopes: ['openid'] });
      expect(introspected).toMatchObject({ active: true, client_id: 'api-app', sub: tokens.claims()?.sub });
      expect(introspected.scopes).toEqual(expect.arrayContaining(['openid', 'profile']));
      expect(await refusal(verifier.introspectAccessToken(tokens.access_token, { requiredScopes: ['phone'] }))).toBe('insufficient_scope');

      // Another application learns nothing about it; wrong credentials cannot introspect at all.
      const other = createTokenVerifier({ issuer, client: { id: 'api-other', secret: secrets.get('api-other') ?? '' } });
      expect(await refusal(other.introspectAccessToken(tokens.access_token))).toBe('token_inactive');
      const wrong = createTokenVerifier({ issuer, client: { id: 'api-app', secret: 'not-the-secret' } });
      expect(await refusal(wrong.introspectAccessToken(tokens.access_token))).toBe('introspection_unavailable');

      // Revoked: inactive from then on.
      const config = await client.discovery(new URL(issuer), 'api-app', secrets.get('api-app'), undefined, {
        execute: [client.allowInsecureRequests],
      });
      await client.tokenRevocation(config, tokens.access_token);
      expect(await refusal(verifier.introspectAccessToken(tokens.access_token))).toBe('token_inactive');
      expect(await refusal(verifier.introspectAccessToken('not-a-token-at-all'))).toBe('token_inactive');
    });
  });
}

import { request as httpRequest } from 'node:http';
/**
 * Config OP plan (oidcc-discovery-endpoint-verification), for what this provider's ID tokens and
 * authorization responses say: the issuer is the URL discovery is fetched from, every endpoint is
 * under it, `code` with PKCE S256, the claims ID tokens carry (`auth_time`, `amr`, `acr`) are listed,
 * `acr_values_supported` is the one ACR weunion gives, `iss` in authorization responses is announced,
 * and the JWKS publishes the key the ID tokens name. Plus the Basic plan's request-object case
 * (oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported): weunion does not
 * take request objects, says so, and refuses one with `request_not_supported` at the redirect URI.
 */
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Browser, freshRequest, OidcWorld, REDIRECT, type RegisteredApp, storageModes } from './harness.ts';

const discoverySchema = z
  .object({
    issuer: z.string(),
    authorization_endpoint: z.string(),
    token_endpoint: z.string(),
    userinfo_endpoint: z.string(),
    jwks_uri: z.string(),
    end_session_endpoint: z.string(),
    response_types_supported: z.array(z.string()),
    subject_types_supported: z.array(z.string()),
    id_token_signing_alg_values_supported: z.array(z.string()),
    scopes_supported: z.array(z.string()),
    claims_supported: z.array(z.string()),
    acr_values_supported: z.array(z.string()),
    code_challenge_methods_supported: z.array(z.string()),
    authorization_response_iss_parameter_supported: z.boolean(),
    request_parameter_supported: z.boolean().optional(),
  })
  .loose();
const jwksSchema = z.object({ keys: z.array(z.object({ kid: z.string(), alg: z.string().optional() }).loose()) });

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`OIDC Config OP: discovery (${mode.name})`, () => {
    let oidc: OidcWorld;
    let web: RegisteredApp;

    beforeAll(async () => {
      oidc = await OidcWorld.start(mode);
      web = await oidc.register({ id: 'shop-web', name: 'Shop', type: 'web' });
    });
    afterAll(async () => {
      await oidc?.close();
    });

    it('oidcc-discovery-endpoint-verification: the issuer, its endpoints, and what ID tokens carry', async () => {
      const metadata = discoverySchema.parse(await (await fetch(`${oidc.issuer}/.well-known/openid-configuration`)).json());
      expect(metadata.issuer).toBe(oidc.issuer);
      for (const endpoint of [
        metadata.authorization_endpoint,
        metadata.token_endpoint,
        metadata.userinfo_endpoint,
        metadata.jwks_uri,
        metadata.end_session_endpoint,
      ]) {
        expect(endpoint.startsWith(`${oidc.issuer}/`)).toBe(true);
      }
      expect(metadata.response_types_supported).toContain('code');
      expect(metadata.subject_types_supported).toContain('public');
      expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'offline_access']));
      expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
      expect(metadata.claims_supported).toEqual(expect.arrayContaining(['sub', 'auth_time', 'amr', 'acr']));
      expect(metadata.acr_values_supported).toEqual(['wechat']);
      expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
      expect(metadata.request_parameter_supported ?? false).toBe(false);

      const jwks = jwksSchema.parse(await (await fetch(metadata.jwks_uri)).json());
      expect(jwks.keys.length).toBeGreaterThan(0);
      for (const key of jwks.keys) if (key.alg !== undefined) expect(metadata.id_token_signing_alg_values_supported).toContain(key.alg);
    });

    it('RFC 8414: the authorization server metadata is served under the OAuth well-known name too; oauth4webapi reads it', async () => {
      const response = await oauth.discoveryRequest(new URL(oidc.issuer), { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true });
      expect(new URL(response.url).pathname).toBe('/.well-known/oauth-authorization-server');
      const metadata = await oauth.processDiscoveryResponse(new URL(oidc.issuer), response);
      expect(metadata.issuer).toBe(oidc.issuer);
      expect(metadata.token_endpoint).toBe(`${oidc.issuer}/token`);
    });

    it('the discovery document names the issuer’s endpoints whatever Host or X-Forwarded-Host the request claims', async () => {
      const url = new URL(`${oidc.issuer}/.well-known/openid-configuration`);
      for (const headers of [{ host: 'evil.example' }, { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' }]) {
        const text = await new Promise<string>((resolve, reject) => {
          const request = httpRequest(url, { headers }, (response) => {
            let body = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => {
              body += chunk;
            });
            response.on('end', () => resolve(body));
          });
          request.on('error', reject);
          request.end();
        });
        const metadata = discoverySchema.parse(JSON.parse(text));
        expect(metadata.issuer).toBe(oidc.issuer);
        for (const endpoint of [metadata.authorization_endpoint, metadata.token_endpoint, metadata.userinfo_endpoint, metadata.jwks_uri]) {
          expect(endpoint.startsWith(`${oidc.issuer}/`), JSON.stringify(headers)).toBe(true);
        }
        expect(text).not.toContain('evil.example');
      }
    });

    it('oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported: request_not_supported at the redirect URI', async () => {
      const config = await oidc.rp(web);
      const request = await freshRequest();
      const unsigned = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const requestObject = `${unsigned({ alg: 'none' })}.${unsigned({ ...request.params, client_id: web.id, redirect_uri: REDIRECT, response_type: 'code' })}.`;
      const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, ...request.params, request: requestObject });
      const landing = await oidc.walk(new Browser(), url.href);
      expect(landing.callback?.searchParams.get('error')).toBe('request_not_supported');
      expect(landing.callback?.searchParams.get('state')).toBe(request.state);
    });
  });
}

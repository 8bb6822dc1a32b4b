/**
 * Access tokens for an application's own API (RFC 8707 resource indicators): an application lists
 * the APIs it may call (`resources`); an authorization or token request naming one of them with
 * `resource=` gets an RFC 9068 JWT access token for it — `typ: at+jwt`, `aud` = the resource,
 * `client_id`, `scope`, `sub`, `jti`, signed by the cluster's default key — which the API checks
 * offline with the JWKS (the Node SDK's `verifyAccessToken`). Without `resource`, the access token
 * stays opaque and serves userinfo (the SDK introspects those).
 *
 * The API's scopes are the profile scopes the person granted the application, so the API knows
 * what the application may know; a resource the application did not register is `invalid_target`.
 */
import { type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { SecretBox } from '../secrets/master-key.ts';
import type { SigningAlgorithm } from '../signing/signing-keys.ts';
import { findApplication } from './applications.ts';
import { SCOPE_CLAIMS } from './claims.ts';
import type { OidcDb } from './tables.ts';

/** What an API may be told the person granted: every scope but `openid`, which is for userinfo. */
export const RESOURCE_SCOPES = Object.keys(SCOPE_CLAIMS).filter((scope) => scope !== 'openid');

type ResourceIndicators = NonNullable<NonNullable<Configuration['features']>['resourceIndicators']>;

export function resourceIndicators(deps: { db: OidcDb; secrets: SecretBox; alg: SigningAlgorithm }): ResourceIndicators {
  return {
    enabled: true,
    // No `resource`: an opaque token for userinfo, as before.
    defaultResource: () => undefined,
    // The token request may leave `resource` out: the one granted at the authorization applies.
    useGrantedResource: () => true,
    async getResourceServerInfo(_ctx: KoaContextWithOIDC, resourceIndicator: string, client) {
      const application = await findApplication(deps.db, deps.secrets, client.clientId);
      if (application === null || !application.resources.includes(resourceIndicator)) {
        throw new errors.InvalidTarget(`${client.clientId} may not get tokens for ${resourceIndicator}`);
      }
      return {
        scope: RESOURCE_SCOPES.join(' '),
        audience: resourceIndicator,
        accessTokenTTL: 3600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: deps.alg } },
      };
    },
  };
}

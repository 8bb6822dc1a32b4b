/**
 * Which browser origins may call the provider's client endpoints (token, revocation,
 * introspection, userinfo) for an application. Only public applications (SPAs, native apps) run
 * in a browser without a secret; their origins are those of their redirect and post-logout URIs.
 * A confidential application keeps its secret on a server, so no browser origin calls its client
 * endpoints (userinfo excepted).
 * Discovery and the JWKS are open to every origin (oidc-provider and tokens/routes.ts).
 */
import type { KoaContextWithOIDC } from 'oidc-provider';

type Client = NonNullable<KoaContextWithOIDC['oidc']['client']>;

export function clientBasedCors(ctx: KoaContextWithOIDC, origin: string, client: Client): boolean {
  if (origin === 'null') return false;
  // Userinfo takes a bearer token, not client authentication: a confidential application's own pages may call it.
  if (ctx.oidc.route !== 'userinfo' && client.clientAuthMethod !== 'none') return false;
  const uris = [...(client.redirectUris ?? []), ...(client.postLogoutRedirectUris ?? [])];
  return uris.some((uri) => URL.parse(uri)?.origin === origin);
}

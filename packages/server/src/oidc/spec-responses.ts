/**
 * Where oidc-provider's answers differ from what the OAuth specifications ask, the answer is
 * brought in line after the provider has made it:
 * - a request to the token, introspection, revocation or PAR endpoint with no client
 *   authentication at all is `401 invalid_client` (RFC 6749 §5.2: "no client authentication
 *   included"), not `400 invalid_request`;
 * - introspection of a token the endpoint will not look into (a JWT access token, an ID token) is
 *   `{"active": false}` (RFC 7662 §2.2: a properly authorized call about a token that is not
 *   active, unknown, or not for this caller), not `400 unsupported_token_type`;
 * - a response that must not be cached (`Cache-Control: no-store`: tokens, introspection) also
 *   says `Pragma: no-cache`, for HTTP/1.0 caches (RFC 6749 §5.1).
 */
import type Provider from 'oidc-provider';

const CLIENT_AUTHENTICATED_ROUTES = new Set(['token', 'introspection', 'revocation', 'pushed_authorization_request']);

function errorOf(body: unknown): { error?: unknown; error_description?: unknown } {
  return typeof body === 'object' && body !== null ? (body as { error?: unknown; error_description?: unknown }) : {};
}

export function answerAsTheSpecsSay(provider: Provider, issuer: string): void {
  provider.use(async (ctx, next) => {
    await next();
    const route = ctx.oidc?.route;
    if (route !== undefined && CLIENT_AUTHENTICATED_ROUTES.has(route) && ctx.status === 400) {
      const { error, error_description: description } = errorOf(ctx.body);
      if (error === 'invalid_request' && description === 'no client authentication mechanism provided') {
        ctx.status = 401;
        ctx.set('www-authenticate', `Basic realm="${issuer}"`);
        ctx.body = { error: 'invalid_client', error_description: 'no client authentication included' };
      } else if (route === 'introspection' && error === 'unsupported_token_type') {
        ctx.status = 200;
        ctx.body = { active: false };
      }
    }
    if (/\bno-store\b/.test(String(ctx.response.get('cache-control')))) ctx.set('pragma', 'no-cache');
  });
}

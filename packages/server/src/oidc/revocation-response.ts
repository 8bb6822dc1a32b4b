/**
 * oidc-provider answers a revocation with 200 and an empty `text/plain` body. RFC 7009 lets the
 * client ignore the body, but common clients parse it: oidc-client-ts refuses any content type
 * but JSON, simple-oauth2 (wreck, strict JSON) throws on it. So a successful revocation answers
 * `{}` as application/json, which every client takes.
 */
import type Provider from 'oidc-provider';

export function answerRevocationWithJson(provider: Provider): void {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route === 'revocation' && ctx.status === 200 && (ctx.body === '' || ctx.body === undefined)) {
      ctx.type = 'application/json';
      ctx.body = '{}';
    }
  });
}

/**
 * First-party applications get refresh tokens (`offline_access`) without a consent page.
 *
 * OpenID Connect Core §11 has the provider ignore `offline_access` unless the request carries
 * `prompt=consent`, and oidc-provider drops the scope otherwise. For an application the operator
 * marked first-party, weunion adds `consent` to the prompt of such a request before the provider
 * reads it; the consent step that follows is answered by weunion without showing a page (see
 * routes.ts), so the person sees nothing and the application gets its refresh token.
 * `prompt=none` requests are left alone (`none` cannot be combined with another prompt): a silent
 * request gets no refresh token, as the specification says.
 *
 * Only `GET /auth` with its parameters in the query is rewritten; a first-party application that
 * sends its request another way (POST, a request object, PAR) adds `prompt=consent` itself — it
 * still sees no consent page.
 */
import type { KoaContextWithOIDC } from 'oidc-provider';

export type FirstPartyTest = (clientId: string) => Promise<boolean>;

export function firstPartyOfflineAccess(isFirstParty: FirstPartyTest) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    if (ctx.method === 'GET' && ctx.path === '/auth') {
      const { scope, client_id: clientId, prompt, request } = ctx.query;
      if (
        typeof scope === 'string' &&
        typeof clientId === 'string' &&
        request === undefined &&
        (prompt === undefined || typeof prompt === 'string') &&
        scope.split(' ').includes('offline_access')
      ) {
        const prompts = new Set((prompt ?? '').split(' ').filter((p) => p !== ''));
        if (!prompts.has('none') && !prompts.has('consent') && (await isFirstParty(clientId))) {
          prompts.add('consent');
          ctx.query = { ...ctx.query, prompt: [...prompts].join(' ') };
        }
      }
    }
    await next();
  };
}

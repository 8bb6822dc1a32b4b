/**
 * oidc-provider mounted in the Fastify server at the issuer's root, and the interaction pages it
 * sends the browser to. The provider reads request bodies itself, so its routes are registered in
 * a scope whose content-type parser leaves the stream untouched.
 *
 * Login: a person whose weunion login session (made by any of the browser scenarios) answers what
 * the request asks (login-decision.ts: `prompt=login`, `max_age`, hints) finishes the interaction
 * at once; anyone else goes to the hosted login page with a `returnTo` that brings them back here,
 * and `ui_locales`/`login_hint` passed along. Consent: first-party applications never see it;
 * third-party ones get the consent page (consent-page.ts). A login that cannot happen — refused,
 * declined on the phone, abandoned — ends at the application's redirect URI with `access_denied`
 * (`/interaction/:uid/abort`, where login/finish.ts sends such failures). See interaction-routes.ts.
 */

import { AppError } from '@weunion/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { LoginSessions, SESSION_COOKIE } from '../login/sessions.ts';
import { registerInteractionRoutes } from './interaction-routes.ts';
import type { ProviderSource } from './provider-source.ts';
import { publicOrigin } from './public-origin.ts';
import { sessionCookieOf } from './session-cookie.ts';
import { oidcDb } from './tables.ts';

/** The provider's own endpoints (default oidc-provider routes), relative to the issuer. */
const PROVIDER_PATHS = [
  '/.well-known/openid-configuration',
  '/auth/:uid',
  '/token',
  '/me',
  '/session/end/confirm',
  '/session/end/success',
  '/token/revocation',
  '/token/introspection',
  // Pushed authorization requests (RFC 9126).
  '/request',
];

/**
 * The authorization and end-session endpoints must take POST as well as GET (OIDC Core 3.1.2.1,
 * RP-Initiated Logout 2). oidc-provider takes POST there only with `SameSite=None` session
 * cookies, which browsers drop on http:// issuers and which give up the Lax protection; so a POST
 * is answered with a 303 to the same endpoint with the same parameters as a query. The browser
 * follows it as a top-level GET, which carries the Lax cookies, and the provider goes on as for GET.
 */
const GET_FOR_POST_PATHS = ['/auth', '/session/end'];

export type { ProviderSource } from './provider-source.ts';

export interface OidcRouteOptions {
  /** Also let the provider serve `/jwks` (when no other route serves the same keys there). */
  serveJwks: boolean;
}

/** Hands a request to the provider, as PUBLIC_URL's (public-origin.ts). */
function handOver(source: ProviderSource, publicUrl: string) {
  const callbacks = new WeakMap<Provider, ReturnType<Provider['callback']>>();
  const asPublic = publicOrigin(publicUrl);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    asPublic(request);
    const provider = await source.get();
    let callback = callbacks.get(provider);
    if (callback === undefined) {
      callback = provider.callback();
      callbacks.set(provider, callback);
    }
    const handle = callback;
    reply.hijack();
    await new Promise<void>((resolve) => {
      reply.raw.on('finish', resolve);
      reply.raw.on('close', resolve);
      handle(request.raw, reply.raw);
    });
  };
}

export async function registerOidcRoutes(app: FastifyInstance, source: ProviderSource, options: OidcRouteOptions): Promise<void> {
  const sessions = new LoginSessions(app.ctx.state, { ttlMs: app.ctx.config.sessionTtlSeconds * 1000 });
  const db = oidcDb(app.ctx.database.db);

  // Ending the provider session (RP-initiated logout) ends the weunion login session too; every
  // provider the source makes gets the listener once.
  const listening = new WeakSet<Provider>();
  const resumePrefix = `${app.ctx.config.publicUrl.replace(/\/+$/, '')}/auth/`;
  const withLogoutListener: ProviderSource = {
    async get() {
      const provider = await source.get();
      if (!listening.has(provider)) {
        listening.add(provider);
        provider.on('end_session.success', (ctx) => {
          // "No, stay signed in" signs the person out of that application only (oidc-provider
          // revokes its grant): the weunion session, which is every application's, stays.
          if (!ctx.oidc.params?.logout) return;
          // The provider ends its session itself when another person has just logged in through
          // an interaction (an account swap, e.g. prompt=login), then resumes that interaction:
          // the weunion session is the new person's then, and must live on to answer it.
          const state = ctx.oidc.session?.state as { postLogoutRedirectUri?: unknown } | undefined;
          if (typeof state?.postLogoutRedirectUri === 'string' && state.postLogoutRedirectUri.startsWith(resumePrefix)) return;
          // wu_session is weunion's cookie, not one the provider signed.
          void sessions.destroy(sessionCookieOf(ctx));
          ctx.cookies.set(SESSION_COOKIE, null, { signed: false, path: '/' });
        });
      }
      return provider;
    },
  };

  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    const handler = handOver(withLogoutListener, app.ctx.config.publicUrl);
    const paths = options.serveJwks ? [...PROVIDER_PATHS, '/jwks'] : PROVIDER_PATHS;
    for (const url of paths) scope.route({ method: ['GET', 'POST', 'OPTIONS'], url, handler });
    for (const url of GET_FOR_POST_PATHS) scope.route({ method: ['GET', 'OPTIONS'], url, handler });
    // RFC 8414 authorization server metadata: the discovery document (a superset of it) under the
    // OAuth well-known name too, for OAuth-only clients (e.g. oauth4webapi's `algorithm: 'oauth2'`).
    scope.route({
      method: ['GET', 'OPTIONS'],
      url: '/.well-known/oauth-authorization-server',
      handler: (request, reply) => {
        request.raw.url = '/.well-known/openid-configuration';
        return handler(request, reply);
      },
    });
  });

  await app.register(async (scope) => registerGetForPost(scope));

  await app.register(async (scope) => registerInteractionRoutes(scope, withLogoutListener, sessions, db));
}

const MAX_FORM_PARAMETERS = 100;

function registerGetForPost(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => {
    done(null, new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8')));
  });
  for (const url of GET_FOR_POST_PATHS) {
    app.post(url, async (request, reply) => {
      const form = request.body;
      if (!(form instanceof URLSearchParams))
        throw new AppError('bad_request', `POST ${url} takes an application/x-www-form-urlencoded body`);
      if ([...form.keys()].length > MAX_FORM_PARAMETERS) throw new AppError('bad_request', 'too many parameters');
      // Parameters given twice stay twice: the provider refuses them as it would in a query.
      return reply.redirect(`${url}?${form}`, 303);
    });
  }
}

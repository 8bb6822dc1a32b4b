/**
 * oidc-provider mounted in the Fastify server at the issuer's root, and the interaction pages it
 * sends the browser to. The provider reads request bodies itself, so its routes are registered in
 * a scope whose content-type parser leaves the stream untouched.
 *
 * Login: a person with a weunion login session (made by any of the browser scenarios) finishes
 * the interaction at once; anyone else goes to the hosted login page with a `returnTo` that brings
 * them back here. Consent: first-party applications never see it (see `loadExistingGrant`).
 */

import { AppError } from '@weunion/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { escapeHtml } from '../hosted/html.ts';
import { parseInput } from '../http/problem.ts';
import { LoginSessions, SESSION_COOKIE } from '../login/sessions.ts';
import { sessionServesApplication } from './application-policy.ts';
import { findApplication } from './applications.ts';
import { type OidcDb, oidcDb } from './tables.ts';

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

/** Gives the provider to use for a request (it is remade when the signing keys change). */
export interface ProviderSource {
  get(): Promise<Provider>;
}

export interface OidcRouteOptions {
  /** Also let the provider serve `/jwks` (when no other route serves the same keys there). */
  serveJwks: boolean;
}

function cookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return decodeURIComponent(part.slice(index + 1).trim());
  }
  return undefined;
}

function handOver(source: ProviderSource) {
  const callbacks = new WeakMap<Provider, ReturnType<Provider['callback']>>();
  return async (request: FastifyRequest, reply: FastifyReply) => {
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

const uidParams = z.object({ uid: z.string().min(1).max(100) });
const consentBody = z.object({ decision: z.enum(['allow', 'deny']) });

export async function registerOidcRoutes(app: FastifyInstance, source: ProviderSource, options: OidcRouteOptions): Promise<void> {
  const sessions = new LoginSessions(app.ctx.state, { ttlMs: app.ctx.config.sessionTtlSeconds * 1000 });
  const db = oidcDb(app.ctx.database.db);

  // Ending the provider session (RP-initiated logout) ends the weunion login session too; every
  // provider the source makes gets the listener once.
  const listening = new WeakSet<Provider>();
  const withLogoutListener: ProviderSource = {
    async get() {
      const provider = await source.get();
      if (!listening.has(provider)) {
        listening.add(provider);
        provider.on('end_session.success', (ctx) => {
          const sessionId = ctx.cookies.get(SESSION_COOKIE);
          if (sessionId !== undefined) void sessions.destroy(sessionId);
          ctx.cookies.set(SESSION_COOKIE, null);
        });
      }
      return provider;
    },
  };

  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    const handler = handOver(withLogoutListener);
    const paths = options.serveJwks ? [...PROVIDER_PATHS, '/jwks'] : PROVIDER_PATHS;
    for (const url of paths) scope.route({ method: ['GET', 'POST', 'OPTIONS'], url, handler });
    for (const url of GET_FOR_POST_PATHS) scope.route({ method: ['GET', 'OPTIONS'], url, handler });
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

function registerInteractionRoutes(app: FastifyInstance, source: ProviderSource, sessions: LoginSessions, db: OidcDb): void {
  // The consent page posts an HTML form.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))));
  });

  app.get('/interaction/:uid', async (request, reply) => {
    const { uid } = parseInput(uidParams, request.params);
    const provider = await source.get();
    const details = await provider.interactionDetails(request.raw, reply.raw);
    if (details.uid !== uid) return reply.redirect('/login/error?code=interaction_mismatch');
    if (details.prompt.name === 'login') {
      const clientId = typeof details.params.client_id === 'string' ? details.params.client_id : '';
      const session = await sessions.get(cookie(request, SESSION_COOKIE));
      const application = await findApplication(db, app.ctx.secrets, clientId);
      // An application with its own identity policy accepts only logins made under that policy;
      // a session from elsewhere sends the person through the login page once more.
      if (session !== null && (application === null || sessionServesApplication(application, session.clientId))) {
        reply.hijack();
        await provider.interactionFinished(
          request.raw,
          reply.raw,
          { login: { accountId: session.userId, amr: session.methods } },
          { mergeWithLastSubmission: false },
        );
        return reply;
      }
      return reply.redirect(`/login?${new URLSearchParams({ returnTo: `/interaction/${uid}`, client: clientId })}`);
    }
    if (details.prompt.name === 'consent') {
      const clientId = typeof details.params.client_id === 'string' ? details.params.client_id : '';
      const application = await findApplication(db, app.ctx.secrets, clientId);
      const scopes = String(details.params.scope ?? 'openid').split(' ');
      return reply.type('text/html; charset=utf-8').send(consentPage(uid, application?.name ?? clientId, scopes));
    }
    reply.hijack();
    await provider.interactionFinished(request.raw, reply.raw, {
      error: 'access_denied',
      error_description: `unsupported prompt ${details.prompt.name}`,
    });
    return reply;
  });

  app.post('/interaction/:uid/consent', async (request, reply) => {
    parseInput(uidParams, request.params);
    const { decision } = parseInput(consentBody, request.body);
    const provider = await source.get();
    const details = await provider.interactionDetails(request.raw, reply.raw);
    if (decision === 'deny') {
      reply.hijack();
      await provider.interactionFinished(request.raw, reply.raw, { error: 'access_denied', error_description: 'The person declined.' });
      return reply;
    }
    const { accountId } = details.session ?? {};
    const clientId = typeof details.params.client_id === 'string' ? details.params.client_id : undefined;
    if (accountId === undefined || clientId === undefined) return reply.redirect('/login/error?code=interaction_expired');
    const grant = details.grantId === undefined ? new provider.Grant({ accountId, clientId }) : await provider.Grant.find(details.grantId);
    if (grant === undefined) return reply.redirect('/login/error?code=interaction_expired');
    const missing = details.prompt.details.missingOIDCScope;
    if (Array.isArray(missing)) grant.addOIDCScope(missing.join(' '));
    const missingResources = z.record(z.string(), z.array(z.string())).safeParse(details.prompt.details.missingResourceScopes);
    if (missingResources.success) {
      for (const [indicator, scopes] of Object.entries(missingResources.data)) grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    reply.hijack();
    await provider.interactionFinished(request.raw, reply.raw, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return reply;
  });
}

const SCOPE_LABELS: Record<string, string> = {
  openid: 'Know who you are · 识别你的身份',
  profile: 'Your name, nickname and picture · 昵称与头像',
  phone: 'Your verified phone number · 手机号',
  email: 'Your verified email address · 邮箱',
  wechat: 'Your WeChat identities (openid, unionid) · 微信身份',
  offline_access: 'Stay signed in · 保持登录',
};

function consentPage(uid: string, appName: string, scopes: string[]): string {
  const items = scopes.map((s) => `<li>${escapeHtml(SCOPE_LABELS[s] ?? s)}</li>`).join('');
  return `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Allow ${escapeHtml(appName)}?</title>
<body style="font-family:system-ui,sans-serif;max-width:30rem;margin:3rem auto;padding:0 1rem">
<h1>${escapeHtml(appName)} would like to</h1><ul>${items}</ul>
<form method="post" action="/interaction/${escapeHtml(uid)}/consent">
<button name="decision" value="allow" autofocus>Allow · 允许</button>
<button name="decision" value="deny">Deny · 拒绝</button>
</form></body></html>`;
}

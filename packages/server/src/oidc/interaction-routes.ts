/**
 * The interaction pages oidc-provider sends the browser to (`/interaction/:uid`):
 * - `login`: answered from the weunion login session when it is good enough for the request
 *   (login-decision.ts), else the hosted login page, marked so that only a login made from here on
 *   counts (a `prompt=login` is never answered by the session that existed before it);
 * - `consent`: first-party applications are granted what they ask without a page; third-party ones
 *   get the consent page;
 * - `/interaction/:uid/abort`: the login cannot happen (refused, declined in WeChat, cancelled,
 *   abandoned): the application gets `access_denied` at its redirect URI, with `state` and `iss`.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import { z } from 'zod';
import { languageOf } from '../hosted/html.ts';
import { parseInput } from '../http/problem.ts';
import { subjectFor } from '../identity/subject.ts';
import { readCookie } from '../login/browser.ts';
import { ERROR_PAGE } from '../login/finish.ts';
import { type LoginSessions, SESSION_COOKIE } from '../login/sessions.ts';
import { sessionServesApplication } from './application-policy.ts';
import { type Application, findApplication } from './applications.ts';
import { consentPage } from './consent-page.ts';
import { decideLogin } from './login-decision.ts';
import type { ProviderSource } from './provider-source.ts';
import { publicOrigin } from './public-origin.ts';
import type { OidcDb } from './tables.ts';

const uidParams = z.object({ uid: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/) });
const consentBody = z.object({ decision: z.enum(['allow', 'deny']) });
const abortQuery = z.object({ reason: z.string().max(100).optional().catch(undefined) });

/** Same life as the provider's interactions (ttl.Interaction). */
const FRESH_LOGIN_TTL_MS = 3600_000;
const freshLoginKey = (uid: string) => `oidc:fresh-login:${uid}`;
const sessionHash = (sessionId: string | undefined) =>
  createHash('sha256')
    .update(sessionId ?? '')
    .digest('base64url');

/** What the application is told when the person could not or would not log in. */
const ABORT_DESCRIPTIONS: Record<string, string> = {
  cancelled: 'The person cancelled the login.',
  wechat_code_missing: 'The person declined the authorization in WeChat.',
  wechat_scope_unauthorized: 'The person declined the authorization in WeChat.',
  login_expired: 'The login was abandoned or expired.',
  registration_closed: 'This WeChat has no account here and registration is closed.',
  account_blocked: 'The account is blocked.',
  account_unavailable: 'The account is no longer available.',
  multiple_accounts: 'Several accounts match this WeChat.',
  login_refused: 'The login was refused.',
};

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

const param = (details: Details, name: string): string | undefined => {
  const value = details.params[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * Ends the interaction this request loaded (`interactionDetails`) with `result`, as the provider's
 * `interactionFinished` does — the result saved on the interaction, a 303 to where the provider
 * resumes — without loading the interaction and its session a second time: this request found them
 * for this browser a moment ago, and the resume endpoint checks the session against the interaction
 * again before it issues anything.
 */
async function finishInteraction(
  reply: FastifyReply,
  details: Details,
  result: InteractionResults,
  { mergeWithLastSubmission = true }: { mergeWithLastSubmission?: boolean } = {},
): Promise<FastifyReply> {
  details.result = mergeWithLastSubmission && !('error' in result) ? { ...details.lastSubmission, ...result } : result;
  await details.save(details.exp - Math.floor(Date.now() / 1000));
  return reply.redirect(details.returnTo, 303);
}

export function registerInteractionRoutes(app: FastifyInstance, source: ProviderSource, sessions: LoginSessions, db: OidcDb): void {
  const { state, secrets } = app.ctx;

  // The consent page posts an HTML form.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))));
  });

  /** The interaction of this browser, or `null` when it has none (expired, or another browser's). */
  const asPublic = publicOrigin(app.ctx.config.publicUrl);
  async function interactionOf(provider: Provider, request: FastifyRequest, reply: FastifyReply) {
    asPublic(request);
    try {
      return await provider.interactionDetails(request.raw, reply.raw);
    } catch {
      return null;
    }
  }

  async function applicationOf(details: Details): Promise<Application | null> {
    const clientId = param(details, 'client_id');
    return clientId === undefined ? null : findApplication(db, secrets, clientId);
  }

  app.get('/interaction/:uid', async (request, reply) => {
    const { uid } = parseInput(uidParams, request.params);
    const provider = await source.get();
    const details = await interactionOf(provider, request, reply);
    if (details === null) return reply.redirect(`${ERROR_PAGE}?code=interaction_expired`);
    if (details.uid !== uid) return reply.redirect(`${ERROR_PAGE}?code=interaction_mismatch`);
    const application = await applicationOf(details);

    // `select_account` is answered like a login that only a login made for this interaction satisfies.
    const selecting = details.prompt.name === 'select_account';
    if (details.prompt.name === 'login' || selecting) {
      const sessionId = readCookie(request, SESSION_COOKIE);
      const session = await sessions.get(sessionId);
      const mark = await state.get(freshLoginKey(uid));
      const decision = decideLogin({ reasons: details.prompt.reasons, details: details.prompt.details }, session, {
        freshForInteraction: mark !== null && session !== null && mark !== sessionHash(sessionId),
        // An application with its own identity policy accepts only logins made under that policy.
        servesApplication: application === null || sessionServesApplication(application, session?.clientId),
        now: Date.now(),
        ...(session === null || application === null ? {} : { subject: await subjectFor(db, session.userId, application.subjectType) }),
      });
      if (decision.kind === 'login') {
        // From here on, only a session other than this browser's current one answers this interaction.
        await state.set(freshLoginKey(uid), sessionHash(sessionId), { ttlMs: FRESH_LOGIN_TTL_MS });
        const query = new URLSearchParams({ returnTo: `/interaction/${uid}` });
        if (application !== null) query.set('client', application.id);
        for (const name of ['ui_locales', 'login_hint']) {
          const value = param(details, name);
          if (value !== undefined) query.set(name, value);
        }
        return reply.redirect(`/login?${query}`);
      }
      await state.delete(freshLoginKey(uid));
      if (decision.kind === 'refuse') {
        return finishInteraction(reply, details, { error: decision.error, error_description: decision.description });
      }
      return finishInteraction(reply, details, selecting ? { select_account: {}, login: decision.login } : { login: decision.login }, {
        mergeWithLastSubmission: false,
      });
    }

    if (details.prompt.name === 'consent') {
      // The operator's own applications are granted what they ask; nobody is asked.
      if (application?.firstParty === true) {
        const grantId = await grantMissing(provider, details);
        if (grantId === null) return reply.redirect(`${ERROR_PAGE}?code=interaction_expired`);
        return finishInteraction(reply, details, { consent: { grantId } }, { mergeWithLastSubmission: true });
      }
      return consentPage(reply, {
        uid,
        language: languageOf(request, details.params.ui_locales),
        applicationName: application?.name ?? param(details, 'client_id') ?? '',
        scopes: (param(details, 'scope') ?? 'openid').split(' '),
        redirectUri: param(details, 'redirect_uri'),
      });
    }

    return finishInteraction(reply, details, { error: 'access_denied', error_description: `unsupported prompt ${details.prompt.name}` });
  });

  app.post('/interaction/:uid/consent', async (request, reply) => {
    parseInput(uidParams, request.params);
    const { decision } = parseInput(consentBody, request.body);
    const provider = await source.get();
    const details = await interactionOf(provider, request, reply);
    if (details === null || details.prompt.name !== 'consent') return reply.redirect(`${ERROR_PAGE}?code=interaction_expired`);
    if (decision === 'deny')
      return finishInteraction(reply, details, { error: 'access_denied', error_description: 'The person declined.' });
    const grantId = await grantMissing(provider, details);
    if (grantId === null) return finishInteraction(reply, details, { error: 'access_denied', error_description: 'The login ended.' });
    return finishInteraction(reply, details, { consent: { grantId } }, { mergeWithLastSubmission: true });
  });

  app.get('/interaction/:uid/abort', async (request, reply) => {
    const { uid } = parseInput(uidParams, request.params);
    const { reason } = parseInput(abortQuery, request.query);
    const provider = await source.get();
    const details = await interactionOf(provider, request, reply);
    if (details === null || details.uid !== uid) return reply.redirect(`${ERROR_PAGE}?code=interaction_expired`);
    await state.delete(freshLoginKey(uid));
    const description =
      (reason !== undefined && Object.hasOwn(ABORT_DESCRIPTIONS, reason) ? ABORT_DESCRIPTIONS[reason] : undefined) ??
      'The login did not complete.';
    return finishInteraction(reply, details, { error: 'access_denied', error_description: description });
  });
}

/** Adds what the consent prompt says is missing to the person's grant for the application; its id. */
async function grantMissing(provider: Provider, details: Details): Promise<string | null> {
  const accountId = details.session?.accountId;
  const clientId = param(details, 'client_id');
  if (accountId === undefined || clientId === undefined) return null;
  const grant = details.grantId === undefined ? new provider.Grant({ accountId, clientId }) : await provider.Grant.find(details.grantId);
  if (grant === undefined) return null;
  const missing = details.prompt.details;
  if (Array.isArray(missing.missingOIDCScope)) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (Array.isArray(missing.missingOIDCClaims)) grant.addOIDCClaims(missing.missingOIDCClaims.map(String));
  const resources = missing.missingResourceScopes;
  if (resources !== null && typeof resources === 'object') {
    for (const [indicator, scopes] of Object.entries(resources)) {
      if (Array.isArray(scopes)) grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  return grant.save();
}

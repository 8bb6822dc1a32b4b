/**
 * "Try login" that ends on weunion (issue #18): an admin tries an application's login from the
 * console without the application's own callback running. The console asks for an attempt
 * (`POST /console/api/try-login`); weunion keeps its state, nonce and PKCE verifier in shared state
 * and answers with the authorization URL, whose redirect URI is weunion's own
 * `/console/try-login/callback`. That page takes the code back, exchanges it at the token endpoint
 * as the application would (with its secret for a confidential one, server side), and shows the ID
 * token's claims — never the tokens, the code or the secret.
 *
 * The callback is a redirect URI of every web and SPA application (oidc/applications.ts), but it
 * only exchanges a code whose `state` names an attempt an admin started, once (`consume`); a code
 * sent there any other way is never exchanged and expires. The console's session cookie is not
 * required on the callback: a login through real WeChat returns through open.weixin.qq.com, and a
 * SameSite=Strict cookie does not survive that cross-site hop.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '@weunion/errors';
import type { FastifyInstance } from 'fastify';
import { decodeJwt } from 'jose';
import { z } from 'zod';
import { escapeHtml, languageOf, sendPage } from '../hosted/html.ts';
import { parseInput } from '../http/problem.ts';
import { findApplication, TRY_LOGIN_CALLBACK, tryLoginRedirectUri } from '../oidc/applications.ts';
import { oidcDb } from '../oidc/tables.ts';
import { checkCsrf, requireConsoleSession } from './sessions.ts';

const ATTEMPT_TTL_MS = 10 * 60_000;
const attemptKey = (state: string) => `console:try-login:${state}`;
const attemptSchema = z.object({ applicationId: z.string(), verifier: z.string(), nonce: z.string() });
/** Token endpoint authentication weunion can perform for the application (it holds the secret). */
const EXCHANGEABLE = new Set(['client_secret_basic', 'client_secret_post']);

const token = () => randomBytes(32).toString('base64url');
const discoverySchema = z.looseObject({ authorization_endpoint: z.string(), token_endpoint: z.string() });
const tokenResponseSchema = z.looseObject({ id_token: z.string() });

export function registerTryLogin(app: FastifyInstance): void {
  const { ctx } = app;
  const redirectUri = tryLoginRedirectUri(ctx.config.publicUrl);

  /** The provider's own endpoints, from its discovery document (it decides its paths). */
  async function discovery() {
    const response = await app.inject({ method: 'GET', url: '/.well-known/openid-configuration' });
    return discoverySchema.parse(response.json());
  }

  app.post('/console/api/try-login', async (request) => {
    const session = await requireConsoleSession(ctx, request);
    checkCsrf(ctx, request, session);
    const body = parseInput(z.object({ applicationId: z.string().min(1).max(100) }).strict(), request.body);
    const application = await findApplication(oidcDb(ctx.database.db), ctx.secrets, body.applicationId);
    if (application === null) throw new AppError('not_found', `No application ${body.applicationId}`);
    if (application.type !== 'web' && application.type !== 'spa') {
      throw new AppError('validation_failed', 'Only web and single-page applications can end a try on weunion’s result page');
    }
    if (application.type === 'web' && application.secret !== null && !EXCHANGEABLE.has(application.tokenEndpointAuthMethod)) {
      throw new AppError(
        'validation_failed',
        `weunion cannot authenticate as an application that uses ${application.tokenEndpointAuthMethod}; try with its own redirect URI`,
      );
    }
    const state = token();
    const verifier = token();
    const nonce = token();
    await ctx.state.set(attemptKey(state), JSON.stringify({ applicationId: application.id, verifier, nonce }), { ttlMs: ATTEMPT_TTL_MS });
    // Discovery was asked in-process, so its URLs carry the wrong host: keep the path only.
    const url = new URL(new URL((await discovery()).authorization_endpoint).pathname, new URL(ctx.config.publicUrl).origin);
    url.search = new URLSearchParams({
      client_id: application.id,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid profile phone email',
      state,
      nonce,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    return { url: url.href, redirectUri };
  });

  app.get(TRY_LOGIN_CALLBACK, async (request, reply) => {
    const zh = languageOf(request) === 'zh-CN';
    const words = zh ? ZH : EN;
    const query = parseInput(
      z.object({
        code: z.string().max(2000).optional(),
        state: z.string().max(200).optional(),
        error: z.string().max(200).optional(),
        error_description: z.string().max(2000).optional(),
        iss: z.string().max(2000).optional(),
      }),
      request.query,
    );
    const raw = query.state === undefined ? null : await ctx.state.consume(attemptKey(query.state));
    const fail = (message: string, detail?: string) =>
      sendPage(
        reply,
        {
          language: zh ? 'zh-CN' : 'en',
          title: words.failed,
          body: `<h1>${escapeHtml(words.failed)}</h1><p>${escapeHtml(message)}</p>${detail === undefined ? '' : `<p class="muted small">${escapeHtml(detail)}</p>`}<p class="muted small">${escapeHtml(words.again)}</p>`,
        },
        400,
      );
    if (raw === null) return fail(words.unknownAttempt);
    const attempt = attemptSchema.parse(JSON.parse(raw));
    if (query.error !== undefined)
      return fail(words.refused, `${query.error}${query.error_description ? `: ${query.error_description}` : ''}`);
    if (query.code === undefined) return fail(words.noCode);
    const application = await findApplication(oidcDb(ctx.database.db), ctx.secrets, attempt.applicationId);
    if (application === null) return fail(words.noApplication);

    const form: Record<string, string> = {
      grant_type: 'authorization_code',
      code: query.code,
      redirect_uri: redirectUri,
      code_verifier: attempt.verifier,
      client_id: application.id,
    };
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (application.secret !== null && application.type === 'web') {
      if (application.tokenEndpointAuthMethod === 'client_secret_post') form.client_secret = application.secret;
      else {
        const basic = `${encodeURIComponent(application.id)}:${encodeURIComponent(application.secret)}`;
        headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
      }
    }
    const exchanged = await app.inject({
      method: 'POST',
      url: new URL((await discovery()).token_endpoint).pathname,
      headers: { ...headers, host: new URL(ctx.config.publicUrl).host },
      payload: new URLSearchParams(form).toString(),
    });
    const tokens = tokenResponseSchema.safeParse(exchanged.json());
    if (exchanged.statusCode !== 200 || !tokens.success) {
      const problem = z.looseObject({ error: z.string().optional(), error_description: z.string().optional() }).safeParse(exchanged.json());
      return fail(
        words.exchangeFailed,
        problem.success ? [problem.data.error, problem.data.error_description].filter(Boolean).join(': ') : undefined,
      );
    }
    const claims = decodeJwt(tokens.data.id_token);
    if (claims.nonce !== attempt.nonce) return fail(words.exchangeFailed, 'nonce mismatch');
    const rows = Object.entries(claims)
      .map(([name, value]) => {
        const shown = typeof value === 'string' ? value : JSON.stringify(value);
        const when =
          TIME_CLAIMS.has(name) && typeof value === 'number'
            ? ` <span class="muted small">(${escapeHtml(new Date(value * 1000).toISOString())})</span>`
            : '';
        return `<tr><th scope="row">${escapeHtml(name)}</th><td>${escapeHtml(shown)}${when}</td></tr>`;
      })
      .join('');
    return sendPage(reply, {
      language: zh ? 'zh-CN' : 'en',
      title: words.success,
      body: `<h1>${escapeHtml(words.success)}</h1><p>${escapeHtml(words.intro(application.name))}</p>
<table class="claims"><caption>${escapeHtml(words.claims)}</caption><tbody>${rows}</tbody></table>
<p class="muted small">${escapeHtml(words.note)}</p><p><a href="/console/applications/${encodeURIComponent(application.id)}">${escapeHtml(words.back)}</a></p>`,
    });
  });
}

const TIME_CLAIMS = new Set(['iat', 'exp', 'auth_time', 'nbf', 'updated_at']);

const EN = {
  success: 'Login works',
  intro: (name: string) => `${name} received this ID token. Its claims — what the application learns about the person:`,
  claims: 'ID token claims',
  note: 'The tokens themselves are not shown and were not kept; this page ends the try.',
  back: 'Back to the application',
  failed: 'The try did not finish',
  unknownAttempt: 'This page only finishes a “Try login” started from the console, once. Start a new try from the application’s page.',
  refused: 'The login ended without a code.',
  noCode: 'The login came back without a code.',
  noApplication: 'The application no longer exists.',
  exchangeFailed: 'The code could not be exchanged for tokens.',
  again: 'Start a new try from the console.',
};
const ZH: typeof EN = {
  success: '登录成功',
  intro: (name: string) => `${name} 收到了这个 ID 令牌。其中的声明（应用获知的用户信息）：`,
  claims: 'ID 令牌声明',
  note: '不显示令牌本身，也不保留；本次试用到此结束。',
  back: '返回接入应用',
  failed: '试用未完成',
  unknownAttempt: '此页面只能完成一次从控制台发起的“试用登录”。请在接入应用页面重新发起。',
  refused: '登录结束，但没有返回授权码。',
  noCode: '登录返回时没有授权码。',
  noApplication: '该接入应用已不存在。',
  exchangeFailed: '无法用授权码换取令牌。',
  again: '请从控制台重新发起试用。',
};

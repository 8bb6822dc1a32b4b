/**
 * S4 — web authorization inside the WeChat browser (WeChat docs: 网页授权,
 * developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html).
 *
 * `GET /login/s4?returnTo=` sends the browser to `connect/oauth2/authorize`; WeChat comes back to
 * `/login/s4/callback?code&state`; we exchange the code with the official account's credentials
 * and sign in.
 *
 * Quirks handled here:
 * - Scope per connection (`settings.webAuthScope`): `snsapi_base` is silent but gives only the
 *   openid; `snsapi_userinfo` asks the person once and gives the profile and the unionid. `auto`
 *   starts silent and comes back for a second, `snsapi_userinfo` round only when the openid is
 *   unknown, or the account is bound to an Open Platform account and no unionid is on record yet
 *   (landscape complaint #7: silent login for people already known).
 * - `state` is at most 128 characters of `[A-Za-z0-9]` and the parameter order matters: a short
 *   server-side handle (login/oauth-state.ts) and the client's `authorizeUrl`.
 * - `is_snapshotuser: 1` (a page opened from a Moments "snapshot" preview) carries a stand-in
 *   openid/unionid: refused before any look-up, with its own error page code.
 * - `sns/userinfo` answering 48001 (scope not granted) falls back to the openid alone.
 * - Codes are single use and live 5 minutes.
 */
import { AppError } from '@weunion/errors';
import type { OAuthScope } from '@weunion/wechat';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { WechatIdentityFacts } from '../connections/sign-in.ts';
import { signInThroughConnection } from '../connections/sign-in.ts';
import type { Connection } from '../connections/store.ts';
import { checkedReturnTo } from '../embedding/return-to.ts';
import { parseInput } from '../http/problem.ts';
import { RateLimiter } from '../http/rate-limit.ts';
import { lookupWechatIdentity } from '../identity/index.ts';
import { agreedQuery, checkAgreement } from '../login/agreement.ts';
import { clientIp, publicUrl } from '../login/browser.ts';
import { connectionForScenario, credentialsOf } from '../login/connection-choice.ts';
import { finishOutcome, redirectAfterLogin, redirectToErrorPage } from '../login/finish.ts';
import { createLoginState, takeLoginState } from '../login/oauth-state.ts';
import { REDIRECT_START_PER_IP } from '../login/rate-rules.ts';
import { profileFromUserInfo } from '../login/sns-profile.ts';
import { applicationForLogin, policyForLogin } from '../oidc/application-policy.ts';

const CALLBACK_PATH = '/login/s4/callback';

const startSchema = z.object({
  returnTo: z.string().max(2000).optional(),
  connection: z.string().max(63).optional(),
  client: z.string().min(1).max(100).optional(),
  agreed: agreedQuery,
});
const callbackSchema = z.object({ code: z.string().min(1).max(512).optional(), state: z.string().max(256).optional() });

function firstScope(connection: Connection): OAuthScope {
  return connection.settings.webAuthScope === 'snsapi_userinfo' ? 'snsapi_userinfo' : 'snsapi_base';
}

export function registerS4(app: FastifyInstance): void {
  const ctx = app.ctx;
  const limiter = new RateLimiter(ctx.state);
  const redirectUri = publicUrl(ctx, CALLBACK_PATH);

  app.get('/login/s4', async (request, reply) => {
    try {
      const query = parseInput(startSchema, request.query);
      const returnTo = await checkedReturnTo(ctx, query.returnTo);
      await limiter.consume(REDIRECT_START_PER_IP, clientIp(request));
      const connection = await connectionForScenario(app, 's4', query.connection);
      if (query.client !== undefined) checkAgreement(await applicationForLogin(ctx, query.client, 's4'), query.agreed !== undefined);
      const scope = firstScope(connection);
      const state = await createLoginState(app, request, reply, {
        scenario: 's4',
        connectionId: connection.id,
        returnTo,
        scope,
        ...(query.client === undefined ? {} : { clientId: query.client }),
      });
      return reply.redirect(ctx.wechat.oauth.authorizeUrl({ appid: connection.appid, redirectUri, scope, state }), 302);
    } catch (error) {
      return redirectToErrorPage(request, reply, error);
    }
  });

  app.get(CALLBACK_PATH, async (request, reply) => {
    let returnTo: string | undefined;
    try {
      const query = parseInput(callbackSchema, request.query);
      const flow = await takeLoginState(app, request, query.state ?? '', 's4');
      returnTo = flow.returnTo;
      if (query.code === undefined) throw new AppError('wechat_code_missing', 'The authorization was declined');
      const connection = await connectionForScenario(app, 's4', flow.connectionId);
      const token = await ctx.wechat.oauth.exchangeCode(credentialsOf(connection), query.code);
      if (token.isSnapshotUser) throw new AppError('wechat_snapshot_user');

      let facts: WechatIdentityFacts = { openid: token.openid, unionid: token.unionid };
      if (flow.scope === 'snsapi_base' && connection.settings.webAuthScope === 'auto') {
        const known = await lookupWechatIdentity(ctx.database.db, { appid: connection.appid, openid: token.openid });
        const needsUnionid = connection.openPlatformId !== null && known?.unionid == null;
        if (known === null || needsUnionid) {
          // Second round: the person is asked once for the profile (and unionid).
          const state = await createLoginState(app, request, reply, {
            scenario: 's4',
            connectionId: connection.id,
            returnTo: flow.returnTo,
            scope: 'snsapi_userinfo',
            ...(flow.clientId === undefined ? {} : { clientId: flow.clientId }),
          });
          return reply.redirect(
            ctx.wechat.oauth.authorizeUrl({ appid: connection.appid, redirectUri, scope: 'snsapi_userinfo', state }),
            302,
          );
        }
      }
      if (flow.scope === 'snsapi_userinfo') {
        const info = await ctx.wechat.oauth.getUserInfo(token.accessToken, token.openid).catch((error: unknown) => {
          if (error instanceof AppError && error.code === 'wechat_scope_unauthorized') return null;
          throw error;
        });
        if (info !== null) facts = { openid: token.openid, unionid: token.unionid ?? info.unionid, profile: profileFromUserInfo(info) };
      }
      const policy = await policyForLogin(ctx, connection.policy, flow.clientId, 's4');
      const outcome = await signInThroughConnection(ctx, connection, 's4', facts, policy);
      const answer = await finishOutcome(app, request, reply, outcome, {
        scenario: 's4',
        appid: connection.appid,
        returnTo: flow.returnTo,
        clientId: flow.clientId,
      });
      return redirectAfterLogin(reply, answer);
    } catch (error) {
      return redirectToErrorPage(request, reply, error, returnTo);
    }
  });
}

/**
 * S2 — website-app QR login on a PC (WeChat docs: 网站应用微信登录开发指南,
 * developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/Wechat_Login.html).
 *
 * `GET /login/s2?returnTo=` sends the browser to `connect/qrconnect`; the person scans and confirms
 * on the phone; WeChat sends the browser back to `/login/s2/callback?code&state`; we exchange the
 * code (`sns/oauth2/access_token`), fetch the profile (`sns/userinfo`) and sign in.
 * Embedded variant: `GET /api/login/s2/embedded` gives what a page passes to `new WxLogin({...})`
 * (wxLogin.js draws the QR in an iframe); the iframe then sends the *top* window to the same callback.
 *
 * Quirks handled here:
 * - `state` is at most 128 characters of `[A-Za-z0-9]`: it is a short server-side handle, bound
 *   to this browser, single use, 10 minutes (see login/oauth-state.ts).
 * - On refusal WeChat redirects nowhere (older docs: back with `state` and no `code`): a callback
 *   without a code is a cancelled login.
 * - The code is single use and lives 10 minutes; a reused one is `wechat_code_invalid`.
 * - `unionid` comes with the token when the website app is bound to an Open Platform account;
 *   userinfo repeats it (either is taken).
 * - wxLogin.js lives on res.wx.qq.com, not on open.weixin.qq.com; the sandbox serves both paths.
 */
import { AppError } from '@weunion/errors';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { signInThroughConnection } from '../connections/sign-in.ts';
import { checkedReturnTo } from '../embedding/return-to.ts';
import { parseInput } from '../http/problem.ts';
import { RateLimiter } from '../http/rate-limit.ts';
import { agreedQuery, checkAgreement } from '../login/agreement.ts';
import { clientIp, publicUrl } from '../login/browser.ts';
import { connectionForScenario, credentialsOf } from '../login/connection-choice.ts';
import { finishOutcome, redirectAfterLogin, redirectToErrorPage } from '../login/finish.ts';
import { createLoginState, takeLoginState } from '../login/oauth-state.ts';
import { REDIRECT_START_PER_IP } from '../login/rate-rules.ts';
import { profileFromUserInfo } from '../login/sns-profile.ts';
import { applicationForLogin, policyForLogin } from '../oidc/application-policy.ts';

const CALLBACK_PATH = '/login/s2/callback';
const WX_LOGIN_SCRIPT_PATH = 'connect/zh_CN/htmledition/js/wxLogin.js';

const startSchema = z.object({
  returnTo: z.string().max(2000).optional(),
  connection: z.string().max(63).optional(),
  client: z.string().min(1).max(100).optional(),
  agreed: agreedQuery,
});
const callbackSchema = z.object({ code: z.string().min(1).max(512).optional(), state: z.string().max(256).optional() });

/** Where wxLogin.js is: res.wx.qq.com for real WeChat, beside qrconnect for the sandbox or a proxy. */
export function wxLoginScriptUrl(qrconnectUrl: string): string {
  const url = new URL(qrconnectUrl);
  if (url.origin === 'https://open.weixin.qq.com') return `https://res.wx.qq.com/${WX_LOGIN_SCRIPT_PATH}`;
  return `${url.origin}${url.pathname.replace(/connect\/qrconnect$/, '')}${WX_LOGIN_SCRIPT_PATH}`;
}

export function registerS2(app: FastifyInstance): void {
  const ctx = app.ctx;
  const limiter = new RateLimiter(ctx.state);
  const redirectUri = publicUrl(ctx, CALLBACK_PATH);

  /** A new state handle for this browser, and the qrconnect URL carrying it. */
  const begin = async (request: Parameters<typeof createLoginState>[1], reply: Parameters<typeof createLoginState>[2]) => {
    const query = parseInput(startSchema, request.query);
    const returnTo = await checkedReturnTo(ctx, query.returnTo);
    await limiter.consume(REDIRECT_START_PER_IP, clientIp(request));
    const connection = await connectionForScenario(app, 's2', query.connection);
    if (query.client !== undefined) checkAgreement(await applicationForLogin(ctx, query.client, 's2'), query.agreed !== undefined);
    const state = await createLoginState(app, request, reply, {
      scenario: 's2',
      connectionId: connection.id,
      returnTo,
      scope: 'snsapi_login',
      ...(query.client === undefined ? {} : { clientId: query.client }),
    });
    return { connection, state, url: ctx.wechat.oauth.qrConnectUrl({ appid: connection.appid, redirectUri, state }) };
  };

  app.get('/login/s2', async (request, reply) => {
    try {
      const { url } = await begin(request, reply);
      return reply.redirect(url, 302);
    } catch (error) {
      return redirectToErrorPage(request, reply, error);
    }
  });

  // The embedded variant: the page shows WeChat's QR in an iframe (wxLogin.js); the state cookie
  // is set here, in the page's own (top-level) origin, so the top-window redirect carries it.
  app.get('/api/login/s2/embedded', async (request, reply) => {
    const { connection, state, url } = await begin(request, reply);
    reply.header('cache-control', 'no-store');
    return {
      appid: connection.appid,
      scope: 'snsapi_login',
      redirect_uri: redirectUri,
      state,
      self_redirect: false,
      scriptUrl: wxLoginScriptUrl(url),
    };
  });

  app.get(CALLBACK_PATH, async (request, reply) => {
    let returnTo: string | undefined;
    try {
      const query = parseInput(callbackSchema, request.query);
      const flow = await takeLoginState(app, request, query.state ?? '', 's2');
      returnTo = flow.returnTo;
      if (query.code === undefined) throw new AppError('wechat_code_missing', 'The sign-in was cancelled on the phone');
      const connection = await connectionForScenario(app, 's2', flow.connectionId);
      const credentials = credentialsOf(connection);
      const token = await ctx.wechat.oauth.exchangeCode(credentials, query.code);
      const info = await ctx.wechat.oauth.getUserInfo(token.accessToken, token.openid);
      const policy = await policyForLogin(ctx, connection.policy, flow.clientId, 's2');
      const outcome = await signInThroughConnection(
        ctx,
        connection,
        's2',
        { openid: token.openid, unionid: token.unionid ?? info.unionid, profile: profileFromUserInfo(info) },
        policy,
      );
      const answer = await finishOutcome(app, request, reply, outcome, {
        scenario: 's2',
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

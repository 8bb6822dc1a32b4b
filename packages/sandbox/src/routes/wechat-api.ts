/**
 * The server APIs of `api.weixin.qq.com` (and showqrcode of `mp.weixin.qq.com`), each a thin
 * translation to the protocol modules. Every call is counted in the stats, then delayed and
 * failed as the fault injection says, before WeChat's own rules run.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { appidOfToken, fetchAccessToken, fetchStableToken, requireAppToken } from '../app-tokens.ts';
import type { SandboxContext } from '../context.ts';
import { getJsTicket } from '../js-sdk.ts';
import { checkSession, codeToSession, redeemPhoneCode, removeUserStorage, setUserStorage, validateWxacode } from '../mini-program.ts';
import { generateScheme, generateUrlLink } from '../mini-program-links.ts';
import { appidOfUserToken, checkUserToken, exchangeOAuthCode, refreshUserToken, userInfo } from '../oauth.ts';
import { batchFollowerInfo, createQrCode, followerInfo, liveTicket } from '../official-account.ts';
import { renderQrPng } from '../qr-image.ts';
import { WechatApiError } from '../wechat-error.ts';
import { type Query, readQuery, readWechatJson } from './input.ts';

interface WechatCall {
  query: Query;
  body: Record<string, unknown>;
  /** The POST body exactly as sent (what session-key signatures cover); '' for GET. */
  rawBody: string;
}

interface WechatRoute {
  method: 'GET' | 'POST';
  path: string;
  /** How the stats and fault injection name it: the path without its leading slash. */
  endpoint: string;
  appidOf(call: WechatCall): string | undefined;
  /** A JSON answer, or PNG bytes. */
  answer(call: WechatCall): unknown;
}

/** Where a mini program code points: the virtual phone opens the page with the scene. */
export function miniProgramCodeUrl(publicUrl: string, appid: string, page: string, scene: string, envVersion: string): string {
  const url = new URL(`${publicUrl}/phone/open`);
  url.searchParams.set('appid', appid);
  url.searchParams.set('page', page);
  url.searchParams.set('scene', scene);
  url.searchParams.set('env_version', envVersion);
  return url.href;
}

export function avatarUrlFor(publicUrl: string): (personId: string) => string {
  return (personId) => `${publicUrl}/mmopen/${encodeURIComponent(personId)}/132`;
}

function routes(ctx: SandboxContext): WechatRoute[] {
  const { world } = ctx;
  const tokenApp = (call: WechatCall) => requireAppToken(world, call.query.access_token);
  const byToken = (call: WechatCall) => appidOfToken(world, call.query.access_token);
  return [
    {
      method: 'GET',
      path: '/sns/oauth2/access_token',
      endpoint: 'sns/oauth2/access_token',
      appidOf: (call) => call.query.appid,
      answer: ({ query }) =>
        exchangeOAuthCode(world, { appid: query.appid, secret: query.secret, code: query.code, grantType: query.grant_type }),
    },
    {
      method: 'GET',
      path: '/sns/oauth2/refresh_token',
      endpoint: 'sns/oauth2/refresh_token',
      appidOf: (call) => call.query.appid,
      answer: ({ query }) =>
        refreshUserToken(world, { appid: query.appid, grantType: query.grant_type, refreshToken: query.refresh_token }),
    },
    {
      method: 'GET',
      path: '/sns/userinfo',
      endpoint: 'sns/userinfo',
      appidOf: (call) => appidOfUserToken(world, call.query.access_token),
      answer: ({ query }) =>
        userInfo(world, { accessToken: query.access_token, openid: query.openid, lang: query.lang }, avatarUrlFor(ctx.publicUrl())),
    },
    {
      method: 'GET',
      path: '/sns/auth',
      endpoint: 'sns/auth',
      appidOf: (call) => appidOfUserToken(world, call.query.access_token),
      answer: ({ query }) => checkUserToken(world, { accessToken: query.access_token, openid: query.openid }),
    },
    {
      method: 'GET',
      path: '/cgi-bin/token',
      endpoint: 'cgi-bin/token',
      appidOf: (call) => call.query.appid,
      answer: ({ query }) => fetchAccessToken(world, { grantType: query.grant_type, appid: query.appid, secret: query.secret }),
    },
    {
      method: 'POST',
      path: '/cgi-bin/stable_token',
      endpoint: 'cgi-bin/stable_token',
      appidOf: (call) => (typeof call.body.appid === 'string' ? call.body.appid : undefined),
      answer: ({ body }) => {
        const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
        if (body.force_refresh !== undefined && typeof body.force_refresh !== 'boolean')
          throw new WechatApiError('invalidArgs', 'force_refresh');
        return fetchStableToken(world, {
          grantType: text(body.grant_type),
          appid: text(body.appid),
          secret: text(body.secret),
          forceRefresh: body.force_refresh === true,
        });
      },
    },
    {
      method: 'POST',
      path: '/cgi-bin/qrcode/create',
      endpoint: 'cgi-bin/qrcode/create',
      appidOf: byToken,
      answer: (call) => createQrCode(world, tokenApp(call), call.body, ctx.publicUrl()),
    },
    {
      method: 'GET',
      path: '/cgi-bin/user/info',
      endpoint: 'cgi-bin/user/info',
      appidOf: byToken,
      answer: (call) => followerInfo(world, tokenApp(call), call.query.openid, call.query.lang),
    },
    {
      method: 'POST',
      path: '/cgi-bin/user/info/batchget',
      endpoint: 'cgi-bin/user/info/batchget',
      appidOf: byToken,
      answer: (call) => batchFollowerInfo(world, tokenApp(call), call.body),
    },
    {
      method: 'GET',
      path: '/cgi-bin/ticket/getticket',
      endpoint: 'cgi-bin/ticket/getticket',
      appidOf: byToken,
      answer: (call) => getJsTicket(world, tokenApp(call), call.query.type),
    },
    {
      method: 'POST',
      path: '/wxa/generatescheme',
      endpoint: 'wxa/generatescheme',
      appidOf: byToken,
      answer: (call) => generateScheme(world, tokenApp(call), call.body),
    },
    {
      method: 'POST',
      path: '/wxa/generate_urllink',
      endpoint: 'wxa/generate_urllink',
      appidOf: byToken,
      answer: (call) => generateUrlLink(world, tokenApp(call), call.body, ctx.publicUrl()),
    },
    {
      method: 'GET',
      path: '/sns/jscode2session',
      endpoint: 'sns/jscode2session',
      appidOf: (call) => call.query.appid,
      answer: ({ query }) =>
        codeToSession(world, { appid: query.appid, secret: query.secret, jsCode: query.js_code, grantType: query.grant_type }),
    },
    {
      method: 'POST',
      path: '/wxa/business/getuserphonenumber',
      endpoint: 'wxa/business/getuserphonenumber',
      appidOf: byToken,
      answer: (call) => redeemPhoneCode(world, tokenApp(call), typeof call.body.code === 'string' ? call.body.code : undefined),
    },
    {
      method: 'POST',
      path: '/wxa/getwxacodeunlimit',
      endpoint: 'wxa/getwxacodeunlimit',
      appidOf: byToken,
      answer: async (call) => {
        const app = tokenApp(call);
        const request = validateWxacode(app, call.body);
        return renderQrPng(miniProgramCodeUrl(ctx.publicUrl(), app.appid, request.page, request.scene, request.envVersion), request.width);
      },
    },
    {
      method: 'GET',
      path: '/wxa/checksession',
      endpoint: 'wxa/checksession',
      appidOf: byToken,
      answer: (call) => checkSession(world, tokenApp(call), sessionSigned(call)),
    },
    {
      method: 'POST',
      path: '/wxa/set_user_storage',
      endpoint: 'wxa/set_user_storage',
      appidOf: byToken,
      answer: (call) => setUserStorage(world, tokenApp(call), sessionSigned(call), call.rawBody, call.body),
    },
    {
      method: 'POST',
      path: '/wxa/remove_user_storage',
      endpoint: 'wxa/remove_user_storage',
      appidOf: byToken,
      answer: (call) => removeUserStorage(world, tokenApp(call), sessionSigned(call), call.rawBody, call.body),
    },
  ];
}

function sessionSigned(call: WechatCall): { openid: string | undefined; signature: string | undefined; sigMethod: string | undefined } {
  return { openid: call.query.openid, signature: call.query.signature, sigMethod: call.query.sig_method };
}

async function sendAnswer(reply: FastifyReply, answer: unknown): Promise<FastifyReply> {
  if (Buffer.isBuffer(answer)) return reply.header('content-type', 'image/png').send(answer);
  return reply.header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(answer));
}

/** Reads a request body stream whole, so the raw text can be kept beside the parsed JSON. */
async function readAll(payload: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of payload) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

export function registerWechatApi(app: FastifyInstance, ctx: SandboxContext): void {
  // Session-key signatures cover the body byte for byte, so POST bodies are kept as sent too.
  const rawBodies = new WeakMap<object, string>();
  const keepRawBody = {
    preParsing: async (request: FastifyRequest, _reply: FastifyReply, payload: AsyncIterable<unknown>) => {
      const raw = await readAll(payload);
      rawBodies.set(request, raw.toString('utf8'));
      return Readable.from([raw]);
    },
  };
  // WeChat reads a POST body as JSON whatever its content type (many clients send none, or a
  // form's): these routes take any body as text and readWechatJson decides.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    registerApiRoutes(scope, ctx, keepRawBody, rawBodies);
  });

  // mp.weixin.qq.com: the image of a parametric QR code. No auth; 404 for an unknown or expired ticket.
  app.get('/cgi-bin/showqrcode', async (request, reply) => {
    const query = readQuery(request.query);
    const qr = query.ticket === undefined ? undefined : liveTicket(ctx.world, query.ticket);
    ctx.world.stats.count('cgi-bin/showqrcode', qr?.appid);
    if (qr === undefined) return reply.status(404).header('content-type', 'text/plain; charset=utf-8').send('Not Found');
    const png = await renderQrPng(`${ctx.publicUrl()}/q/${qr.code}`);
    return reply.header('content-type', 'image/png').header('cache-control', 'no-store').send(png);
  });
}

/** The WeChat API routes of `routes(ctx)`, on `app` (a scope that reads every body as text). */
function registerApiRoutes(
  app: FastifyInstance,
  ctx: SandboxContext,
  keepRawBody: { preParsing: (request: FastifyRequest, reply: FastifyReply, payload: AsyncIterable<unknown>) => Promise<Readable> },
  rawBodies: WeakMap<object, string>,
): void {
  for (const route of routes(ctx)) {
    if (route.method === 'POST') {
      // WeChat answers a GET of a POST-only API with its own JSON refusal, not an HTTP 404.
      app.get(route.path, async (request, reply) => {
        ctx.world.stats.count(route.endpoint, route.appidOf({ query: readQuery(request.query), body: {}, rawBody: '' }));
        return sendAnswer(reply, new WechatApiError('requirePost').toBody());
      });
    }
    app.route({
      method: route.method,
      url: route.path,
      ...(route.method === 'POST' ? keepRawBody : {}),
      handler: async (request, reply) => {
        let appid: string | undefined;
        try {
          const call: WechatCall = {
            query: readQuery(request.query),
            body: route.method === 'POST' ? readWechatJson(request.body) : {},
            rawBody: rawBodies.get(request) ?? '',
          };
          appid = route.appidOf(call);
          ctx.world.stats.count(route.endpoint, appid);
          const latency = ctx.world.faults.latencyFor(appid);
          if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
          ctx.world.faults.injectFor(appid, call.query.access_token !== undefined);
          return await sendAnswer(reply, await route.answer(call));
        } catch (error) {
          if (error instanceof WechatApiError) return sendAnswer(reply, error.toBody());
          throw error;
        }
      },
    });
  }
}

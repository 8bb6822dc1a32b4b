/**
 * `GET /wechat/js-sdk/config?appid&url`: the `wx.config` values (appId, timestamp, nonceStr,
 * signature) a page inside the WeChat browser needs to use the JS-SDK of an official account
 * (JS-SDK 说明文档, developers.weixin.qq.com/doc/service/guide/h5/jssdk.html, 附录1).
 *
 * Rules:
 * - Only official-account connections have a JS-SDK; an unknown appid or another kind of app is 404.
 * - Only pages on the connection's JS-safe domain (JS接口安全域名 — the host of PUBLIC_URL, what the
 *   console tells admins to enter, `connections/setup.ts`) get a signature: WeChat would refuse
 *   any other page anyway, and signing for any URL would hand other sites a working config of
 *   this account. Other URLs are 403.
 * - The signature covers the URL without its `#` fragment, as the page has it (`location.href`
 *   up to `#`). The jsapi ticket behind it is fetched once per cluster and cached in shared state
 *   (`wechat.jsSdk`), so this endpoint costs WeChat nothing per call; it is still rate-limited per
 *   client address, since each miss after expiry is a WeChat call.
 * - Never cached by browsers or proxies (the timestamp and nonce are fresh each time).
 */
import { AppError } from '@weunion/errors';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { connectionSetup } from '../connections/setup.ts';
import { findConnectionByAppid } from '../connections/store.ts';
import { parseInput } from '../http/problem.ts';
import { RateLimiter, type RateRule } from '../http/rate-limit.ts';
import { clientIp } from '../login/browser.ts';

const JS_SDK_CONFIG_PER_IP: RateRule = { name: 'js-sdk-config', limit: 120, windowMs: 60_000 };

const querySchema = z.object({
  appid: z.string().regex(/^wx[0-9a-zA-Z]{6,30}$/, { error: 'must be a WeChat appid (wx…)' }),
  url: z.url({ protocol: /^https?$/, error: 'must be the absolute http(s) URL of the page' }).max(2048),
});

export function registerJsSdkConfig(app: FastifyInstance): void {
  const ctx = app.ctx;
  const limiter = new RateLimiter(ctx.state);

  app.get('/wechat/js-sdk/config', async (request, reply) => {
    await limiter.consume(JS_SDK_CONFIG_PER_IP, clientIp(request));
    const query = parseInput(querySchema, request.query);
    const connection = await findConnectionByAppid(ctx.database.db, ctx.secrets, query.appid);
    if (connection === null || connection.appType !== 'official_account') {
      throw new AppError('not_found', `No official account ${query.appid} is connected here`);
    }
    const jsDomain = connectionSetup(connection, ctx.config.publicUrl).find((value) => value.key === 'js_domain')?.value;
    const page = new URL(query.url);
    if (jsDomain === undefined || page.host !== jsDomain) {
      throw new AppError('forbidden', `Only pages on ${jsDomain ?? 'the JS-safe domain'} get a JS-SDK config for ${query.appid}`, {
        details: { jsDomain },
      });
    }
    if (connection.secret === null) {
      throw new AppError('wechat_credentials_invalid', `Connection ${connection.id} has no AppSecret configured`);
    }
    const config = await ctx.wechat.jsSdk.config({ appid: connection.appid, secret: connection.secret }, query.url, {
      signal: AbortSignal.timeout(10_000),
    });
    return reply.header('cache-control', 'no-store').send(config);
  });
}

/**
 * S3 on the same phone — from a phone browser outside WeChat into the mini program (WeChat docs:
 * 获取加密URLScheme generateScheme, developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/qrcode-link/url-scheme/generateScheme.html,
 * and 获取加密URLLink generateUrlLink, …/qrcode-link/url-link/generateUrlLink.html).
 *
 * A QR on the phone's own screen cannot be scanned, so `POST /api/login/s3/link` opens the same
 * ticket as S3 and asks WeChat for a link that opens the mini program's login page
 * (`MINI_PROGRAM_LOGIN_PAGE`) with `ticket=<id>` as its query: a URL Scheme
 * (`weixin://dl/business/?t=…`, the default: the browser page stays where it is while WeChat opens)
 * or, with `"link": "url_link"`, a URL Link (`https://wxaurl.cn/…`, which also works where a
 * custom scheme is blocked). The person confirms in the mini program (with the phone number if
 * they want) exactly as after scanning an S3 code (`mp/ticket-routes.ts`); the browser, holding
 * the ticket's secret, follows and redeems it like S1/S3.
 *
 * Quirks handled here:
 * - Each link costs quota (at most 500,000 schemes and URL Links a day per mini program, 45009
 *   after that; 100 a second, 44990), so the ticket limits apply before WeChat is asked.
 * - Links live at least a day (`expire_interval` 1–30 days); the ticket, not the link, decides how
 *   long the login can be confirmed — an old link opens the page, which then says the login expired.
 * - Only published pages can be opened (40165), and the query is `[0-9A-Za-z…%]` only (40212): a
 *   ticket id is base62, so `ticket=<id>` needs no encoding.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseInput } from '../http/problem.ts';
import { RateLimiter } from '../http/rate-limit.ts';
import { openBrowserTicket, openSchema, ticketAnswer } from '../login/browser-ticket.ts';
import { credentialsOf } from '../login/connection-choice.ts';

/** A link lives at least one day (WeChat's minimum); the ticket expires long before. */
const LINK_DAYS = 1;

const linkSchema = openSchema
  .unwrap()
  .extend({ link: z.enum(['scheme', 'url_link']).optional().describe('scheme (default) or url_link') })
  .strict()
  .optional();

export function registerS3Link(app: FastifyInstance): void {
  const ctx = app.ctx;
  const limiter = new RateLimiter(ctx.state);

  app.post('/api/login/s3/link', async (request, reply) => {
    const { link, ...body } = parseInput(linkSchema, request.body) ?? {};
    const opened = await openBrowserTicket(app, limiter, request, 's3', body);
    const input = { path: ctx.config.miniProgramLoginPage, query: `ticket=${opened.ticket.id}`, expireIntervalDays: LINK_DAYS };
    const credentials = credentialsOf(opened.connection);
    const openLink =
      link === 'url_link'
        ? await ctx.wechat.miniProgram.generateUrlLink(credentials, input)
        : await ctx.wechat.miniProgram.generateScheme(credentials, input);
    return ticketAnswer(app, reply, opened, { openLink });
  });
}

/**
 * S3, PC side — log in on a PC by scanning a mini program code (WeChat docs: 获取不限制的小程序码
 * getUnlimitedQRCode, developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/qrcode-link/qr-code/getUnlimitedQRCode.html).
 *
 * `POST /api/login/s3` creates a QR ticket and a mini program code (`wxa/getwxacodeunlimit`) that
 * opens the login page (`MINI_PROGRAM_LOGIN_PAGE`) with `scene` = the ticket id; the holder fetches
 * the PNG at `GET /api/login/tickets/:id/qr.png`. The mini program side (scan, confirm with
 * `wx.login` and the optional phone code, cancel) is `mp/ticket-routes.ts`; the browser follows
 * the ticket and redeems it (`POST /api/login/tickets/:id/redeem`) like S1.
 *
 * Quirks handled here:
 * - `scene` is at most 32 characters of a restricted set: the ticket id is 22 base62 characters,
 *   so the whole ticket fits and no server-side scene mapping is needed.
 * - The code is an image, not a URL, and each one costs quota: it is fetched once per ticket and
 *   kept in shared state beside the ticket (any instance serves it) for as long as the QR lives.
 * - WeChat answers JSON instead of PNG for failures (41030 page not published, 40169 scene too
 *   long): those surface as the WeChat error, and the ticket is left to expire unused.
 */
import { AppError } from '@weunion/errors';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseInput } from '../http/problem.ts';
import { RateLimiter } from '../http/rate-limit.ts';
import { readCookie } from '../login/browser.ts';
import { openBrowserTicket, ticketAnswer } from '../login/browser-ticket.ts';
import { credentialsOf } from '../login/connection-choice.ts';
import { TICKET_SECRET_HEADER, ticketCookieName } from '../tickets/routes.ts';

const paramsSchema = z.object({ id: z.string().min(1).max(64) });
const imageSchema = z.object({ contentType: z.enum(['image/png', 'image/jpeg']), base64: z.string() });

const imageKey = (id: string) => `s3:code-image:${id}`;

export function registerS3(app: FastifyInstance): void {
  const ctx = app.ctx;
  const limiter = new RateLimiter(ctx.state);

  app.post('/api/login/s3', async (request, reply) => {
    // Every ticket costs a getwxacodeunlimit call from the mini program's quota (limited on open).
    const opened = await openBrowserTicket(app, limiter, request, 's3');
    const { connection, ticket } = opened;
    const image = await ctx.wechat.miniProgram.getUnlimitedCode(credentialsOf(connection), {
      scene: ticket.id,
      page: ctx.config.miniProgramLoginPage,
    });
    const stored = JSON.stringify({ contentType: image.contentType, base64: Buffer.from(image.bytes).toString('base64') });
    await ctx.state.set(imageKey(ticket.id), stored, { ttlMs: Math.max(1_000, ticket.qrExpiresAt - Date.now()) });
    return ticketAnswer(app, reply, opened, { qrImageUrl: `/api/login/tickets/${ticket.id}/qr.png` });
  });

  // Only the ticket's holder gets the image: a code copied out of the page leads nowhere useful,
  // but there is no reason to serve it to anyone else either.
  app.get('/api/login/tickets/:id/qr.png', async (request, reply) => {
    const { id } = parseInput(paramsSchema, request.params);
    const header = request.headers[TICKET_SECRET_HEADER];
    const secret = typeof header === 'string' && header !== '' ? header : readCookie(request, ticketCookieName(id));
    if (secret === undefined || secret === '') throw new AppError('not_found', 'No such login ticket (it may have expired)');
    const record = await app.tickets.authorize(id, secret);
    if (record.kind !== 's3') throw new AppError('not_found', 'No such login ticket (it may have expired)');
    const raw = await ctx.state.get(imageKey(id));
    const image = raw === null ? null : imageSchema.safeParse(JSON.parse(raw)).data;
    if (image === null || image === undefined) throw new AppError('gone', 'This QR code has expired; refresh it to try again');
    return reply.header('cache-control', 'private, no-store').type(image.contentType).send(Buffer.from(image.base64, 'base64'));
  });
}

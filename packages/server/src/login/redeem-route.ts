/**
 * `POST /api/login/tickets/:id/redeem`: the browser that created an S1 or S3 ticket takes the
 * confirmed sign-in, exactly once, with the ticket's secret (the `wu_ticket_<id>` cookie or the
 * `x-ticket-secret` header). A confirmed ticket read by anyone else — the QR shown to a stranger
 * who scanned it — yields a 404, the same as an unknown ticket.
 */
import { AppError } from '@weunion/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseInput } from '../http/problem.ts';
import { TICKET_SECRET_HEADER, ticketCookieName } from '../tickets/routes.ts';
import { clearCookie, readCookie, setCookie } from './browser.ts';
import { finishBrowserLogin } from './finish.ts';
import { ticketResultSchema } from './ticket-result.ts';

/** Ticket kinds a browser redeems (S7 tickets are the mobile app's). */
const BROWSER_TICKET_KINDS = new Set(['s1', 's3']);

const paramsSchema = z.object({ id: z.string().min(1).max(64) });
const browserContextSchema = z.looseObject({ returnTo: z.string().optional(), applicationId: z.string().optional() });

export const ticketCookiePath = (id: string) => `/api/login/tickets/${id}`;

function ticketSecret(request: FastifyRequest, id: string): string {
  const header = request.headers[TICKET_SECRET_HEADER];
  if (typeof header === 'string' && header !== '') return header;
  const cookie = readCookie(request, ticketCookieName(id));
  if (cookie !== undefined && cookie !== '') return cookie;
  throw new AppError('not_found', 'No such login ticket (it may have expired)');
}

/** Gives the creating browser its ticket secret as an httpOnly cookie scoped to the ticket's routes. */
export function setTicketCookie(app: FastifyInstance, reply: FastifyReply, id: string, secret: string): void {
  setCookie(app.ctx, reply, ticketCookieName(id), secret, {
    maxAgeSeconds: app.ctx.config.ticketTtlSeconds,
    path: ticketCookiePath(id),
  });
}

export function registerRedeemRoute(app: FastifyInstance): void {
  app.post('/api/login/tickets/:id/redeem', async (request, reply) => {
    const { id } = parseInput(paramsSchema, request.params);
    const secret = ticketSecret(request, id);
    const record = await app.tickets.authorize(id, secret);
    if (!BROWSER_TICKET_KINDS.has(record.kind)) throw new AppError('not_found', 'No such login ticket (it may have expired)');
    const { result } = await app.tickets.redeem(id, secret);
    clearCookie(app.ctx, reply, ticketCookieName(id), ticketCookiePath(id));
    const parsed = ticketResultSchema.safeParse(result);
    if (!parsed.success) throw new AppError('internal', 'the confirmed ticket carries no sign-in result');
    const context = browserContextSchema.safeParse(record.context).data;
    return finishBrowserLogin(app, request, reply, parsed.data, context?.returnTo ?? '/', context?.applicationId);
  });
}

/**
 * Opening a PC login ticket (S1, S3): the same steps whichever WeChat code the page then shows.
 * The caller makes the code (each costs WeChat quota, hence the limits here first) and answers
 * with `ticketAnswer`, which hands the browser its ticket secret.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Connection } from '../connections/store.ts';
import { checkedReturnTo } from '../embedding/return-to.ts';
import { parseInput } from '../http/problem.ts';
import type { RateLimiter } from '../http/rate-limit.ts';
import { applicationForLogin } from '../oidc/application-policy.ts';
import type { TicketStatus } from '../tickets/qr-ticket.ts';
import { checkAgreement } from './agreement.ts';
import { clientIp } from './browser.ts';
import { connectionForScenario } from './connection-choice.ts';
import { QR_TICKET_PER_APPID, QR_TICKET_PER_IP } from './rate-rules.ts';
import { setTicketCookie } from './redeem-route.ts';

/** The body of every ticket-opening route (S1, S3, the S3 link); a route may extend it. */
export const openSchema = z
  .object({
    connection: z.string().max(63).optional(),
    returnTo: z.string().max(2000).optional(),
    client: z.string().min(1).max(100).optional(),
    /** The person ticked "I agree" (required when the application asks for it). */
    agreed: z.boolean().optional(),
  })
  .strict()
  .optional();

/** Validates the request, applies the quota limits and creates the ticket. */
export async function openBrowserTicket(
  app: FastifyInstance,
  limiter: RateLimiter,
  request: FastifyRequest,
  kind: 's1' | 's3',
  body: z.output<typeof openSchema> = parseInput(openSchema, request.body),
): Promise<{ connection: Connection; ticket: TicketStatus; secret: string }> {
  const ctx = app.ctx;
  const returnTo = await checkedReturnTo(ctx, body?.returnTo);
  const connection = await connectionForScenario(app, kind, body?.connection);
  if (body?.client !== undefined) checkAgreement(await applicationForLogin(ctx, body.client, kind), body.agreed === true);
  await limiter.consumeAll([
    [QR_TICKET_PER_IP, clientIp(request)],
    [QR_TICKET_PER_APPID, connection.appid],
  ]);
  const { ticket, secret } = await app.tickets.create({
    kind,
    context: {
      connectionId: connection.id,
      appid: connection.appid,
      returnTo,
      ...(body?.client === undefined ? {} : { applicationId: body.client }),
    },
    revealOnScan: connection.settings.revealScanner,
  });
  return { connection, ticket, secret };
}

/**
 * The answer to the page: where the code is (`qrImageUrl`, and `qrContent` when known: a page may
 * draw the QR itself; or the S3 link's `openLink`) and how to follow and redeem the ticket.
 */
export function ticketAnswer<Code extends { qrImageUrl: string; qrContent?: string } | { openLink: string }>(
  app: FastifyInstance,
  reply: FastifyReply,
  opened: { ticket: TicketStatus; secret: string },
  code: Code,
) {
  const { ticket, secret } = opened;
  setTicketCookie(app, reply, ticket.id, secret);
  reply.header('cache-control', 'no-store');
  return {
    ticketId: ticket.id,
    secret,
    ...code,
    qrExpiresAt: ticket.qrExpiresAt,
    expiresAt: ticket.expiresAt,
    status: `/api/login/tickets/${ticket.id}`,
    events: `/api/login/tickets/${ticket.id}/events`,
    redeem: `/api/login/tickets/${ticket.id}/redeem`,
  };
}

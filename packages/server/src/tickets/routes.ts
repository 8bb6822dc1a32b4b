/**
 * How a browser or app follows its login ticket: Server-Sent Events (pushed across instances
 * through shared-state pub/sub), with long-poll and plain poll fallbacks. Every route demands the
 * ticket's secret — in the `x-ticket-secret` header, or in the httpOnly cookie set when the
 * ticket was created — and answers 404 to anyone else, so a ticket id alone reveals nothing.
 *
 * A watcher that lost its connection (its instance died) reconnects to any instance and resumes:
 * the event stream takes the last version heard (`Last-Event-ID`, or `?since=` for an
 * `EventSource` opened anew) and sends the current status, then every newer one — never an older
 * one — so nothing heard twice looks like news and nothing missed in between is lost.
 */

import { AppError } from '@weunion/errors';
import type { Subscription } from '@weunion/state';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { readCookie } from '../http/cookies.ts';
import { parseInput } from '../http/problem.ts';
import type { QrTickets, TicketStatus } from './qr-ticket.ts';

export const TICKET_SECRET_HEADER = 'x-ticket-secret';
export const ticketCookieName = (id: string) => `wu_ticket_${id}`;

const TERMINAL: ReadonlySet<TicketStatus['state']> = new Set(['confirmed', 'cancelled', 'expired', 'consumed']);
const HEARTBEAT_MS = 15_000;
const MAX_LONG_POLL_SECONDS = 30;

const paramsSchema = z.object({ id: z.string().min(1).max(64) });
const eventsQuerySchema = z.object({ since: z.coerce.number().int().min(0).optional() });
/** `Last-Event-ID`, as an `EventSource` or the SDK sends it when reconnecting: the last version heard. */
const lastEventIdSchema = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const pollQuerySchema = z.object({
  since: z.coerce.number().int().min(0).optional(),
  wait: z.coerce.number().int().min(0).max(MAX_LONG_POLL_SECONDS).optional(),
});

function secretOf(request: FastifyRequest, id: string): string {
  const header = request.headers[TICKET_SECRET_HEADER];
  if (typeof header === 'string' && header !== '') return header;
  const cookie = readCookie(request, ticketCookieName(id));
  if (cookie !== undefined && cookie !== '') return cookie;
  throw new AppError('not_found', 'No such login ticket (it may have expired)');
}

/**
 * Long poll: the first status newer than `since`, or the current one after `waitMs`. A QR that
 * expires during the wait wakes the poller at that moment (expiry is lazy, nobody publishes it).
 */
async function waitForChange(
  tickets: QrTickets,
  id: string,
  secret: string,
  since: number,
  waitMs: number,
  waiting: Set<() => void>,
): Promise<TicketStatus> {
  let wake: (status: TicketStatus | undefined) => void = () => {};
  const woken = new Promise<TicketStatus | undefined>((resolve) => {
    wake = resolve;
  });
  // The instance shutting down answers at once with the current status (the client polls again, elsewhere).
  const answerNow = () => wake(undefined);
  waiting.add(answerNow);
  // Subscribe first, then read: a change between the two is not lost.
  const subscription = await tickets.watch(id, (status) => {
    if (status.version > since) wake(status);
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const current = await tickets.status(id, secret);
    if (current.version > since || TERMINAL.has(current.state)) return current;
    const untilExpiry = Math.max(0, current.qrExpiresAt - Date.now()) + 50;
    timer = setTimeout(() => wake(undefined), Math.min(waitMs, untilExpiry));
    return (await woken) ?? (await tickets.status(id, secret));
  } finally {
    waiting.delete(answerNow);
    clearTimeout(timer);
    await subscription.unsubscribe();
  }
}

/** The string headers already set on `reply` (a hijacked reply sends nothing by itself). */
function headersSetBefore(reply: FastifyReply): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) if (typeof value === 'string') headers[name] = value;
  return headers;
}

export function registerTicketRoutes(app: FastifyInstance, tickets: QrTickets): void {
  const streams = new Set<FastifyReply>();
  const polls = new Set<() => void>();
  // SSE connections never finish by themselves, and long polls wait up to 25 s: when the instance
  // shuts down, streams end and polls are answered with the current status at once, so the
  // graceful drain is not held up by watchers (they carry on with another instance).
  app.addHook('preClose', async () => {
    for (const reply of streams) reply.raw.end();
    for (const answerNow of polls) answerNow();
  });

  app.get('/api/login/tickets/:id', async (request) => {
    const { id } = parseInput(paramsSchema, request.params);
    const query = parseInput(pollQuerySchema, request.query);
    const secret = secretOf(request, id);
    if (query.wait === undefined || query.wait === 0) return tickets.status(id, secret);
    return waitForChange(tickets, id, secret, query.since ?? 0, query.wait * 1000, polls);
  });

  app.get('/api/login/tickets/:id/events', async (request, reply) => {
    const { id } = parseInput(paramsSchema, request.params);
    const { since } = parseInput(eventsQuerySchema, request.query);
    const header = request.headers['last-event-id'];
    // A malformed Last-Event-ID is the browser echoing something odd back: start from scratch rather than refuse.
    const lastEventId = typeof header === 'string' ? lastEventIdSchema.safeParse(header).data : undefined;
    const resumeFrom = Math.max(since ?? 0, lastEventId ?? 0);
    const secret = secretOf(request, id);
    await tickets.authorize(id, secret);

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      // Headers set before the hijack (CORS for a registered web origin) go out with the stream.
      ...headersSetBefore(reply),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': String(request.id),
    });
    streams.add(reply);
    let lastVersion = 0;
    let finished = false;
    let expiryTimer: NodeJS.Timeout | undefined;
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
    let subscription: Subscription | undefined;

    const finish = () => {
      if (finished) return;
      finished = true;
      clearInterval(heartbeat);
      clearTimeout(expiryTimer);
      streams.delete(reply);
      void subscription?.unsubscribe();
      raw.end();
    };
    const send = (status: TicketStatus) => {
      if (finished || status.version < lastVersion || (status.version === lastVersion && status.state !== 'expired')) return;
      lastVersion = status.version;
      raw.write(`id: ${status.version}\nevent: status\ndata: ${JSON.stringify(status)}\n\n`);
      if (TERMINAL.has(status.state)) finish();
    };
    raw.on('close', finish);

    subscription = await tickets.watch(id, send);
    const current = await tickets.status(id, secret).catch(() => undefined);
    if (current === undefined) {
      finish();
      return;
    }
    // Resume: nothing older than what the watcher heard. The current status is sent even when it heard
    // it already (a stream's first event says the stream works); a version from the future is ignored.
    lastVersion = Math.max(lastVersion, Math.min(resumeFrom, current.version) - 1);
    send(current);
    if (!finished) {
      // Nobody publishes a QR's expiry (it is lazy); tell the watcher when the moment comes.
      expiryTimer = setTimeout(
        async () => {
          const latest = await tickets.status(id, secret).catch(() => undefined);
          if (latest !== undefined) send(latest);
          else finish();
        },
        Math.max(0, current.qrExpiresAt - Date.now()) + 50,
      );
    }
  });
}

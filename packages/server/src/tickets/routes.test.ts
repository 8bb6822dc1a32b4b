/**
 * Following a ticket over HTTP: poll, long-poll and SSE, real sockets. With REDIS_URL, the
 * scale-out case: the ticket is created on one instance, confirmed through the other, and the
 * first instance's SSE stream sees it.
 */
import { randomUUID } from 'node:crypto';
import { MemorySharedState, RedisSharedState, type SharedState } from '@weunion/state';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { buildApp } from '../http/app.ts';
import { installProblemHandlers } from '../http/problem.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';
import { QrTickets, type TicketStatus } from './qr-ticket.ts';
import { registerTicketRoutes, TICKET_SECRET_HEADER, ticketCookieName } from './routes.ts';

const silent = pino({ level: 'silent' });
const sqlite = databaseBackends.find((b) => b.name === 'sqlite');
const redisUrl = process.env.REDIS_URL;

/** Reads SSE `status` events from a stream until it ends or `count` events arrived. */
async function readEvents(response: Response, count: number): Promise<TicketStatus[]> {
  const events: TicketStatus[] = [];
  const reader = response.body?.getReader();
  if (reader === undefined) throw new Error('no body');
  const decoder = new TextDecoder();
  let buffer = '';
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let boundary = buffer.indexOf('\n\n');
    while (boundary >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const data = block.split('\n').find((line) => line.startsWith('data: '));
      if (data !== undefined) events.push(JSON.parse(data.slice(6)) as TicketStatus);
      boundary = buffer.indexOf('\n\n');
    }
  }
  await reader.cancel().catch(() => {});
  return events;
}

async function startInstance(state: SharedState, database: TestDatabase, env: Record<string, string> = {}) {
  const app = await buildApp({ config: loadConfig(env), database, state }, { logger: silent });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url };
}

describe('following a ticket over HTTP', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let url: string;
  beforeAll(async () => {
    if (sqlite === undefined) throw new Error('no sqlite backend');
    database = await sqlite.open();
    ({ app, url } = await startInstance(new MemorySharedState(), database, { QR_TTL_SECONDS: '10' }));
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('the holder polls the status with the secret in a header or in the ticket cookie', async () => {
    const { ticket, secret } = await app.tickets.create({ kind: 's1' });
    const byHeader = await fetch(`${url}/api/login/tickets/${ticket.id}`, { headers: { [TICKET_SECRET_HEADER]: secret } });
    expect(byHeader.status).toBe(200);
    expect(await byHeader.json()).toMatchObject({ id: ticket.id, state: 'waiting', version: 1 });
    const byCookie = await fetch(`${url}/api/login/tickets/${ticket.id}`, {
      headers: { cookie: `${ticketCookieName(ticket.id)}=${secret}` },
    });
    expect((await byCookie.json()).state).toBe('waiting');
  });

  it('without the secret, or with a wrong one, the ticket does not exist', async () => {
    const { ticket } = await app.tickets.create({ kind: 's1' });
    expect((await fetch(`${url}/api/login/tickets/${ticket.id}`)).status).toBe(404);
    const wrong = await fetch(`${url}/api/login/tickets/${ticket.id}/events`, { headers: { [TICKET_SECRET_HEADER]: 'guess' } });
    expect(wrong.status).toBe(404);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
  });

  it('a long poll returns as soon as the ticket changes', async () => {
    const { ticket, secret } = await app.tickets.create({ kind: 's3' });
    const polling = fetch(`${url}/api/login/tickets/${ticket.id}?since=1&wait=20`, { headers: { [TICKET_SECRET_HEADER]: secret } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await app.tickets.markScanned(ticket.id);
    expect(await (await polling).json()).toMatchObject({ state: 'scanned', version: 2 });
  });

  it('an instance shutting down answers its long polls with the current status instead of holding the drain', async () => {
    const other = await startInstance(new MemorySharedState(), database, { QR_TTL_SECONDS: '60' });
    const { ticket, secret } = await other.app.tickets.create({ kind: 's1' });
    let answered = false;
    const polling = fetch(`${other.url}/api/login/tickets/${ticket.id}?since=1&wait=25`, {
      headers: { [TICKET_SECRET_HEADER]: secret },
    }).then(async (response) => {
      answered = true;
      return { status: response.status, body: await response.json() };
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answered).toBe(false);
    await other.app.close();
    expect(await polling).toMatchObject({ status: 200, body: { state: 'waiting', version: 1 } });
  });

  it('an out-of-range wait is a 400, not a hanging request', async () => {
    const { ticket, secret } = await app.tickets.create({ kind: 's3' });
    const response = await fetch(`${url}/api/login/tickets/${ticket.id}?wait=600`, { headers: { [TICKET_SECRET_HEADER]: secret } });
    expect(response.status).toBe(400);
  });

  it('the SSE stream sends the current state, then each change, and ends at confirmation', async () => {
    const { ticket, secret } = await app.tickets.create({ kind: 's1' });
    const response = await fetch(`${url}/api/login/tickets/${ticket.id}/events`, { headers: { [TICKET_SECRET_HEADER]: secret } });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reading = readEvents(response, 10);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await app.tickets.markScanned(ticket.id);
    await app.tickets.confirm(ticket.id, { userId: 'usr_secret_person' });
    const events = await reading;
    expect(events.map((e) => e.state)).toEqual(['waiting', 'scanned', 'confirmed']);
    expect(JSON.stringify(events)).not.toContain('usr_secret_person');
  });

  it('a reconnecting watcher resumes: the current status first (even one it heard), then only newer ones', async () => {
    const { ticket, secret } = await app.tickets.create({ kind: 's1' });
    await app.tickets.markScanned(ticket.id);
    const headers = { [TICKET_SECRET_HEADER]: secret };
    // Last-Event-ID as the SDK sends it, and ?since= as an EventSource opened anew sends it.
    for (const resume of [{ headers: { ...headers, 'last-event-id': '2' } }, { headers, query: '?since=2' }]) {
      const response = await fetch(`${url}/api/login/tickets/${ticket.id}/events${resume.query ?? ''}`, { headers: resume.headers });
      expect(response.status).toBe(200);
      const events = await readEvents(response, 1);
      expect(events.map((e) => [e.state, e.version])).toEqual([['scanned', 2]]);
    }
    // A garbled Last-Event-ID starts from scratch; a garbled since is the caller's mistake.
    const garbled = await fetch(`${url}/api/login/tickets/${ticket.id}/events`, { headers: { ...headers, 'last-event-id': 'x1' } });
    expect((await readEvents(garbled, 1)).map((e) => e.state)).toEqual(['scanned']);
    const badSince = await fetch(`${url}/api/login/tickets/${ticket.id}/events?since=-1`, { headers });
    expect(badSince.status).toBe(400);
    // A version from the future (a confused client) is ignored: the watcher still hears the truth.
    const ahead = await fetch(`${url}/api/login/tickets/${ticket.id}/events`, { headers: { ...headers, 'last-event-id': '9' } });
    const reading = readEvents(ahead, 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await app.tickets.confirm(ticket.id, { userId: 'u1' });
    expect((await reading).map((e) => e.state)).toEqual(['scanned', 'confirmed']);
  });

  it('the SSE stream and a long poll both tell the watcher when the QR expires', async () => {
    // A bare app with a 300 ms QR life, so expiry happens within the test.
    const logger: FastifyBaseLogger = silent;
    const bare = Fastify({ loggerInstance: logger });
    installProblemHandlers(bare);
    const tickets = new QrTickets(new MemorySharedState(), { qrTtlMs: 300, ticketTtlMs: 5_000 });
    registerTicketRoutes(bare, tickets);
    const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { ticket, secret } = await tickets.create({ kind: 's1' });
      const headers = { [TICKET_SECRET_HEADER]: secret };
      const [stream, poll] = await Promise.all([
        fetch(`${bareUrl}/api/login/tickets/${ticket.id}/events`, { headers }).then((r) => readEvents(r, 10)),
        fetch(`${bareUrl}/api/login/tickets/${ticket.id}?since=1&wait=20`, { headers }).then((r) => r.json()),
      ]);
      expect(stream.map((e) => e.state)).toEqual(['waiting', 'expired']);
      expect(poll).toMatchObject({ state: 'expired' });
    } finally {
      await bare.close();
    }
  });
});

describe.skipIf(redisUrl === undefined)('scale-out: two instances sharing Redis', () => {
  it('a ticket created on one instance and confirmed through the other reaches the first one’s SSE stream', async () => {
    if (sqlite === undefined) throw new Error('no sqlite backend');
    const prefix = `test:${randomUUID()}:`;
    const stateA = new RedisSharedState({ url: redisUrl ?? '', prefix });
    const stateB = new RedisSharedState({ url: redisUrl ?? '', prefix });
    await Promise.all([stateA.connect(), stateB.connect()]);
    const database = await sqlite.open();
    const first = await startInstance(stateA, database);
    const second = await startInstance(stateB, database);
    try {
      const { ticket, secret } = await first.app.tickets.create({ kind: 's3' });
      const response = await fetch(`${first.url}/api/login/tickets/${ticket.id}/events`, { headers: { [TICKET_SECRET_HEADER]: secret } });
      const reading = readEvents(response, 10);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await second.app.tickets.markScanned(ticket.id);
      await second.app.tickets.confirm(ticket.id, { userId: 'u' });
      expect((await reading).map((e) => e.state)).toEqual(['waiting', 'scanned', 'confirmed']);
      // The second instance answers the holder too.
      const polled = await fetch(`${second.url}/api/login/tickets/${ticket.id}`, { headers: { [TICKET_SECRET_HEADER]: secret } });
      expect((await polled.json()).state).toBe('confirmed');
    } finally {
      await Promise.all([first.app.close(), second.app.close()]);
      await Promise.all([stateA.close(), stateB.close()]);
      await database.dispose();
    }
  });
});

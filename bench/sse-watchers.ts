/**
 * Benchmark: 10,000 browsers following their QR tickets by Server-Sent Events on one weunion
 * instance. This process runs the instance (embedded storage, or Redis pub/sub when REDIS_URL is
 * set) and confirms the tickets; a child process plays the browsers (one SSE connection each) and
 * notes when each `confirmed` event arrives. Prints the instance's memory per open watcher and the
 * delay from `tickets.confirm` to the browser's event (both processes read the same clock).
 *
 * Run by hand, not in CI (Node 24; the file-descriptor limit must allow the connections):
 *
 *   node --expose-gc bench/sse-watchers.ts [--watchers 10000] [--rate 1000] [--burst 100]
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';

const { values } = parseArgs({
  options: {
    watchers: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '1000' },
    // Confirmations that start at the same instant: 100 (the default) is a harsh burst; real
    // confirmations are separate HTTP requests and arrive spread out (try --burst 10 or 1).
    burst: { type: 'string', default: '100' },
    client: { type: 'string' },
    url: { type: 'string' },
  },
});

const now = () => performance.timeOrigin + performance.now();
const ticketsSchema = z.array(z.object({ id: z.string(), secret: z.string() }));

if (values.client !== undefined) {
  // ── The browsers (child process) ──────────────────────────────────────────────────────────────
  const tickets = ticketsSchema.parse(JSON.parse(readFileSync(values.client, 'utf8')));
  const base = new URL(values.url ?? '');
  const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const received: [string, number][] = [];
  let open = 0;
  let failed = 0;
  const send = (message: unknown) => process.send?.(message);
  const watch = (ticket: { id: string; secret: string }) =>
    new Promise<void>((resolve) => {
      const request = http.get(
        {
          host: base.hostname,
          port: base.port,
          path: `/api/login/tickets/${ticket.id}/events`,
          headers: { 'x-ticket-secret': ticket.secret, accept: 'text/event-stream' },
          agent,
        },
        (response) => {
          let buffer = '';
          let counted = false;
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            buffer += chunk;
            if (!counted && buffer.includes('"state":"waiting"')) {
              counted = true;
              open++;
              resolve();
            }
            if (buffer.includes('"state":"confirmed"')) {
              received.push([ticket.id, now()]);
              buffer = '';
              if (received.length === tickets.length) send({ type: 'done', received });
            }
          });
          response.on('error', () => {});
        },
      );
      request.on('error', () => {
        failed++;
        resolve();
      });
    });
  // Open in batches so the listen backlog is not overrun.
  for (let i = 0; i < tickets.length; i += 500) await Promise.all(tickets.slice(i, i + 500).map(watch));
  send({ type: 'ready', open, failed });
  process.on('message', (message) => {
    if (message === 'report') send({ type: 'done', received });
  });
} else {
  // ── The instance (this process) ───────────────────────────────────────────────────────────────
  const { MemorySharedState, openSharedState } = await import('@weunion/state');
  const { pino } = await import('pino');
  const { loadConfig } = await import('../packages/server/src/config/index.ts');
  const { buildApp } = await import('../packages/server/src/http/app.ts');
  const { SecretBox, generateMasterKey } = await import('../packages/server/src/secrets/master-key.ts');
  const { migrateToLatest, openDatabase } = await import('../packages/server/src/storage/index.ts');

  const count = Number(values.watchers);
  const rate = Number(values.rate);
  const dir = mkdtempSync(path.join(tmpdir(), 'weunion-bench-sse-'));
  const database = await openDatabase(`sqlite:${path.join(dir, 'bench.db')}`);
  await migrateToLatest(database);
  const state = process.env.REDIS_URL
    ? await openSharedState({ redisUrl: process.env.REDIS_URL, prefix: `bench:${Date.now()}:` })
    : new MemorySharedState();
  const app = await buildApp(
    {
      config: loadConfig({ SANDBOX: 'off', QR_TTL_SECONDS: '600', TICKET_TTL_SECONDS: '900' }),
      database,
      state,
      secrets: new SecretBox(Buffer.from(generateMasterKey(), 'base64')),
    },
    { logger: pino({ level: 'silent' }) },
  );
  const url = await app.listen({ port: 0, host: '127.0.0.1' });

  const gc = () => {
    const collect: unknown = Reflect.get(globalThis, 'gc');
    if (typeof collect === 'function') collect();
  };
  const tickets: { id: string; secret: string }[] = [];
  for (let i = 0; i < count; i++) {
    const { ticket, secret } = await app.tickets.create({ kind: 's1' });
    tickets.push({ id: ticket.id, secret });
  }
  const file = path.join(dir, 'tickets.json');
  writeFileSync(file, JSON.stringify(tickets));
  gc();
  const before = process.memoryUsage();

  const child = fork(import.meta.filename, ['--client', file, '--url', url], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messageSchema = z.discriminatedUnion('type', [
    z.object({ type: z.literal('ready'), open: z.number(), failed: z.number() }),
    z.object({ type: z.literal('done'), received: z.array(z.tuple([z.string(), z.number()])) }),
  ]);
  const next = (type: 'ready' | 'done') =>
    new Promise<z.output<typeof messageSchema>>((resolve) => {
      const listener = (raw: unknown) => {
        const message = messageSchema.parse(raw);
        if (message.type === type) {
          child.off('message', listener);
          resolve(message);
        }
      };
      child.on('message', listener);
    });

  const ready = await next('ready');
  if (ready.type !== 'ready') throw new Error('unexpected message');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  gc();
  const after = process.memoryUsage();

  // Confirm at a steady rate, as WeChat events would arrive, noting when each confirm began.
  const confirmedAt = new Map<string, number>();
  const done = next('done');
  const batch = Math.max(1, Number(values.burst));
  const started = now();
  for (let i = 0; i < tickets.length; i += batch) {
    await Promise.all(
      tickets.slice(i, i + batch).map(async (ticket) => {
        confirmedAt.set(ticket.id, now());
        await app.tickets.confirm(ticket.id, { outcome: 'signed_in', userId: 'usr_bench', appid: 'wxbench', scenario: 's1' });
      }),
    );
    const due = started + ((i + batch) / rate) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - now())));
  }
  const timeout = setTimeout(() => child.send('report'), 30_000);
  const result = await done;
  clearTimeout(timeout);
  if (result.type !== 'done') throw new Error('unexpected message');
  const delays = result.received.map(([id, at]) => at - (confirmedAt.get(id) ?? at)).sort((a, b) => a - b);
  const pick = (p: number) => delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))] ?? Number.NaN;

  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  console.log(`SSE ticket watchers on one instance (${process.env.REDIS_URL ? 'Redis pub/sub' : 'in-process state'})`);
  console.log(`watchers open: ${ready.open} of ${count} (${ready.failed} failed to connect)`);
  console.log(
    `memory per watcher: ${((after.rss - before.rss) / ready.open / 1024).toFixed(1)} KB RSS, ${((after.heapUsed - before.heapUsed) / ready.open / 1024).toFixed(1)} KB heap (RSS ${mb(before.rss)} → ${mb(after.rss)})`,
  );
  console.log(`confirmed at ${rate}/s in bursts of ${batch}; events received: ${delays.length} of ${count}`);
  console.log(`confirm → browser event: p50 ${pick(50).toFixed(1)} ms, p99 ${pick(99).toFixed(1)} ms, max ${pick(100).toFixed(1)} ms`);

  child.kill('SIGTERM');
  await app.close();
  await state.close();
  await database.close();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Benchmark: 10,000 browsers following their QR tickets by Server-Sent Events on a WORKERS group
 * (node:cluster, one port) with the embedded SQLite state, where a confirmation handled by one
 * worker must reach a watcher connected to any worker through the primary's relay. This process
 * is the group's primary (as `weunion serve` is); the workers run the weunion app on one SQLite
 * database and state file; the browsers are the child of bench/sse-watchers.ts (--client mode).
 * Confirmations are spread over the workers in turn, at a steady rate. Prints the delay from a
 * worker starting `tickets.confirm` to the browser's event (all processes read the same clock).
 *
 * Run by hand, not in CI (Node 24; the file-descriptor limit must allow the connections):
 *
 *   node bench/sse-workers.ts [--workers 2] [--watchers 10000] [--rate 1000] [--burst 100]
 */

import { fork } from 'node:child_process';
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';

const now = () => performance.timeOrigin + performance.now();

const fromPrimary = z.discriminatedUnion('type', [
  z.object({ type: z.literal('create'), count: z.number() }),
  z.object({ type: z.literal('confirm'), ids: z.array(z.string()) }),
]);
const fromWorker = z.discriminatedUnion('type', [
  z.object({ type: z.literal('listening'), url: z.string() }),
  z.object({ type: z.literal('created'), tickets: z.array(z.object({ id: z.string(), secret: z.string() })) }),
  z.object({ type: z.literal('confirmed'), at: z.array(z.tuple([z.string(), z.number()])) }),
  z.object({ type: z.literal('weunion:bus') }).loose(),
]);

if (cluster.isWorker) {
  // ── A worker: the weunion app on the shared SQLite files, pub/sub over the cluster bus ────────
  const { ClusterBus, SqliteSharedState } = await import('@weunion/state');
  const { pino } = await import('pino');
  const { loadConfig } = await import('../packages/server/src/config/index.ts');
  const { buildApp } = await import('../packages/server/src/http/app.ts');
  const { SecretBox } = await import('../packages/server/src/secrets/master-key.ts');
  const { openDatabase } = await import('../packages/server/src/storage/index.ts');
  const dir = process.env.BENCH_DIR ?? '';
  const database = await openDatabase(`sqlite:${path.join(dir, 'bench.db')}`);
  const state = new SqliteSharedState({ file: path.join(dir, 'bench-state.db'), bus: new ClusterBus() });
  const app = await buildApp(
    {
      config: loadConfig({ SANDBOX: 'off', QR_TTL_SECONDS: '600', TICKET_TTL_SECONDS: '900' }),
      database,
      state,
      secrets: new SecretBox(Buffer.from(process.env.BENCH_MASTER_KEY ?? '', 'base64')),
    },
    { logger: pino({ level: 'silent' }) },
  );
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  process.on('message', async (raw: unknown) => {
    const parsed = fromPrimary.safeParse(raw);
    if (!parsed.success) return;
    const message = parsed.data;
    if (message.type === 'create') {
      const tickets: { id: string; secret: string }[] = [];
      for (let i = 0; i < message.count; i++) {
        const { ticket, secret } = await app.tickets.create({ kind: 's1' });
        tickets.push({ id: ticket.id, secret });
      }
      process.send?.({ type: 'created', tickets });
      return;
    }
    const at: [string, number][] = [];
    await Promise.all(
      message.ids.map(async (id) => {
        at.push([id, now()]);
        await app.tickets.confirm(id, { outcome: 'signed_in', userId: 'usr_bench', appid: 'wxbench', scenario: 's1' });
      }),
    );
    process.send?.({ type: 'confirmed', at });
  });
  process.send?.({ type: 'listening', url });
} else {
  // ── The primary ───────────────────────────────────────────────────────────────────────────────
  const { values } = parseArgs({
    options: {
      workers: { type: 'string', default: '2' },
      watchers: { type: 'string', default: '10000' },
      rate: { type: 'string', default: '1000' },
      // Confirmations that start at the same instant: 100 (the default) is a harsh burst; real
      // confirmations are separate HTTP requests and arrive spread out (try --burst 10 or 1).
      burst: { type: 'string', default: '100' },
    },
  });
  const workerCount = Number(values.workers);
  const count = Number(values.watchers);
  const rate = Number(values.rate);
  const { relayBusMessages } = await import('@weunion/state');
  const { migrateToLatest, openDatabase } = await import('../packages/server/src/storage/index.ts');

  const dir = mkdtempSync(path.join(tmpdir(), 'weunion-bench-sse-workers-'));
  const database = await openDatabase(`sqlite:${path.join(dir, 'bench.db')}`);
  await migrateToLatest(database);
  await database.close();

  relayBusMessages();
  const env = { BENCH_DIR: dir, BENCH_MASTER_KEY: randomBytes(32).toString('base64') };
  const workers = Array.from({ length: workerCount }, () => cluster.fork(env));
  const next = <T extends z.output<typeof fromWorker>['type']>(worker: (typeof workers)[number], type: T) =>
    new Promise<Extract<z.output<typeof fromWorker>, { type: T }>>((resolve) => {
      const listener = (raw: unknown) => {
        const message = fromWorker.parse(raw);
        if (message.type === type) {
          worker.off('message', listener);
          resolve(message as Extract<z.output<typeof fromWorker>, { type: T }>);
        }
      };
      worker.on('message', listener);
    });
  const [first] = await Promise.all(workers.map((w) => next(w, 'listening')));
  const url = first?.url ?? '';
  const [creator] = workers;
  if (creator === undefined) throw new Error('no worker');
  const created = next(creator, 'created');
  creator.send({ type: 'create', count });
  const { tickets } = await created;
  const file = path.join(dir, 'tickets.json');
  writeFileSync(file, JSON.stringify(tickets));

  const client = fork(path.join(import.meta.dirname, 'sse-watchers.ts'), ['--client', file, '--url', url], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const clientMessage = z.discriminatedUnion('type', [
    z.object({ type: z.literal('ready'), open: z.number(), failed: z.number() }),
    z.object({ type: z.literal('done'), received: z.array(z.tuple([z.string(), z.number()])) }),
  ]);
  const fromClient = (type: 'ready' | 'done') =>
    new Promise<z.output<typeof clientMessage>>((resolve) => {
      const listener = (raw: unknown) => {
        const message = clientMessage.parse(raw);
        if (message.type === type) {
          client.off('message', listener);
          resolve(message);
        }
      };
      client.on('message', listener);
    });
  const ready = await fromClient('ready');
  if (ready.type !== 'ready') throw new Error('unexpected message');
  await new Promise((resolve) => setTimeout(resolve, 1000));

  // Confirm at a steady rate, each batch on the next worker in turn.
  const confirmedAt = new Map<string, number>();
  const done = fromClient('done');
  const batch = Math.max(1, Number(values.burst));
  const started = now();
  for (let i = 0, turn = 0; i < tickets.length; i += batch, turn++) {
    const worker = workers[turn % workers.length];
    if (worker === undefined) throw new Error('no worker');
    const confirmed = next(worker, 'confirmed');
    worker.send({ type: 'confirm', ids: tickets.slice(i, i + batch).map((t) => t.id) });
    for (const [id, at] of (await confirmed).at) confirmedAt.set(id, at);
    const due = started + ((i + batch) / rate) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - now())));
  }
  const timeout = setTimeout(() => client.send('report'), 30_000);
  const result = await done;
  clearTimeout(timeout);
  if (result.type !== 'done') throw new Error('unexpected message');
  const delays = result.received.map(([id, at]) => at - (confirmedAt.get(id) ?? at)).sort((a, b) => a - b);
  const pick = (p: number) => delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))] ?? Number.NaN;

  console.log(`SSE ticket watchers on a group of ${workerCount} worker processes (SQLite state, pub/sub relayed by the primary)`);
  console.log(`watchers open: ${ready.open} of ${count} (${ready.failed} failed to connect)`);
  console.log(`confirmed at ${rate}/s in bursts of ${batch} across the workers in turn; events received: ${delays.length} of ${count}`);
  console.log(`confirm → browser event: p50 ${pick(50).toFixed(1)} ms, p99 ${pick(99).toFixed(1)} ms, max ${pick(100).toFixed(1)} ms`);

  client.kill('SIGTERM');
  for (const worker of workers) worker.kill();
  rmSync(dir, { recursive: true, force: true });
}

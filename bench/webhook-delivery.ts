/**
 * Benchmark: identity events (webhooks). Two figures per database:
 *
 * - what the outbox costs a change: `createUser` per second with no endpoint (nothing written
 *   beyond the audit entry) and with one endpoint wanting the event (the event and its delivery
 *   written in the same transaction);
 * - how fast one deliverer empties a backlog into a receiver on loopback (events per second,
 *   signed, each attempt logged).
 *
 * Runs on SQLite (a temporary file) and, when DATABASE_URL points at PostgreSQL, on PostgreSQL too.
 * Run by hand, not in CI:
 *
 *   node bench/webhook-delivery.ts [--events 2000]
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { MemorySharedState } from '@weunion/state';
import { SYSTEM_ACTOR } from '../packages/server/src/identity/audit.ts';
import { createUser } from '../packages/server/src/identity/users.ts';
import { SecretBox } from '../packages/server/src/secrets/master-key.ts';
import { migrateToLatest } from '../packages/server/src/storage/index.ts';
import { WebhookDeliverer } from '../packages/server/src/webhooks/deliverer.ts';
import { createEndpoint } from '../packages/server/src/webhooks/endpoints.ts';
import { onBenchDatabases } from './bench-databases.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '2000' } } });
const count = Number(values.events);

const received = { n: 0 };
const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    received.n += 1;
    response.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const address = server.address();
const url = `http://127.0.0.1:${address !== null && typeof address === 'object' ? address.port : 0}/hooks`;

await onBenchDatabases(async (name, database) => {
  await migrateToLatest(database);
  const secrets = new SecretBox(randomBytes(32));
  const perSecond = async () => {
    const started = performance.now();
    for (let i = 0; i < count; i++) await createUser(database.db, { nickname: `bench ${i}` }, SYSTEM_ACTOR);
    return (count / (performance.now() - started)) * 1000;
  };
  const without = await perSecond();
  await createEndpoint(database.db, secrets, { url, events: ['user.created'] }, { allowHttp: false, actor: SYSTEM_ACTOR });
  const withEndpoint = await perSecond();
  console.log(
    `${name}: createUser ${without.toFixed(0)}/s with no endpoint, ${withEndpoint.toFixed(0)}/s with one (outbox row + delivery)`,
  );

  const state = new MemorySharedState();
  received.n = 0;
  const deliverer = new WebhookDeliverer({
    db: database.db,
    state,
    secrets,
    config: {
      webhookTimeoutMs: 10_000,
      webhookLeaseMs: 60_000,
      webhookPollIntervalMs: 1_000,
      webhookRetryBaseMs: 1_000,
      webhookRetryWindowSeconds: 86_400,
      webhookDisableAfterSeconds: 86_400,
      webhookRetentionDays: 30,
    },
  });
  const started = performance.now();
  await deliverer.start();
  while (received.n < count) await new Promise((resolve) => setTimeout(resolve, 20));
  const seconds = (performance.now() - started) / 1000;
  await deliverer.stop();
  await state.close();
  console.log(
    `${name}: one deliverer sent a backlog of ${count} events in ${seconds.toFixed(2)} s: ${(count / seconds).toFixed(0)} events/s`,
  );
});
server.close();

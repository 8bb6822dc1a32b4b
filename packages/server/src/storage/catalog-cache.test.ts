/**
 * The catalog cache (catalog-cache.ts) keeps connections and applications per instance; a change
 * made anywhere must show on every instance's very next request. Two instances on one PostgreSQL
 * and Redis (when DATABASE_URL and REDIS_URL are set); on SQLite, an instance and another process's
 * connection to the same file (the `weunion` CLI), which no message reaches.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemorySharedState, RedisSharedState, type SharedState } from '@weunion/state';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { connectionInputSchema } from '../connections/schema.ts';
import { deleteConnection, upsertConnection } from '../connections/store.ts';
import { buildApp } from '../http/app.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { applicationInputSchema, createApplication, rotateApplicationSecret, updateApplication } from '../oidc/applications.ts';
import { oidcDb } from '../oidc/tables.ts';
import { SecretBox } from '../secrets/master-key.ts';
import { CatalogCache } from './catalog-cache.ts';
import { type Database, openDatabase } from './database.ts';
import { migrateToLatest } from './migrate.ts';
import { databaseBackends } from './test-backends.ts';

const postgres = databaseBackends.find((b) => b.name === 'postgres');
const redisUrl = process.env.REDIS_URL;
const masterKey = randomBytes(32);
const secrets = new SecretBox(masterKey);
const website = {
  id: 'cache-web',
  name: 'Cache website',
  appType: 'website',
  appid: 'wxcache0000000001',
  secret: 'website-secret',
  openPlatformId: null,
  scenarios: ['s2'],
};

interface Instance {
  app: FastifyInstance;
  url: string;
}

async function startInstance(database: Database, state: SharedState): Promise<Instance> {
  const config = loadConfig({ PUBLIC_URL: 'http://127.0.0.1:1', MASTER_KEY: masterKey.toString('base64') });
  const app = await buildApp({ config, database, state, secrets }, { logger: pino({ level: 'silent' }) });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url };
}

const loginPage = async (instance: Instance, clientId: string) =>
  (await fetch(`${instance.url}/login?client=${clientId}&returnTo=/`)).text();

/** Whether the instance accepts this client secret (introspection answers 401 to a client that fails to authenticate). */
const authenticates = async (instance: Instance, clientId: string, secret: string) => {
  const response = await fetch(`${instance.url}/token/introspection`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    },
    body: 'token=not-a-token',
  });
  await response.body?.cancel();
  return response.status === 200;
};

/** The changes each suite makes on one side (`writer`) and checks on an instance that cached the old state. */
function changesSeenAtOnce(setup: () => { writer: () => Database; reader: () => Instance; delivered: () => Promise<void> }) {
  const ctx = setup();

  it('a renamed application shows under its new name on the next request', async () => {
    const id = `app-${randomUUID().slice(0, 8)}`;
    const input = applicationInputSchema.parse({ id, name: 'Old name', type: 'web', redirectUris: ['https://a.example/cb'] });
    await createApplication(oidcDb(ctx.writer().db), secrets, input);
    expect(await loginPage(ctx.reader(), id)).toContain('Old name');
    await updateApplication(oidcDb(ctx.writer().db), secrets, id, { name: 'New name' });
    await ctx.delivered();
    const page = await loginPage(ctx.reader(), id);
    expect(page).toContain('New name');
    expect(page).not.toContain('Old name');
  });

  it('an application created after a miss is found on the next request', async () => {
    const id = `app-${randomUUID().slice(0, 8)}`;
    expect(await loginPage(ctx.reader(), id)).not.toContain('Created later');
    const input = applicationInputSchema.parse({ id, name: 'Created later', type: 'web', redirectUris: ['https://a.example/cb'] });
    await createApplication(oidcDb(ctx.writer().db), secrets, input);
    await ctx.delivered();
    expect(await loginPage(ctx.reader(), id)).toContain('Created later');
  });

  it('a rotated client secret works, and the old one stops working, on the next request', async () => {
    const id = `app-${randomUUID().slice(0, 8)}`;
    const input = applicationInputSchema.parse({ id, name: 'Secretive', type: 'web', redirectUris: ['https://a.example/cb'] });
    const { clientSecret } = await createApplication(oidcDb(ctx.writer().db), secrets, input);
    expect(await authenticates(ctx.reader(), id, clientSecret ?? '')).toBe(true);
    const rotated = await rotateApplicationSecret(oidcDb(ctx.writer().db), secrets, id);
    await ctx.delivered();
    expect(await authenticates(ctx.reader(), id, clientSecret ?? '')).toBe(false);
    expect(await authenticates(ctx.reader(), id, rotated)).toBe(true);
  });

  it('a connection that stops serving a scenario, or is deleted, is no longer offered on the next request', async () => {
    const offersS2 = async () => (await loginPage(ctx.reader(), 'none')).includes('data-way="s2"');
    await upsertConnection(ctx.writer().db, secrets, connectionInputSchema.parse(website), { source: 'api', actor: SYSTEM_ACTOR });
    expect(await offersS2()).toBe(true);
    await deleteConnection(ctx.writer().db, website.id, SYSTEM_ACTOR);
    await ctx.delivered();
    expect(await offersS2()).toBe(false);
  });
}

describe('catalog cache', () => {
  it('a read that began before a change does not keep what it read', async () => {
    const cache = new CatalogCache();
    let finish: (value: string) => void = () => {};
    const pending = cache.read('k', () => new Promise<string>((resolve) => (finish = resolve)));
    cache.drop();
    finish('read before the change');
    expect(await pending).toBe('read before the change');
    expect(await cache.read('k', async () => 'read after')).toBe('read after');
    expect(await cache.read('k', async () => 'not read again')).toBe('read after');
  });

  it('a miss is remembered until the catalog changes', async () => {
    const cache = new CatalogCache();
    expect(await cache.read('k', async () => null)).toBeNull();
    expect(await cache.read('k', async () => 'not read: the miss is remembered')).toBeNull();
    cache.drop();
    expect(await cache.read('k', async () => 'created')).toBe('created');
  });
});

describe.skipIf(postgres?.skip !== false || redisUrl === undefined)('catalog cache: two instances on PostgreSQL + Redis', () => {
  let close: () => Promise<void> = async () => {};
  let a: Database;
  let b: Instance;
  let stateA: RedisSharedState;
  let stateB: RedisSharedState;
  beforeAll(async () => {
    const database = await postgres?.open();
    if (database === undefined) throw new Error('no postgres backend');
    const sibling = await database.openSibling();
    const prefix = `test:${randomUUID()}:`;
    stateA = new RedisSharedState({ url: redisUrl ?? '', prefix });
    stateB = new RedisSharedState({ url: redisUrl ?? '', prefix });
    await Promise.all([stateA.connect(), stateB.connect()]);
    // Instance A makes the changes (as its management API would); instance B has cached the old state.
    const instanceA = await startInstance(database, stateA);
    b = await startInstance(sibling, stateB);
    a = database;
    close = async () => {
      await Promise.allSettled([instanceA.app.close(), b.app.close()]);
      await Promise.allSettled([stateA.close(), stateB.close(), sibling.close()]);
      await database.dispose();
    };
  });
  afterAll(() => close());

  /**
   * The change's message travels from A to B through Redis, which may be slower than the test's
   * next request on a loaded machine. A marker A publishes after it reaches B's subscriber
   * connection after it (Redis keeps one publisher's order): once B has heard the marker, it has
   * heard the change — what "B's next request" means in production, where the request comes later.
   */
  const delivered = async () => {
    let heard: () => void = () => {};
    const marker = new Promise<void>((resolve) => (heard = resolve));
    const subscription = await stateB.subscribe('test:marker', () => heard());
    await stateA.publish('test:marker', 'after the change');
    await marker;
    await subscription.unsubscribe();
  };

  changesSeenAtOnce(() => ({ writer: () => a, reader: () => b, delivered }));
});

describe('catalog cache: SQLite changed by another process (the CLI)', () => {
  let dir: string;
  let cli: Database;
  let served: Database;
  let instance: Instance;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'weunion-catalog-'));
    const file = path.join(dir, 'weunion.db');
    served = await openDatabase(`sqlite:${file}`);
    await migrateToLatest(served);
    instance = await startInstance(served, new MemorySharedState());
    // Another connection to the file, with no service and no message to send: what the CLI has.
    cli = await openDatabase(`sqlite:${file}`);
  });
  afterAll(async () => {
    await instance.app.close();
    await Promise.allSettled([cli.close(), served.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  // No message at all: the instance reads the catalog's version (kept by triggers) on every catalog read.
  changesSeenAtOnce(() => ({ writer: () => cli, reader: () => instance, delivered: async () => {} }));
});

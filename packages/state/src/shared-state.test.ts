/**
 * One contract, every implementation: what the in-process store promises, the SQLite store (two
 * handles on one file, and two worker processes of a node:cluster group) and Redis promise too.
 * The Redis run needs REDIS_URL (CI sets it); without it that part is reported as skipped.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalBus } from './bus.ts';
import { MemorySharedState } from './memory.ts';
import { RedisSharedState } from './redis.ts';
import { SqliteSharedState } from './sqlite.ts';
import type { Lock, SharedState, Subscription } from './types.ts';

const redisUrl = process.env.REDIS_URL;

interface Backend {
  name: string;
  skip: boolean;
  /** Two handles on the same store (two instances of a cluster). */
  open(): Promise<[SharedState, SharedState]>;
}

const backends: Backend[] = [
  {
    name: 'memory',
    skip: false,
    async open() {
      const state = new MemorySharedState();
      return [state, state];
    },
  },
  {
    name: 'sqlite (two handles on one file)',
    skip: false,
    async open() {
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'weunion-state-')), 'state.db');
      // Handles in one process share its bus, as the workers of a group share the relayed one.
      const bus = new LocalBus();
      return [new SqliteSharedState({ file, bus }), new SqliteSharedState({ file, bus })];
    },
  },
  {
    name: 'sqlite (two worker processes of a cluster)',
    skip: false,
    async open() {
      const group = await ClusterFixture.start();
      return [group.handle(0), group.handle(1)];
    },
  },
  {
    name: 'redis',
    skip: redisUrl === undefined,
    async open() {
      const prefix = `test:${randomUUID()}:`;
      const a = new RedisSharedState({ url: redisUrl ?? '', prefix });
      const b = new RedisSharedState({ url: redisUrl ?? '', prefix });
      await a.connect();
      await b.connect();
      return [a, b];
    },
  },
];

for (const backend of backends) {
  describe.skipIf(backend.skip)(`shared state contract: ${backend.name}`, () => {
    let a: SharedState;
    let b: SharedState;
    beforeAll(async () => {
      [a, b] = await backend.open();
    });
    afterAll(async () => {
      await a.close();
      if (b !== a) await b.close();
    });
    const key = () => `k:${randomUUID()}`;

    it('a value set on one instance is read on another until its TTL runs out', async () => {
      const k = key();
      expect(await a.set(k, 'v1', { ttlMs: 150 })).toBe(true);
      expect(await b.get(k)).toBe('v1');
      const ttl = await b.ttl(k);
      expect(ttl).not.toBeNull();
      expect(ttl).toBeLessThanOrEqual(150);
      await sleep(220);
      expect(await b.get(k)).toBeNull();
      expect(await b.ttl(k)).toBeNull();
    });

    it('set with ifAbsent does not overwrite an existing key', async () => {
      const k = key();
      expect(await a.set(k, 'first', { ttlMs: 10_000, ifAbsent: true })).toBe(true);
      expect(await b.set(k, 'second', { ttlMs: 10_000, ifAbsent: true })).toBe(false);
      expect(await a.get(k)).toBe('first');
    });

    it('delete reports whether the key existed', async () => {
      const k = key();
      await a.set(k, 'v', { ttlMs: 10_000 });
      expect(await b.delete(k)).toBe(true);
      expect(await b.delete(k)).toBe(false);
      expect(await a.get(k)).toBeNull();
    });

    it('100 concurrent consume calls on one key: exactly one caller wins', async () => {
      const k = key();
      await a.set(k, 'the-code', { ttlMs: 10_000 });
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).consume(k)));
      expect(results.filter((r) => r === 'the-code')).toHaveLength(1);
      expect(results.filter((r) => r === null)).toHaveLength(99);
      expect(await a.get(k)).toBeNull();
    });

    it('consume of an expired key yields nothing', async () => {
      const k = key();
      await a.set(k, 'v', { ttlMs: 50 });
      await sleep(120);
      expect(await b.consume(k)).toBeNull();
    });

    it('compare-and-set swaps only from the expected value, and only one of many racers wins', async () => {
      const k = key();
      expect(await a.compareAndSet(k, null, 'waiting', 10_000)).toBe(true);
      expect(await a.compareAndSet(k, null, 'waiting', 10_000)).toBe(false);
      const racers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).compareAndSet(k, 'waiting', `scanned-${i}`)),
      );
      expect(racers.filter(Boolean)).toHaveLength(1);
      expect(await a.get(k)).toMatch(/^scanned-\d+$/);
      expect(await b.compareAndSet(k, 'waiting', 'confirmed')).toBe(false);
    });

    it('compare-and-set without a TTL keeps the remaining life of the key', async () => {
      const k = key();
      await a.set(k, 'x', { ttlMs: 5_000 });
      expect(await b.compareAndSet(k, 'x', 'y')).toBe(true);
      const ttl = await a.ttl(k);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(5_000);
    });

    it('increments are atomic across instances and the window expires', async () => {
      const k = key();
      const values = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).increment(k, { ttlMs: 200 })));
      expect(new Set(values).size).toBe(40);
      expect(Math.max(...values)).toBe(40);
      await sleep(260);
      expect(await a.increment(k, { ttlMs: 200 })).toBe(1);
    });

    it('several counters are stepped at once, atomically, each with its own window', async () => {
      const [k1, k2, k3] = [key(), key(), key()];
      expect(await a.incrementAll([])).toEqual([]);
      expect(
        await a.incrementAll([
          { key: k1, ttlMs: 10_000 },
          { key: k2, ttlMs: 10_000, by: 5 },
        ]),
      ).toEqual([1, 5]);
      // Racing from two instances: every call sees the two counters move together.
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          (i % 2 === 0 ? a : b).incrementAll([
            { key: k1, ttlMs: 10_000 },
            { key: k2, ttlMs: 10_000, by: 5 },
          ]),
        ),
      );
      for (const [first, second] of results) expect(second).toBe((first ?? 0) * 5);
      expect(new Set(results.map(([first]) => first)).size).toBe(30);
      expect(
        await b.incrementAll([
          { key: k3, ttlMs: 200 },
          { key: k2, ttlMs: 1, by: -5 },
        ]),
      ).toEqual([1, 150]);
      await sleep(260);
      // k3's window ended; k2's did not (the TTL of a later step does not shorten it).
      expect(
        await a.incrementAll([
          { key: k3, ttlMs: 200 },
          { key: k2, ttlMs: 200 },
        ]),
      ).toEqual([1, 151]);
      await expect(a.incrementAll([{ key: k1, ttlMs: 0 }])).rejects.toThrow();
    });

    it('a lock held by one holder is not granted to a second until released', async () => {
      const name = key();
      const first = await a.acquireLock(name, 10_000);
      expect(first).not.toBeNull();
      expect(await b.acquireLock(name, 10_000)).toBeNull();
      expect(await first?.release()).toBe(true);
      const second = await b.acquireLock(name, 10_000);
      expect(second).not.toBeNull();
      // The first holder's late release must not free the second holder's lock.
      expect(await first?.release()).toBe(false);
      expect(await a.acquireLock(name, 10_000)).toBeNull();
      await second?.release();
    });

    it('a lock that is never released expires by itself', async () => {
      const name = key();
      expect(await a.acquireLock(name, 80)).not.toBeNull();
      expect(await b.acquireLock(name, 80)).toBeNull();
      await sleep(150);
      expect(await b.acquireLock(name, 80)).not.toBeNull();
    });

    it('of 100 concurrent lock requests exactly one is granted', async () => {
      const name = key();
      const locks = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).acquireLock(name, 10_000)));
      expect(locks.filter((l) => l !== null)).toHaveLength(1);
    });

    it('a message published on one connection reaches a subscriber on another', async () => {
      const channel = key();
      const received: string[] = [];
      const arrived = new Promise<void>((resolve) => {
        void b
          .subscribe(channel, (message) => {
            received.push(message);
            if (received.length === 2) resolve();
          })
          .then(async (subscription) => {
            await a.publish(channel, 'scanned');
            await a.publish(channel, 'confirmed');
            await arrived;
            await subscription.unsubscribe();
          });
      });
      await arrived;
      expect(received).toEqual(['scanned', 'confirmed']);
    });

    it('after unsubscribe no more messages arrive', async () => {
      const channel = key();
      const received: string[] = [];
      const subscription = await b.subscribe(channel, (m) => received.push(m));
      await a.publish(channel, 'one');
      await sleep(50);
      await subscription.unsubscribe();
      await a.publish(channel, 'two');
      await sleep(50);
      expect(received).toEqual(['one']);
    });

    it('ping succeeds on a live store', async () => {
      await expect(a.ping()).resolves.toBeUndefined();
    });
  });
}

describe('redis shared state', () => {
  it('fails fast with an error when Redis is unreachable', async () => {
    const state = new RedisSharedState({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 500 });
    await expect(state.connect().then(() => state.ping())).rejects.toThrow();
    await state.close();
  });
});

/**
 * The cluster fixture (testing/cluster-fixture.ts): a primary with two workers on one state file.
 * `handle(n)` is the shared-state interface of worker n, called over IPC.
 */
class ClusterFixture {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  readonly #listeners = new Map<number, (message: string) => void>();
  #nextId = 0;
  #open = 2;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (raw: unknown) => {
      const message = raw as { type: string; id?: number; result?: unknown; error?: string; subscription?: number };
      if (message.type === 'event') this.#listeners.get(message.subscription ?? -1)?.(String((raw as { message: unknown }).message));
      if (message.type !== 'rpc-result' || message.id === undefined) return;
      const waiter = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message.result);
    });
  }

  static async start(): Promise<ClusterFixture> {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'weunion-state-')), 'state.db');
    const child = fork(path.join(import.meta.dirname, 'testing/cluster-fixture.ts'), [file], { stdio: 'inherit' });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.on('message', (message: { type?: string }) => {
        if (message.type === 'ready') resolve();
      });
    });
    return new ClusterFixture(child);
  }

  #call(to: number, method: string, ...args: unknown[]): Promise<unknown> {
    const id = this.#nextId++;
    // IPC is JSON: an omitted trailing argument must stay omitted, not become null.
    while (args.length > 0 && args.at(-1) === undefined) args.pop();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.send({ type: 'rpc', to, id, method, args });
    });
  }

  handle(to: number): SharedState {
    const call = (method: string, ...args: unknown[]) => this.#call(to, method, ...args);
    const close = async () => {
      if (--this.#open === 0) this.#child.disconnect();
    };
    return {
      kind: 'sqlite',
      get: async (key) => (await call('get', key)) as string | null,
      set: async (key, value, options) => (await call('set', key, value, options)) as boolean,
      delete: async (key) => (await call('delete', key)) as boolean,
      ttl: async (key) => (await call('ttl', key)) as number | null,
      consume: async (key) => (await call('consume', key)) as string | null,
      compareAndSet: async (key, expected, next, ttlMs) => (await call('compareAndSet', key, expected, next, ttlMs)) as boolean,
      increment: async (key, options) => (await call('increment', key, options)) as number,
      incrementAll: async (counters) => (await call('incrementAll', counters)) as number[],
      acquireLock: async (name, ttlMs): Promise<Lock | null> => {
        const lock = await call('acquireLock', name, ttlMs);
        return lock === null ? null : { name, release: async () => (await call('release', lock)) as boolean };
      },
      publish: async (channel, message) => {
        await call('publish', channel, message);
      },
      subscribe: async (channel, listener): Promise<Subscription> => {
        const id = (await call('subscribe', channel)) as number;
        this.#listeners.set(id, listener);
        return {
          unsubscribe: async () => {
            await call('unsubscribe', id);
            this.#listeners.delete(id);
          },
        };
      },
      ping: async () => {
        await call('ping');
      },
      close,
    };
  }
}

describe('sqlite shared state', () => {
  const freshFile = () => path.join(mkdtempSync(path.join(tmpdir(), 'weunion-state-')), 'state.db');

  it('keeps keys, counters and their remaining life across closing and reopening the file', async () => {
    const file = freshFile();
    const before = new SqliteSharedState({ file });
    await before.set('session:1', 'alice', { ttlMs: 60_000 });
    await before.increment('rate:1', { ttlMs: 60_000, by: 3 });
    await before.set('gone', 'x', { ttlMs: 60_000 });
    await before.consume('gone');
    await before.close();
    const after = new SqliteSharedState({ file });
    expect(await after.get('session:1')).toBe('alice');
    expect(await after.increment('rate:1', { ttlMs: 60_000 })).toBe(4);
    expect(await after.ttl('rate:1')).toBeLessThanOrEqual(60_000);
    expect(await after.get('gone')).toBeNull();
    await after.close();
  });

  it('the sweep deletes expired rows, in batches, and leaves live ones', async () => {
    let now = 1_000_000;
    const state = new SqliteSharedState({ file: freshFile(), sweepIntervalMs: 0, now: () => now });
    for (let i = 0; i < 1_200; i++) await state.set(`short:${i}`, 'x', { ttlMs: 1_000 });
    await state.set('long', 'stays', { ttlMs: 10_000 });
    now += 1_000;
    expect(state.sweep()).toBe(1_200);
    expect(await state.get('long')).toBe('stays');
    expect(state.sweep()).toBe(0);
    await state.close();
  });

  it('refuses a file written by a newer schema instead of misreading it', async () => {
    const file = freshFile();
    await new SqliteSharedState({ file }).close();
    const { default: SQLite } = await import('better-sqlite3');
    const raw = new SQLite(file);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => new SqliteSharedState({ file })).toThrow(/newer weunion/);
  });
});

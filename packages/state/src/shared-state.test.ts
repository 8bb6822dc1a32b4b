/**
 * One contract, every implementation: what the in-process store promises, Redis promises too.
 * The Redis run needs REDIS_URL (CI sets it); without it that half is reported as skipped.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySharedState } from './memory.ts';
import { RedisSharedState } from './redis.ts';
import type { SharedState } from './types.ts';

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

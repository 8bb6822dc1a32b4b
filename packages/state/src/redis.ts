/**
 * Redis-backed shared state for scale-out mode: every instance of the cluster sees the same keys,
 * counters, locks and messages. Atomic steps use single Redis commands (GETDEL, SET NX PX) or
 * short Lua scripts, never read-then-write from the client.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import { assertTtl } from './memory.ts';
import type { CounterStep, Lock, SharedState, Subscription } from './types.ts';

/** ioredis, loaded by the first Redis state made: an embedded start never loads it. */
let redisClass: typeof Redis | undefined;
function RedisClient(): typeof Redis {
  redisClass ??= (createRequire(import.meta.url)('ioredis') as typeof import('ioredis')).Redis;
  return redisClass;
}

const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
local expected = ARGV[1]
local matches
if ARGV[4] == '1' then matches = (current == false) else matches = (current == expected) end
if not matches then return 0 end
if ARGV[3] == '' then
  if current == false then return -1 end
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1`;

const INCREMENT = `
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if value == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value`;

/** INCREMENT over every key: ARGV holds (by, ttlMs) per key. */
const INCREMENT_ALL = `
local values = {}
for i, key in ipairs(KEYS) do
  local by = ARGV[2 * i - 1]
  local value = redis.call('INCRBY', key, by)
  if value == tonumber(by) then redis.call('PEXPIRE', key, ARGV[2 * i]) end
  values[i] = value
end
return values`;

const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface RedisSharedStateOptions {
  url: string;
  /** Prefix for every key and channel, so several deployments can share one Redis. */
  prefix?: string;
  connectTimeoutMs?: number;
}

export class RedisSharedState implements SharedState {
  readonly kind = 'redis' as const;
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #redisOptions: RedisOptions;
  readonly #url: string;
  #subscriber: Redis | undefined;
  readonly #listeners = new Map<string, Set<(message: string) => void>>();

  constructor(options: RedisSharedStateOptions) {
    this.#prefix = options.prefix ?? 'weunion:';
    this.#url = options.url;
    this.#redisOptions = {
      connectTimeout: options.connectTimeoutMs ?? 5_000,
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      lazyConnect: true,
    };
    this.#client = new (RedisClient())(options.url, this.#redisOptions);
    // Connection problems surface through ping() and command failures; an unhandled 'error'
    // event would crash the process.
    this.#client.on('error', () => {});
  }

  /** Connects, failing fast with a readable error when Redis is unreachable. */
  async connect(): Promise<void> {
    if (this.#client.status === 'wait') await this.#client.connect();
  }

  #key(key: string): string {
    return this.#prefix + key;
  }

  async get(key: string): Promise<string | null> {
    return this.#client.get(this.#key(key));
  }

  async set(key: string, value: string, options: { ttlMs: number; ifAbsent?: boolean }): Promise<boolean> {
    assertTtl(options.ttlMs);
    const result =
      options.ifAbsent === true
        ? await this.#client.set(this.#key(key), value, 'PX', options.ttlMs, 'NX')
        : await this.#client.set(this.#key(key), value, 'PX', options.ttlMs);
    return result === 'OK';
  }

  async delete(key: string): Promise<boolean> {
    return (await this.#client.del(this.#key(key))) > 0;
  }

  async ttl(key: string): Promise<number | null> {
    const ms = await this.#client.pttl(this.#key(key));
    return ms < 0 ? null : ms;
  }

  async consume(key: string): Promise<string | null> {
    return this.#client.getdel(this.#key(key));
  }

  async compareAndSet(key: string, expected: string | null, next: string, ttlMs?: number): Promise<boolean> {
    if (ttlMs !== undefined) assertTtl(ttlMs);
    const result = await this.#client.eval(
      COMPARE_AND_SET,
      1,
      this.#key(key),
      expected ?? '',
      next,
      ttlMs === undefined ? '' : String(ttlMs),
      expected === null ? '1' : '0',
    );
    if (result === -1) throw new TypeError('compareAndSet on a missing key needs ttlMs');
    return result === 1;
  }

  async increment(key: string, options: { ttlMs: number; by?: number }): Promise<number> {
    assertTtl(options.ttlMs);
    const result = await this.#client.eval(INCREMENT, 1, this.#key(key), String(options.by ?? 1), String(options.ttlMs));
    return Number(result);
  }

  async incrementAll(counters: ReadonlyArray<CounterStep>): Promise<number[]> {
    if (counters.length === 0) return [];
    for (const counter of counters) assertTtl(counter.ttlMs);
    const result = await this.#client.eval(
      INCREMENT_ALL,
      counters.length,
      ...counters.map((counter) => this.#key(counter.key)),
      ...counters.flatMap((counter) => [String(counter.by ?? 1), String(counter.ttlMs)]),
    );
    return (result as unknown[]).map(Number);
  }

  async acquireLock(name: string, ttlMs: number): Promise<Lock | null> {
    const key = `lock:${name}`;
    const token = randomUUID();
    if (!(await this.set(key, token, { ttlMs, ifAbsent: true }))) return null;
    return {
      name,
      release: async () => (await this.#client.eval(RELEASE_LOCK, 1, this.#key(key), token)) === 1,
    };
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#client.publish(this.#key(channel), message);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<Subscription> {
    const subscriber = await this.#subscriberConnection();
    const fullChannel = this.#key(channel);
    let listeners = this.#listeners.get(fullChannel);
    if (listeners === undefined) {
      listeners = new Set();
      this.#listeners.set(fullChannel, listeners);
      await subscriber.subscribe(fullChannel);
    }
    listeners.add(listener);
    return {
      unsubscribe: async () => {
        const current = this.#listeners.get(fullChannel);
        if (current === undefined) return;
        current.delete(listener);
        if (current.size === 0) {
          this.#listeners.delete(fullChannel);
          await subscriber.unsubscribe(fullChannel);
        }
      },
    };
  }

  async #subscriberConnection(): Promise<Redis> {
    if (this.#subscriber === undefined) {
      const subscriber = new (RedisClient())(this.#url, this.#redisOptions);
      subscriber.on('error', () => {});
      subscriber.on('message', (channel: string, message: string) => {
        for (const listener of this.#listeners.get(channel) ?? []) listener(message);
      });
      this.#subscriber = subscriber;
      await subscriber.connect();
    }
    return this.#subscriber;
  }

  async ping(): Promise<void> {
    await this.#client.ping();
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    await Promise.allSettled([this.#client.quit(), this.#subscriber?.quit()]);
  }
}

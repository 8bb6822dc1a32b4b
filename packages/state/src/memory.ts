/**
 * In-process shared state for embedded mode (one instance). Every operation is synchronous
 * under the hood, so the atomicity the interface promises holds trivially within the process.
 */

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { CounterStep, Lock, SharedState, Subscription } from './types.ts';

interface Entry {
  value: string;
  expiresAt: number;
}

const SWEEP_INTERVAL_MS = 30_000;

export class MemorySharedState implements SharedState {
  readonly kind = 'memory' as const;
  readonly #entries = new Map<string, Entry>();
  readonly #bus = new EventEmitter();
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor() {
    this.#bus.setMaxListeners(0);
    this.#sweeper = setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }

  async get(key: string): Promise<string | null> {
    return this.#live(key)?.value ?? null;
  }

  async set(key: string, value: string, options: { ttlMs: number; ifAbsent?: boolean }): Promise<boolean> {
    assertTtl(options.ttlMs);
    if (options.ifAbsent === true && this.#live(key) !== undefined) return false;
    this.#entries.set(key, { value, expiresAt: Date.now() + options.ttlMs });
    return true;
  }

  async delete(key: string): Promise<boolean> {
    const existed = this.#live(key) !== undefined;
    this.#entries.delete(key);
    return existed;
  }

  async ttl(key: string): Promise<number | null> {
    const entry = this.#live(key);
    return entry === undefined ? null : entry.expiresAt - Date.now();
  }

  async consume(key: string): Promise<string | null> {
    const entry = this.#live(key);
    if (entry === undefined) return null;
    this.#entries.delete(key);
    return entry.value;
  }

  async compareAndSet(key: string, expected: string | null, next: string, ttlMs?: number): Promise<boolean> {
    const entry = this.#live(key);
    if ((entry?.value ?? null) !== expected) return false;
    if (entry === undefined && ttlMs === undefined) throw new TypeError('compareAndSet on a missing key needs ttlMs');
    if (ttlMs !== undefined) assertTtl(ttlMs);
    const expiresAt = ttlMs === undefined ? (entry as Entry).expiresAt : Date.now() + ttlMs;
    this.#entries.set(key, { value: next, expiresAt });
    return true;
  }

  async increment(key: string, options: { ttlMs: number; by?: number }): Promise<number> {
    assertTtl(options.ttlMs);
    const entry = this.#live(key);
    const value = (entry === undefined ? 0 : Number(entry.value)) + (options.by ?? 1);
    this.#entries.set(key, { value: String(value), expiresAt: entry?.expiresAt ?? Date.now() + options.ttlMs });
    return value;
  }

  async incrementAll(counters: ReadonlyArray<CounterStep>): Promise<number[]> {
    for (const counter of counters) assertTtl(counter.ttlMs);
    const values: number[] = [];
    for (const counter of counters) values.push(await this.increment(counter.key, counter));
    return values;
  }

  async acquireLock(name: string, ttlMs: number): Promise<Lock | null> {
    const key = `lock:${name}`;
    const token = randomUUID();
    if (!(await this.set(key, token, { ttlMs, ifAbsent: true }))) return null;
    return {
      name,
      release: async () => {
        if (this.#live(key)?.value !== token) return false;
        this.#entries.delete(key);
        return true;
      },
    };
  }

  async publish(channel: string, message: string): Promise<void> {
    // Deliver asynchronously, as a network bus would, so publishers never run subscriber code inline.
    queueMicrotask(() => this.#bus.emit(channel, message));
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<Subscription> {
    this.#bus.on(channel, listener);
    return {
      unsubscribe: async () => {
        this.#bus.off(channel, listener);
      },
    };
  }

  async ping(): Promise<void> {
    if (this.#closed) throw new Error('shared state is closed');
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    this.#bus.removeAllListeners();
    this.#entries.clear();
  }
}

export function assertTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be a positive integer, got ${ttlMs}`);
}

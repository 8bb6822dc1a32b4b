/**
 * Short-lived state that every weunion instance must see the same way: QR tickets, WeChat access
 * tokens, rate-limit counters, OIDC sessions, one-time codes. Never keep such things in a
 * module-level Map: two instances behind a load balancer must behave like one.
 *
 * Keys are plain strings; values are strings (callers serialize). TTLs are in milliseconds.
 */
export interface SharedState {
  /** `memory` (one process, lost on restart), `sqlite` (every process of one machine, durable) or `redis` (a cluster). */
  readonly kind: 'memory' | 'sqlite' | 'redis';

  get(key: string): Promise<string | null>;
  /** Store a value. With `ifAbsent`, only when the key does not exist; returns whether it was written. */
  set(key: string, value: string, options: { ttlMs: number; ifAbsent?: boolean }): Promise<boolean>;
  /** Remove a key; returns whether it existed. */
  delete(key: string): Promise<boolean>;
  /** Remaining life of a key in ms, or null when it does not exist. */
  ttl(key: string): Promise<number | null>;

  /**
   * Read and remove a key in one atomic step. Of any number of concurrent callers on one key,
   * exactly one gets the value; the others get null. The primitive behind every single-use code.
   */
  consume(key: string): Promise<string | null>;

  /**
   * Replace the value only if it currently equals `expected` (`null`: the key must not exist).
   * Returns whether the swap happened. `ttlMs` sets the new life; omitted, the old TTL is kept.
   */
  compareAndSet(key: string, expected: string | null, next: string, ttlMs?: number): Promise<boolean>;

  /** Add `by` (default 1) to a counter; the TTL is set when the counter is created. */
  increment(key: string, options: { ttlMs: number; by?: number }): Promise<number>;

  /**
   * Several `increment`s in one step (one transaction, one round trip): the new values, in order.
   * Atomic as a whole — no caller sees some of them counted and not the others.
   */
  incrementAll(counters: ReadonlyArray<CounterStep>): Promise<number[]>;

  /**
   * Take a named lock for at most `ttlMs`. Returns null when another holder has it. A lock that
   * its holder never releases expires by itself, so a crashed instance cannot block the cluster.
   */
  acquireLock(name: string, ttlMs: number): Promise<Lock | null>;

  /** Deliver `message` to every current subscriber of `channel`, on every instance. */
  publish(channel: string, message: string): Promise<void>;
  /** Receive messages published on `channel`; resolves once the subscription is active. */
  subscribe(channel: string, listener: (message: string) => void): Promise<Subscription>;

  /** Throws when the backing store is not reachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface CounterStep {
  key: string;
  /** Life of the counter when this step creates it. */
  ttlMs: number;
  /** Default 1. */
  by?: number;
}

export interface Lock {
  readonly name: string;
  /** Releases the lock if this holder still has it; returns whether it did. */
  release(): Promise<boolean>;
}

export interface Subscription {
  unsubscribe(): Promise<void>;
}

/**
 * Durable shared state for embedded mode: one SQLite file (beside the main database) that every
 * process of the machine opens. What it holds — sessions, QR tickets, rate-limit windows, OIDC
 * sessions — survives a restart, and memory no longer grows with the number of people signed in.
 *
 * Every operation is ONE SQL statement (an upsert, or a `DELETE … RETURNING`), and SQLite runs
 * each write statement as its own transaction under the file's write lock, so the atomicity the
 * interface promises holds across processes too: of 100 concurrent `consume` calls from any
 * number of processes, exactly one `DELETE` finds the row. Expired rows are invisible to every
 * read (each statement compares `expires_at` with the caller's clock) and are deleted in the
 * background in small batches, so a sweep never holds the write lock for long.
 *
 * The file has its own schema, versioned with `PRAGMA user_version`, apart from the main
 * database's migrations: it can be deleted (everyone is signed out; nothing durable is lost), and
 * its churn never contends with durable writes for the main file's single write lock.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { LocalBus, type MessageBus } from './bus.ts';
import { assertTtl } from './memory.ts';
import type { CounterStep, Lock, SharedState, Subscription } from './types.ts';

const SCHEMA_VERSION = 1;
const SWEEP_BATCH = 500;

export interface SqliteSharedStateOptions {
  /** The SQLite file (created if missing); `:memory:` keeps it in this process. */
  file: string;
  /** Where published messages go; default: within this process. */
  bus?: MessageBus;
  /** How often expired rows are deleted (default 30 s; 0: never, for tests). */
  sweepIntervalMs?: number;
  now?: () => number;
}

export class SqliteSharedState implements SharedState {
  readonly kind = 'sqlite' as const;
  readonly #db: SQLite.Database;
  readonly #bus: MessageBus;
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout | undefined;
  readonly #statements;
  #closed = false;
  #incrementAllTransaction: ((steps: ReadonlyArray<CounterStep>, now: number) => number[]) | undefined;

  constructor(options: SqliteSharedStateOptions) {
    if (options.file !== ':memory:') mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true });
    this.#db = new SQLite(options.file);
    this.#db.pragma('journal_mode = WAL');
    // A crash of the process loses nothing committed; a power cut may lose the last moments of
    // short-lived state, which is the same promise Redis makes with its default persistence.
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('busy_timeout = 5000');
    migrate(this.#db);
    this.#bus = options.bus ?? new LocalBus();
    this.#now = options.now ?? Date.now;
    const db = this.#db;
    this.#statements = {
      get: db.prepare<[string, number], { value: string }>('select value from shared_state where key = ? and expires_at > ?'),
      expiresAt: db.prepare<[string, number], { expires_at: number }>(
        'select expires_at from shared_state where key = ? and expires_at > ?',
      ),
      set: db.prepare<[string, string, number]>(
        `insert into shared_state (key, value, expires_at) values (?, ?, ?)
         on conflict (key) do update set value = excluded.value, expires_at = excluded.expires_at`,
      ),
      // An expired row counts as absent: it is overwritten, as if the sweep had already run.
      setIfAbsent: db.prepare<[string, string, number, number]>(
        `insert into shared_state (key, value, expires_at) values (?, ?, ?)
         on conflict (key) do update set value = excluded.value, expires_at = excluded.expires_at
         where shared_state.expires_at <= ?`,
      ),
      delete: db.prepare<[string], { value: string; expires_at: number }>(
        'delete from shared_state where key = ? returning value, expires_at',
      ),
      replace: db.prepare<[string, number | null, string, string, number]>(
        `update shared_state set value = ?, expires_at = coalesce(?, expires_at)
         where key = ? and value = ? and expires_at > ?`,
      ),
      increment: db.prepare<[{ key: string; by: number; expiresAt: number; now: number }], { value: string }>(
        `insert into shared_state (key, value, expires_at) values (@key, cast(cast(@by as integer) as text), @expiresAt)
         on conflict (key) do update set
           value = case when shared_state.expires_at <= @now then excluded.value
                        else cast(cast(shared_state.value as integer) + cast(@by as integer) as text) end,
           expires_at = case when shared_state.expires_at <= @now then excluded.expires_at else shared_state.expires_at end
         returning value`,
      ),
      release: db.prepare<[string, string, number]>('delete from shared_state where key = ? and value = ? and expires_at > ?'),
      sweep: db.prepare<[number, number]>(
        'delete from shared_state where key in (select key from shared_state where expires_at <= ? limit ?)',
      ),
    };
    const interval = options.sweepIntervalMs ?? 30_000;
    if (interval > 0) {
      this.#sweeper = setInterval(() => this.sweep(), interval);
      this.#sweeper.unref();
    }
  }

  /** Deletes expired rows in batches; returns how many went. Any process may run it at any time. */
  sweep(): number {
    if (this.#closed) return 0;
    let removed = 0;
    for (;;) {
      const { changes } = this.#statements.sweep.run(this.#now(), SWEEP_BATCH);
      removed += changes;
      if (changes < SWEEP_BATCH) return removed;
    }
  }

  async get(key: string): Promise<string | null> {
    return this.#statements.get.get(key, this.#now())?.value ?? null;
  }

  async set(key: string, value: string, options: { ttlMs: number; ifAbsent?: boolean }): Promise<boolean> {
    assertTtl(options.ttlMs);
    const now = this.#now();
    if (options.ifAbsent === true) return this.#statements.setIfAbsent.run(key, value, now + options.ttlMs, now).changes === 1;
    this.#statements.set.run(key, value, now + options.ttlMs);
    return true;
  }

  async delete(key: string): Promise<boolean> {
    const row = this.#statements.delete.get(key);
    return row !== undefined && row.expires_at > this.#now();
  }

  async ttl(key: string): Promise<number | null> {
    const now = this.#now();
    const row = this.#statements.expiresAt.get(key, now);
    return row === undefined ? null : row.expires_at - now;
  }

  async consume(key: string): Promise<string | null> {
    const row = this.#statements.delete.get(key);
    return row !== undefined && row.expires_at > this.#now() ? row.value : null;
  }

  async compareAndSet(key: string, expected: string | null, next: string, ttlMs?: number): Promise<boolean> {
    if (ttlMs !== undefined) assertTtl(ttlMs);
    const now = this.#now();
    if (expected === null) {
      if (ttlMs === undefined) {
        if ((await this.get(key)) !== null) return false;
        throw new TypeError('compareAndSet on a missing key needs ttlMs');
      }
      return this.#statements.setIfAbsent.run(key, next, now + ttlMs, now).changes === 1;
    }
    return this.#statements.replace.run(next, ttlMs === undefined ? null : now + ttlMs, key, expected, now).changes === 1;
  }

  async increment(key: string, options: { ttlMs: number; by?: number }): Promise<number> {
    assertTtl(options.ttlMs);
    const by = options.by ?? 1;
    const now = this.#now();
    const row = this.#statements.increment.get({ key, by, expiresAt: now + options.ttlMs, now });
    return Number(row?.value);
  }

  async incrementAll(counters: ReadonlyArray<CounterStep>): Promise<number[]> {
    for (const counter of counters) assertTtl(counter.ttlMs);
    // One transaction: one commit for all of them (each commit is a write to the WAL).
    this.#incrementAllTransaction ??= this.#db.transaction((steps: ReadonlyArray<CounterStep>, now: number) =>
      steps.map((step) =>
        Number(this.#statements.increment.get({ key: step.key, by: step.by ?? 1, expiresAt: now + step.ttlMs, now })?.value),
      ),
    );
    return this.#incrementAllTransaction(counters, this.#now());
  }

  async acquireLock(name: string, ttlMs: number): Promise<Lock | null> {
    const key = `lock:${name}`;
    const token = randomUUID();
    if (!(await this.set(key, token, { ttlMs, ifAbsent: true }))) return null;
    return {
      name,
      release: async () => this.#statements.release.run(key, token, this.#now()).changes === 1,
    };
  }

  async publish(channel: string, message: string): Promise<void> {
    this.#bus.publish(channel, message);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<Subscription> {
    const stop = this.#bus.subscribe(channel, listener);
    return {
      unsubscribe: async () => stop(),
    };
  }

  async ping(): Promise<void> {
    if (this.#closed) throw new Error('shared state is closed');
    this.#db.prepare('select 1').get();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    this.#bus.close();
    this.#db.close();
  }
}

function migrate(db: SQLite.Database): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version > SCHEMA_VERSION) {
    throw new Error(`the shared-state file was written by a newer weunion (schema ${version}, this one knows ${SCHEMA_VERSION})`);
  }
  if (version === SCHEMA_VERSION) return;
  // Several processes may open a new file at once; the immediate transaction lets one create it.
  db.transaction(() => {
    db.exec(`
      create table if not exists shared_state (
        key text primary key,
        value text not null,
        expires_at integer not null
      ) without rowid;
      create index if not exists shared_state_expires_at on shared_state (expires_at);
    `);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

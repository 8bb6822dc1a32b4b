/**
 * The catalog cache: what nearly every login reads and an operator rarely changes — connections
 * (with their opened secrets) and applications — kept parsed per instance, so that a login reads
 * no catalog row at all.
 *
 * A change is seen by every instance at once, never after a time-to-live:
 * - the functions that change the catalog (connections/store.ts, oidc/applications.ts) call
 *   `catalogChanged(db, state)` once their transaction has committed: this instance drops its
 *   cache and publishes on CATALOG_CHANNEL through the shared state (Redis, or a worker group's
 *   bus), whose subscribers — every other instance — drop theirs;
 * - on SQLite, a change by another process (the `weunion` CLI, another worker, plain SQL) raises
 *   the catalog's version (a row kept by triggers, migration 0025), checked on every read: the
 *   cache is dropped then too. Only catalog changes move it, so the workers of a group keep their
 *   caches while each other's logins commit;
 * - with PostgreSQL and in-process state (one instance, no Redis), a CLI in another process has no
 *   channel to tell the server: there is no cache then, every read goes to the database.
 * A read that started before a change never stores its (possibly old) result. Misses are
 * remembered too (an S5 login asks for an application under its connection's id, which usually
 * has none): creating a connection or an application announces itself like any other change.
 * Cached values are frozen.
 *
 * The cache belongs to the `Kysely` instance of a service (a WeakMap from it), so the store
 * functions keep their `(db, …)` signatures: given a transaction or a database no service
 * watches, they read the database as before.
 */
import type { SharedState, Subscription } from '@weunion/state';
import type { Kysely } from 'kysely';
import type { Database } from './database.ts';
import type { Tables } from './schema.ts';

export const CATALOG_CHANNEL = 'catalog:changed';

/** Far more than any deployment has connections and applications; a bound, not a working size. */
const CAPACITY = 10_000;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

export class CatalogCache {
  readonly #entries = new Map<string, unknown>();
  readonly #catalogVersion: (() => number) | undefined;
  #seenVersion: number | undefined;
  /** Bumped on every drop: a read that began under an older generation does not store. */
  #generation = 0;

  constructor(catalogVersion?: () => number) {
    this.#catalogVersion = catalogVersion;
    this.#seenVersion = catalogVersion?.();
  }

  /** The cached value for `key`, or what `load` gives (stored, a miss too, unless the catalog changed meanwhile). */
  async read<T>(key: string, load: () => Promise<T | null>): Promise<T | null> {
    this.#checkOtherProcesses();
    if (this.#entries.has(key)) return (this.#entries.get(key) ?? null) as T | null;
    const generation = this.#generation;
    const value = await load();
    this.#checkOtherProcesses();
    if (generation === this.#generation) {
      this.#entries.set(key, value === null ? null : deepFreeze(value));
      if (this.#entries.size > CAPACITY) this.drop();
    }
    return value;
  }

  drop(): void {
    this.#generation++;
    this.#entries.clear();
  }

  #checkOtherProcesses(): void {
    if (this.#catalogVersion === undefined) return;
    const version = this.#catalogVersion();
    if (version !== this.#seenVersion) {
      this.#seenVersion = version;
      this.drop();
    }
  }
}

interface Watched {
  cache: CatalogCache;
  state: SharedState;
  watchers: number;
  subscription: Subscription;
}

const watched = new WeakMap<object, Watched>();
/** Typed views of a service's database (e.g. `oidcDb(db)`) → the database they view. */
const views = new WeakMap<object, object>();

/** `view` is `db` with more table types: it shares `db`'s catalog cache. */
export function shareCatalogCache(view: object, db: Kysely<Tables>): void {
  views.set(view, db);
}

const watchedOf = (db: object) => watched.get(views.get(db) ?? db);

/**
 * Starts the catalog cache of a service's database (one per database object, however many
 * services share it). Returns the function that stops it.
 */
export async function watchCatalog(database: Database, state: SharedState): Promise<() => Promise<void>> {
  // PostgreSQL with in-process state: nobody could tell this instance of a change made elsewhere.
  if (database.dialect === 'postgres' && state.kind === 'memory') return async () => {};
  const existing = watched.get(database.db);
  if (existing !== undefined) {
    existing.watchers++;
  } else {
    const cache = new CatalogCache(database.catalogVersion);
    const subscription = await state.subscribe(CATALOG_CHANNEL, () => cache.drop());
    watched.set(database.db, { cache, state, watchers: 1, subscription });
  }
  return async () => {
    const entry = watched.get(database.db);
    if (entry === undefined || --entry.watchers > 0) return;
    watched.delete(database.db);
    await entry.subscription.unsubscribe();
  };
}

/** The catalog cache of this database object, if a service watches it. */
export function catalogCacheOf(db: object): CatalogCache | undefined {
  return watchedOf(db)?.cache;
}

/** `load()` through the catalog cache of `db` when a service watches it; else `load()`. */
export function cached<T>(db: object, key: string, load: () => Promise<T | null>): Promise<T | null> {
  const cache = catalogCacheOf(db);
  return cache === undefined ? load() : cache.read(key, load);
}

/**
 * Tells every instance that connections or applications changed (call after the commit). `state`:
 * for a process that no service runs in (the CLI), the shared state to publish through.
 */
export async function catalogChanged(db: object, state?: SharedState): Promise<void> {
  const entry = watchedOf(db);
  entry?.cache.drop();
  const publisher = entry?.state ?? state;
  await publisher?.publish(CATALOG_CHANNEL, 'changed');
}

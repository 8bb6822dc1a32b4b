/**
 * Durable storage: Kysely over better-sqlite3 (embedded mode) or pg (scale-out mode). The rest of
 * the server sees one `Database` and writes portable SQL; the few dialect differences (unique
 * violations, int8 parsing, pragmas) are settled here.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '@weunion/errors';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  sql,
} from 'kysely';
import type pg from 'pg';
import { redactUrl } from '../config/load.ts';
import type { Tables } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface Database {
  readonly db: Kysely<Tables>;
  readonly dialect: Dialect;
  /** PostgreSQL: the schema this connection works in (`current_schema()`); undefined on SQLite. */
  readonly schema?: string;
  /**
   * SQLite: the catalog's version (migration 0025), raised by triggers whenever anyone — this
   * process, another worker, the CLI — changes a connection or an application. Before that
   * migration has run, SQLite's `data_version` (any commit by another connection). Undefined on
   * PostgreSQL.
   */
  readonly catalogVersion?: () => number;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL only: use this schema (created if missing) instead of `public`. Tests use it for isolation. */
  schema?: string;
  /** PostgreSQL only: pool size per instance. */
  poolSize?: number;
}

export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<Database> {
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options);
  const file = url.replace(/^(sqlite|file):(\/\/)?/, '');
  return openSqlite(file);
}

/**
 * Transactions take SQLite's write lock when they begin (`begin immediate`), not at their first
 * write. Several processes write one file when WORKERS > 1, and a deferred transaction that read
 * first and then wants to write while another process has written fails at once with "database is
 * locked" (SQLite cannot wait there without risking deadlock); an immediate one waits its turn
 * through busy_timeout instead. Within one process Kysely already runs one transaction at a time.
 */
class ImmediateTransactionsDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ProcessSafeSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateTransactionsDriver(this.#config);
  }
}

/** How many distinct SQL texts keep their prepared statement (per SQLite connection, per PostgreSQL pool). */
const STATEMENT_CACHE_SIZE = 500;

/**
 * better-sqlite3 as Kysely's SQLite driver sees it, but each SQL text is prepared once and the
 * statement reused: the driver asks for `prepare(sql)` on every query, and preparing (parsing and
 * planning) cost more than running most of weunion's statements. SQLite re-prepares a reused
 * statement by itself when the schema changed (a migration). Least recently used ones go first
 * when more SQL texts than the cache holds have been seen (e.g. `in (?, ?, …)` of many lengths).
 * A statement still being iterated (a stream) is not handed out again: a fresh one is prepared.
 */
export function reusingStatements(connection: SQLite.Database, capacity = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    prepare(source: string) {
      const cached = statements.get(source);
      if (cached !== undefined) {
        if (cached.busy) return connection.prepare(source);
        statements.delete(source);
        statements.set(source, cached);
        return cached;
      }
      const statement = connection.prepare(source);
      statements.set(source, statement);
      if (statements.size > capacity) {
        const oldest = statements.keys().next().value;
        if (oldest !== undefined) statements.delete(oldest);
      }
      return statement;
    },
    close() {
      statements.clear();
      connection.close();
    },
  };
}

function openSqlite(file: string): Database {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  let connection: SQLite.Database;
  try {
    connection = new SQLite(file);
  } catch (error) {
    throw new AppError('storage_unreachable', `SQLite database ${file} cannot be opened: ${(error as Error).message}`);
  }
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.pragma('foreign_keys = ON');
  connection.pragma('busy_timeout = 5000');
  const db = new Kysely<Tables>({ dialect: new ProcessSafeSqliteDialect({ database: reusingStatements(connection) }) });
  const dataVersion = connection.prepare<[], number>('pragma data_version').pluck();
  let catalogVersion: SQLite.Statement<[], number> | undefined;
  // `pragma data_version` moves only when another connection commits, and costs no table read:
  // while it stands still, the catalog can have changed only through this connection, whose
  // writers announce it themselves (catalogChanged). So the catalog row is read again only after
  // another process committed something, and the last answer is reused otherwise. A read right
  // after this connection's own commits still goes to the row once: `seen` starts unset.
  let seen: { data: number; catalog: number } | undefined;
  const readCatalogVersion = (): number => {
    if (catalogVersion === undefined) {
      try {
        catalogVersion = connection.prepare<[], number>('select version from catalog_version where id = 1').pluck();
      } catch {
        // Not migrated yet (the table comes with 0025): any other connection's commit counts.
        return -1 - (dataVersion.get() ?? 0);
      }
    }
    return catalogVersion.get() ?? 0;
  };
  return {
    db,
    dialect: 'sqlite',
    catalogVersion: () => {
      const data = dataVersion.get() ?? 0;
      if (seen !== undefined && seen.data === data) return seen.catalog;
      const catalog = readCatalogVersion();
      seen = catalog < 0 ? undefined : { data, catalog };
      return catalog;
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<Database> {
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new TypeError(`invalid schema name ${schema}`);
  // Loaded here, not at every start: embedded mode never needs it.
  const { default: pg } = await import('pg');
  // PostgreSQL returns int8 (our millisecond timestamps and counters) as strings by default; all of
  // ours fit in a double, so read them as numbers on both dialects.
  pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  let currentSchema: string;
  try {
    const client = await pool.connect();
    try {
      if (schema !== undefined) await client.query(`create schema if not exists ${schema}`);
      const result = await client.query<{ schema: string }>('select current_schema() as schema');
      currentSchema = result.rows[0]?.schema ?? 'public';
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => {});
    throw new AppError('storage_unreachable', `PostgreSQL at ${redactUrl(url)} is not reachable: ${(error as Error).message}`);
  }
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: namingStatements(pool) }) });
  return {
    db,
    dialect: 'postgres',
    schema: currentSchema,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

/**
 * pg as Kysely's PostgreSQL driver sees it, but every query with parameters is a named prepared
 * statement: each pooled connection parses and plans a SQL text once, then only binds and runs it
 * (pg remembers per connection which names it prepared). The name is a hash of the text. A schema
 * change can make PostgreSQL refuse a statement it prepared before ("cached plan must not change
 * result type"): that text then gets a new name, so each connection prepares it again, and the
 * query is tried once more under it.
 */
export function namingStatements(pool: pg.Pool): PostgresPool {
  const renamed = new Map<string, number>();
  const nameOf = (text: string) => {
    const generation = renamed.get(text) ?? 0;
    return `wu_${createHash('sha1').update(text).digest('base64url').slice(0, 20)}_${generation}`;
  };
  const names = new Map<string, string>();
  const cachedName = (text: string) => {
    let name = names.get(text);
    if (name === undefined) {
      name = nameOf(text);
      if (names.size >= STATEMENT_CACHE_SIZE * 4) names.clear();
      names.set(text, name);
    }
    return name;
  };
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      const query = client.query.bind(client) as PostgresPoolClient['query'];
      return {
        query: ((sqlOrCursor: unknown, parameters?: ReadonlyArray<unknown>) => {
          if (typeof sqlOrCursor !== 'string' || parameters === undefined || parameters.length === 0) {
            return (query as (...args: unknown[]) => unknown)(sqlOrCursor, parameters);
          }
          const text = sqlOrCursor;
          const values = [...parameters];
          return client.query({ name: cachedName(text), text, values }).catch(async (error: unknown) => {
            if (!(error instanceof Error) || !/cached plan must not change result type/.test(error.message)) throw error;
            renamed.set(text, (renamed.get(text) ?? 0) + 1);
            names.delete(text);
            // Inside a transaction the retry fails too (the transaction is aborted): say why it was.
            return client.query({ name: cachedName(text), text, values }).catch(() => {
              throw error;
            });
          });
        }) as PostgresPoolClient['query'],
        release: () => client.release(),
      };
    },
    end: () => pool.end(),
  };
}

/** Whether an error is a violated unique or primary-key constraint, on either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const code = (error as { code: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

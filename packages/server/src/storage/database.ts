/**
 * Durable storage: Kysely over better-sqlite3 (embedded mode) or pg (scale-out mode). The rest of
 * the server sees one `Database` and writes portable SQL; the few dialect differences (unique
 * violations, int8 parsing, pragmas) are settled here.
 */
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
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  sql,
} from 'kysely';
import pg from 'pg';
import { redactUrl } from '../config/load.ts';
import type { Tables } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface Database {
  readonly db: Kysely<Tables>;
  readonly dialect: Dialect;
  /** PostgreSQL: the schema this connection works in (`current_schema()`); undefined on SQLite. */
  readonly schema?: string;
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

// PostgreSQL returns int8 (our millisecond timestamps and counters) as strings by default; all of
// ours fit in a double, so read them as numbers on both dialects.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

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
  const db = new Kysely<Tables>({ dialect: new ProcessSafeSqliteDialect({ database: connection }) });
  return {
    db,
    dialect: 'sqlite',
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
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
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

/** Whether an error is a violated unique or primary-key constraint, on either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const code = (error as { code: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

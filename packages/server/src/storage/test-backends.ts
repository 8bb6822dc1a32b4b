/**
 * The durable-storage backends every storage-touching suite runs against. SQLite always runs;
 * PostgreSQL runs when DATABASE_URL points at one (CI sets it) and is reported skipped otherwise.
 * Each opened database is fresh and fully migrated: a temporary SQLite file, or a new PostgreSQL
 * schema that is dropped again on dispose.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { type Database, openDatabase } from './database.ts';
import { migrateToLatest } from './migrate.ts';

export interface TestDatabase extends Database {
  /** Closes the database and removes everything the test created. */
  dispose(): Promise<void>;
  /** Another connection (pool) to the same database: a second instance of the service. */
  openSibling(): Promise<Database>;
}

export interface DatabaseBackend {
  name: 'sqlite' | 'postgres';
  skip: boolean;
  open(): Promise<TestDatabase>;
}

const postgresUrl = process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : undefined;

export const databaseBackends: DatabaseBackend[] = [
  {
    name: 'sqlite',
    skip: false,
    async open() {
      const dir = mkdtempSync(path.join(tmpdir(), 'weunion-test-'));
      const file = path.join(dir, 'test.db');
      const database = await openDatabase(`sqlite:${file}`);
      await migrateToLatest(database);
      return {
        ...database,
        // Embedded mode is one instance with one connection: a second better-sqlite3 connection in
        // the same thread would block the event loop in SQLite's busy-wait. Siblings share it.
        openSibling: async () => ({ ...database, close: async () => {} }),
        async dispose() {
          await database.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    skip: postgresUrl === undefined,
    async open() {
      const url = postgresUrl ?? '';
      const schema = `t_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
      const database = await openDatabase(url, { schema, poolSize: 20 });
      await migrateToLatest(database);
      return {
        ...database,
        openSibling: () => openDatabase(url, { schema, poolSize: 20 }),
        async dispose() {
          await sql.raw(`drop schema if exists ${schema} cascade`).execute(database.db);
          await database.close();
        },
      };
    },
  },
];

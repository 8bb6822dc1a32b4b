import { type Kysely, SqliteAdapter, sql } from 'kysely';

/**
 * The catalog's version, for the catalog cache on SQLite (storage/catalog-cache.ts): one row whose
 * number triggers raise in the same transaction as any insert, update or delete of a connection or
 * an application, whoever writes it (a worker, the CLI, plain SQL). Each process compares it with
 * the number it cached under, so a change is seen at once — and, unlike SQLite's `data_version`,
 * it does not move when another worker merely signs someone in, so a `WORKERS` group keeps its
 * cache. PostgreSQL has the table too (its instances hear changes through Redis pub/sub).
 */
const TABLES = ['connections', 'applications'] as const;
const EVENTS = ['insert', 'update', 'delete'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('catalog_version')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .execute();
  await sql`insert into catalog_version (id, version) values (1, 0)`.execute(db);
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  for (const table of TABLES) {
    for (const event of EVENTS) {
      await sql
        .raw(
          `create trigger ${table}_${event}_catalog_version after ${event} on ${table}
           begin update catalog_version set version = version + 1 where id = 1; end`,
        )
        .execute(db);
    }
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    for (const table of TABLES) {
      for (const event of EVENTS) await sql.raw(`drop trigger if exists ${table}_${event}_catalog_version`).execute(db);
    }
  }
  await db.schema.dropTable('catalog_version').execute();
}

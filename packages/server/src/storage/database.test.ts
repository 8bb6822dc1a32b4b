/** The durable-storage contract, run on SQLite and (with DATABASE_URL) PostgreSQL. */
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUniqueViolation, openDatabase, reusingStatements } from './database.ts';
import { migrateDown, migrateToLatest, migrationStatus } from './migrate.ts';
import { migrations } from './migrations/index.ts';
import { databaseBackends, type TestDatabase } from './test-backends.ts';

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`durable storage contract: ${backend.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await backend.open();
    });
    afterAll(async () => {
      await database?.dispose();
    });

    it('applies every migration, and a second run applies nothing', async () => {
      const status = await migrationStatus(database);
      expect(status.map((m) => m.name)).toEqual(Object.keys(migrations));
      expect(status.every((m) => m.appliedAt !== undefined)).toBe(true);
      expect(await migrateToLatest(database)).toEqual([]);
    });

    it('every migration can be undone and applied again', async () => {
      const names = Object.keys(migrations);
      for (let i = 0; i < names.length; i++) await migrateDown(database);
      expect((await migrationStatus(database)).every((m) => m.appliedAt === undefined)).toBe(true);
      expect(await migrateToLatest(database)).toEqual(names);
    });

    it('round-trips the portable column types: text, millisecond times as numbers, JSON text', async () => {
      const now = Date.now();
      await database.db
        .insertInto('settings')
        .values({ key: 'k1', value: JSON.stringify({ a: [1, 'b'] }), updated_at: now })
        .execute();
      const row = await database.db.selectFrom('settings').selectAll().where('key', '=', 'k1').executeTakeFirstOrThrow();
      expect(row.updated_at).toBe(now);
      expect(typeof row.updated_at).toBe('number');
      expect(JSON.parse(row.value)).toEqual({ a: [1, 'b'] });
    });

    it('reports a unique violation in a dialect-independent way', async () => {
      await database.db.insertInto('settings').values({ key: 'dup', value: '1', updated_at: 1 }).execute();
      const error = await database.db
        .insertInto('settings')
        .values({ key: 'dup', value: '2', updated_at: 2 })
        .execute()
        .catch((e: unknown) => e);
      expect(isUniqueViolation(error)).toBe(true);
      expect(isUniqueViolation(new Error('other'))).toBe(false);
    });

    it('a statement reused after a schema change answers with the new schema', async () => {
      // One connection throughout, so that PostgreSQL reuses the statement it prepared on it.
      await database.db.connection().execute(async (db) => {
        await sql`create table reuse_check (a integer)`.execute(db);
        await sql`insert into reuse_check (a) values (${1})`.execute(db);
        const select = () => sql<Record<string, unknown>>`select * from reuse_check where a = ${1}`.execute(db);
        expect((await select()).rows).toEqual([{ a: 1 }]);
        await sql`alter table reuse_check add column b integer`.execute(db);
        expect((await select()).rows).toEqual([{ a: 1, b: null }]);
        await sql`drop table reuse_check`.execute(db);
      });
    });

    it('a failed transaction leaves nothing behind', async () => {
      await expect(
        database.db.transaction().execute(async (trx) => {
          await trx.insertInto('settings').values({ key: 'tx', value: '1', updated_at: 1 }).execute();
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(await database.db.selectFrom('settings').select('key').where('key', '=', 'tx').executeTakeFirst()).toBeUndefined();
    });

    it('50 concurrent inserts of one key from two instances: exactly one succeeds', async () => {
      const sibling = await database.openSibling();
      try {
        const results = await Promise.allSettled(
          Array.from({ length: 50 }, (_, i) =>
            (i % 2 === 0 ? database : sibling).db.transaction().execute((trx) =>
              trx
                .insertInto('settings')
                .values({ key: 'race', value: String(i), updated_at: i })
                .execute(),
            ),
          ),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(failures.every((r) => isUniqueViolation(r.reason))).toBe(true);
      } finally {
        await sibling.close();
      }
    });

    it('ping answers on a live database', async () => {
      await expect(database.ping()).resolves.toBeUndefined();
    });
  });
}

describe('SQLite statements', () => {
  it('each SQL text is prepared once and its statement reused', () => {
    const connection = new SQLite(':memory:');
    const prepared: string[] = [];
    const prepare = connection.prepare.bind(connection);
    connection.prepare = ((source: string) => {
      prepared.push(source);
      return prepare(source);
    }) as typeof connection.prepare;
    connection.exec('create table t (a integer)');
    const database = reusingStatements(connection, 2);
    for (let i = 0; i < 3; i++) database.prepare('insert into t (a) values (?)').run([i]);
    expect(database.prepare('select count(*) as n from t').all([])).toEqual([{ n: 3 }]);
    expect(prepared).toEqual(['insert into t (a) values (?)', 'select count(*) as n from t']);
    // Beyond its capacity the least recently used statement goes, and is prepared again when needed.
    database.prepare('select 1');
    database.prepare('insert into t (a) values (?)');
    expect(prepared).toEqual(['insert into t (a) values (?)', 'select count(*) as n from t', 'select 1', 'insert into t (a) values (?)']);
    database.close();
  });

  it('a statement still being iterated is not handed out again', () => {
    const database = reusingStatements(new SQLite(':memory:'));
    const select = 'select value from json_each(?)';
    const outer = database.prepare(select).iterate(['[1,2]']);
    const first = outer.next();
    expect(database.prepare(select).all(['[3]'])).toEqual([{ value: 3 }]);
    expect([first.value, ...outer]).toEqual([{ value: 1 }, { value: 2 }]);
    database.close();
  });
});

describe('opening storage', () => {
  it('an unreachable PostgreSQL gives a clear storage_unreachable error without the password', async () => {
    const error = await openDatabase('postgres://user:hunter2@127.0.0.1:1/none').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'storage_unreachable' });
    expect(String((error as Error).message)).toContain('is not reachable');
    expect(String((error as Error).message)).not.toContain('hunter2');
  });
});

import type { Kysely } from 'kysely';

/**
 * Login statistics for the console overview (issue #9): one counter per hour and combination of
 * metric (`login`, `new_user`, `failure`), scenario, appid, application client id and failure
 * reason. Counters, not events: the table stays small however many people sign in, and an
 * upsert-increment (`on conflict … do update set count = count + excluded.count`) is atomic on
 * both databases. Absent dimensions are '' rather than NULL, because NULLs never conflict in a
 * unique key and every absent-reason row would become a row of its own.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('login_stats')
    .addColumn('hour_start', 'bigint', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('scenario', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('appid', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('client_id', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('reason', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('login_stats_pk', ['hour_start', 'metric', 'scenario', 'appid', 'client_id', 'reason'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('login_stats').execute();
}

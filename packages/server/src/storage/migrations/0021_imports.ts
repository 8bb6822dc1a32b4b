import type { Kysely } from 'kysely';

/**
 * Imports (issue #19 "Migrating off Authing", issue #18 people import/export).
 *
 * `user_external_ids`: the id a person had in the system they came from (Authing's `userId`, or any
 * other source), one owner per (source, id) — which is what makes re-running an import create nothing
 * new. An application may emit it as `sub` (`subjectType: 'external'`) so backends keyed on the old
 * ids keep working. `data` keeps the source's custom data as it was (JSON), never released in tokens.
 *
 * `import_runs`: one row per import, its checkpoint (the index of the next record) written in the same
 * transaction as each batch, so a stopped import resumes where its last committed batch ended.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('user_external_ids')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('data', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_external_ids_pk', ['source', 'external_id'])
    .execute();
  await db.schema.createIndex('user_external_ids_user_index').on('user_external_ids').column('user_id').execute();

  await db.schema
    .createTable('import_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    /** SHA-256 of the input (and mapping): `--resume` continues the run of the same input only. */
    .addColumn('input_hash', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('next_index', 'bigint', (c) => c.notNull())
    .addColumn('total', 'bigint', (c) => c.notNull())
    .addColumn('report', 'text', (c) => c.notNull())
    .addColumn('actor', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('import_runs_input_index').on('import_runs').columns(['kind', 'input_hash']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('import_runs').execute();
  await db.schema.dropTable('user_external_ids').execute();
}

import type { Kysely } from 'kysely';

/**
 * The web origins an application registers beyond those of its redirect URIs: pages there may
 * embed the login widget or use the browser SDK (CORS with credentials on the login APIs) and be
 * a login's return-to. One row per origin, indexed by origin: a cross-origin request asks "is this
 * origin registered?" with one indexed read. Rows go with their application.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('application_web_origins')
    .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id').onDelete('cascade'))
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('application_web_origins_pk', ['application_id', 'origin'])
    .execute();
  await db.schema.createIndex('application_web_origins_origin').on('application_web_origins').column('origin').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('application_web_origins').execute();
}

import type { Kysely } from 'kysely';

/** An application's identity-policy override for logins made on its behalf (JSON, may be empty). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('applications')
    .addColumn('policy', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('applications').dropColumn('policy').execute();
}

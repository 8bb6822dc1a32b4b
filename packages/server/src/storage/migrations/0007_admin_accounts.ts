import type { Kysely } from 'kysely';

/**
 * Admin accounts for the console (issue #9): people who sign in with a username, a password and
 * optionally TOTP. The audit log gains `actor_name` so a change reads as "by alice" or "by the
 * `deploy` key" even after the account or key is gone.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('admin_accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('display_name', 'text')
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('totp_secret_sealed', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('last_login_at', 'bigint')
    .addColumn('disabled_at', 'bigint')
    .execute();
  await db.schema.alterTable('audit_log').addColumn('actor_name', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_log').dropColumn('actor_name').execute();
  await db.schema.dropTable('admin_accounts').execute();
}

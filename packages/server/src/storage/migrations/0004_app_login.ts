import type { Kysely } from 'kysely';

/**
 * App logins (S3, S5–S7):
 * - `mini_program_sessions`: the latest `session_key` per (appid, openid), sealed with the master
 *   key, plus the one it replaced (data a mini program encrypted just before a new `wx.login`
 *   is still under the previous key).
 * - `refresh_tokens`: opaque refresh tokens, stored as hashes, in families (one per sign-in).
 *   Every use rotates the token; a second use of a rotated one revokes the whole family.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('mini_program_sessions')
    .addColumn('appid', 'text', (c) => c.notNull())
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('session_key_sealed', 'text', (c) => c.notNull())
    .addColumn('previous_session_key_sealed', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('mini_program_sessions_pk', ['appid', 'openid'])
    .execute();

  await db.schema
    .createTable('refresh_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('family_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('amr', 'text', (c) => c.notNull())
    .addColumn('auth_time', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('refresh_tokens_family_index').on('refresh_tokens').column('family_id').execute();
  await db.schema.createIndex('refresh_tokens_user_index').on('refresh_tokens').column('user_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('refresh_tokens').execute();
  await db.schema.dropTable('mini_program_sessions').execute();
}

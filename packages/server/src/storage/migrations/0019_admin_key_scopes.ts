import type { Kysely } from 'kysely';

/**
 * Admin key scopes (issue #19, the WeChat token broker). `token_connections` null: a full key (what
 * every key was before). A JSON array of connection ids: a token-reader key, which may only read the
 * access_token / jsapi ticket of those connections and is refused on every other route.
 *
 * `token_reads`: how often each key read each connection's tokens, one counter row per pair (an
 * audit row per read would drown the log), so an admin sees who still uses which token.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('admin_keys').addColumn('token_connections', 'text').execute();
  await db.schema
    .createTable('token_reads')
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addColumn('last_read_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('token_reads_pk', ['key_id', 'connection_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('token_reads').execute();
  await db.schema.alterTable('admin_keys').dropColumn('token_connections').execute();
}

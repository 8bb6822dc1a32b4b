import type { Kysely } from 'kysely';

/**
 * Admin key scopes (issue #19, the WeChat token broker). `token_connections` null: a full key (what
 * every key was before). A JSON array of connection ids: a token-reader key, which may only read the
 * access_token / jsapi ticket of those connections and is refused on every other route.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('admin_keys').addColumn('token_connections', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('admin_keys').dropColumn('token_connections').execute();
}

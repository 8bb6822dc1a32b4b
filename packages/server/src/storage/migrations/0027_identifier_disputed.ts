import type { Kysely } from 'kysely';

/**
 * A verified phone whose number WeChat has since shown in another WeChat person's hands (a login
 * whose phone match was void because the holder's account already holds another person of that app
 * or Open Platform account): `disputed_at` is set, and the number no longer joins anyone to that
 * account by field matching — from any app, including one without an Open Platform account, where
 * there is no unionid to tell the two people apart. The holder's own WeChat verifying it again
 * clears it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('user_identifiers').addColumn('disputed_at', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('user_identifiers').dropColumn('disputed_at').execute();
}

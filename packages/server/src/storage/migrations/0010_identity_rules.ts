import { type Kysely, sql } from 'kysely';

/**
 * Identity rules of issue #13:
 * - a phone WeChat verified for one WeChat identity stays on that identity's ledger row, even when
 *   the account-level identifier belongs to someone else (a recycled number), so it is neither lost
 *   nor bought again at every login;
 * - a connection records the first unionid it received while not bound to an Open Platform account
 *   (the app was bound in WeChat only), and the Open Platform account such a unionid points to;
 * - a merge record says whether it merged a whole account or moved one WeChat person's identities
 *   (a person's selection), so undo knows what to restore.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('wechat_identities').addColumn('phone', 'text').execute();
  await db.schema.alterTable('wechat_identities').addColumn('phone_verified_at', 'bigint').execute();
  await db.schema.alterTable('connections').addColumn('unionid_seen_at', 'bigint').execute();
  await db.schema.alterTable('connections').addColumn('detected_open_platform_id', 'text').execute();
  await db.schema
    .alterTable('merge_records')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo(sql`'merge'`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('merge_records').dropColumn('kind').execute();
  await db.schema.alterTable('connections').dropColumn('detected_open_platform_id').execute();
  await db.schema.alterTable('connections').dropColumn('unionid_seen_at').execute();
  await db.schema.alterTable('wechat_identities').dropColumn('phone_verified_at').execute();
  await db.schema.alterTable('wechat_identities').dropColumn('phone').execute();
}

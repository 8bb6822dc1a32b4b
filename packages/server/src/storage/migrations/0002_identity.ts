import type { Kysely } from 'kysely';

/**
 * The identity core: users, the per-app WeChat identity ledger, verified local identifiers,
 * passwords, the audit log, merges and merge suggestions, connections and admin API keys.
 *
 * Uniqueness is what makes concurrent logins safe, so every "one X per Y" rule is a constraint:
 * one ledger row per (appid, openid), one owner per (Open Platform account, unionid), one user per
 * verified phone or email. Application code relies on these and retries on violation.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('nickname', 'text')
    .addColumn('picture', 'text')
    .addColumn('gender', 'text')
    .addColumn('locale', 'text')
    .addColumn('phone_number', 'text')
    .addColumn('phone_number_verified', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('email', 'text')
    .addColumn('email_verified', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('merged_into', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('last_login_at', 'bigint')
    .execute();

  await db.schema
    .createTable('wechat_identities')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('appid', 'text', (c) => c.notNull())
    .addColumn('app_type', 'text', (c) => c.notNull())
    .addColumn('open_platform_id', 'text')
    .addColumn('openid', 'text', (c) => c.notNull())
    .addColumn('unionid', 'text')
    .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('last_profile', 'text')
    .addUniqueConstraint('wechat_identities_appid_openid_unique', ['appid', 'openid'])
    .execute();
  await db.schema.createIndex('wechat_identities_user_index').on('wechat_identities').column('user_id').execute();
  await db.schema.createIndex('wechat_identities_unionid_index').on('wechat_identities').columns(['open_platform_id', 'unionid']).execute();
  await db.schema.createIndex('wechat_identities_openid_index').on('wechat_identities').column('openid').execute();
  await db.schema.createIndex('wechat_identities_bare_unionid_index').on('wechat_identities').column('unionid').execute();

  // Which user a unionid belongs to. The ledger records what WeChat said (a row may carry a unionid
  // that another user owns, during a backfill conflict); this table is the one claim per unionid
  // that keeps two concurrent first logins through different apps from creating two users.
  await db.schema
    .createTable('unionid_owners')
    .addColumn('open_platform_id', 'text', (c) => c.notNull())
    .addColumn('unionid', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('unionid_owners_pk', ['open_platform_id', 'unionid'])
    .execute();
  await db.schema.createIndex('unionid_owners_user_index').on('unionid_owners').column('user_id').execute();

  // Only verified values live here, so a plain unique constraint is "unique where verified".
  await db.schema
    .createTable('user_identifiers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('verified_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('user_identifiers_kind_value_unique', ['kind', 'value'])
    .execute();
  await db.schema.createIndex('user_identifiers_user_index').on('user_identifiers').column('user_id').execute();

  await db.schema
    .createTable('password_credentials')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id'))
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('actor_kind', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text')
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .execute();
  await db.schema.createIndex('audit_log_subject_index').on('audit_log').columns(['subject_id', 'id']).execute();

  await db.schema
    .createTable('merge_records')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('target_user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('source_user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('source_snapshot', 'text', (c) => c.notNull())
    .addColumn('actor_kind', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('undone_at', 'bigint')
    .execute();
  await db.schema.createIndex('merge_records_source_index').on('merge_records').column('source_user_id').execute();
  await db.schema.createIndex('merge_records_target_index').on('merge_records').column('target_user_id').execute();

  await db.schema
    .createTable('merge_suggestions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('other_user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('open_platform_id', 'text')
    .addColumn('unionid', 'text')
    .addColumn('appid', 'text')
    .addColumn('openid', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('resolved_at', 'bigint')
    .addUniqueConstraint('merge_suggestions_pair_unique', ['user_id', 'other_user_id', 'reason'])
    .execute();
  await db.schema.createIndex('merge_suggestions_status_index').on('merge_suggestions').columns(['status', 'id']).execute();

  await db.schema
    .createTable('connections')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('app_type', 'text', (c) => c.notNull())
    .addColumn('appid', 'text', (c) => c.notNull().unique())
    .addColumn('open_platform_id', 'text')
    .addColumn('original_id', 'text')
    .addColumn('secret_sealed', 'text')
    .addColumn('token_sealed', 'text')
    .addColumn('encoding_aes_key_sealed', 'text')
    .addColumn('scenarios', 'text', (c) => c.notNull())
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('admin_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('key_prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'admin_keys',
    'connections',
    'merge_suggestions',
    'merge_records',
    'audit_log',
    'password_credentials',
    'user_identifiers',
    'unionid_owners',
    'wechat_identities',
    'users',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}

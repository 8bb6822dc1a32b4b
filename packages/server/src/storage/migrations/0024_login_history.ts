import type { Kysely } from 'kysely';

/**
 * People management in the console (issue #18):
 *
 * `login_events`: every end-user login and failure (login/history.ts), one row each, kept for
 * LOGIN_HISTORY_RETENTION_DAYS and swept in bounded batches. Ids are time-ordered (`lge_<ms>…`), so
 * `(user_id, id)` answers one person's history newest first and the primary key the overall one;
 * `at` serves the retention sweep; `(outcome, id)` the failures alone (a few among many logins);
 * `(scenario, user_id)` the People list's scenario filter.
 *
 * `admin_recovery_codes`: a console admin's TOTP recovery codes, SHA-256 hashed (codes are 50 random
 * bits from a CSPRNG, single use and rate limited, so a slow hash adds nothing), each used once.
 *
 * The People list's filters: `users_last_login_at_index` (a range of it); `(appid, user_id)` on
 * `wechat_identities` and `(kind, user_id)` on `user_identifiers`, so the app and phone filters read
 * the matching user ids from an index alone (at 200,000 users on SQLite, a filter matching a quarter
 * of them went from 71 to 9 ms).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('login_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('scenario', 'text')
    .addColumn('appid', 'text')
    .addColumn('client_id', 'text')
    .addColumn('reason', 'text')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .execute();
  await db.schema.createIndex('login_events_user_index').on('login_events').columns(['user_id', 'id']).execute();
  await db.schema.createIndex('login_events_at_index').on('login_events').column('at').execute();
  await db.schema.createIndex('login_events_outcome_index').on('login_events').columns(['outcome', 'id']).execute();
  await db.schema.createIndex('login_events_scenario_index').on('login_events').columns(['scenario', 'user_id']).execute();
  await db.schema
    .createTable('admin_recovery_codes')
    .addColumn('admin_id', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addPrimaryKeyConstraint('admin_recovery_codes_pk', ['admin_id', 'code_hash'])
    .execute();
  await db.schema.createIndex('users_last_login_at_index').on('users').column('last_login_at').execute();
  await db.schema.createIndex('wechat_identities_appid_user_index').on('wechat_identities').columns(['appid', 'user_id']).execute();
  await db.schema.createIndex('user_identifiers_kind_user_index').on('user_identifiers').columns(['kind', 'user_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('user_identifiers_kind_user_index').execute();
  await db.schema.dropIndex('wechat_identities_appid_user_index').execute();
  await db.schema.dropIndex('users_last_login_at_index').execute();
  await db.schema.dropTable('admin_recovery_codes').execute();
  await db.schema.dropTable('login_events').execute();
}

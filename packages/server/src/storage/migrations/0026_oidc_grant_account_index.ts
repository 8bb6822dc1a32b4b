import { type Kysely, sql } from 'kysely';

/**
 * "The applications this person used" (backchannel-logout.ts `queueAccountLogout`) reads grants
 * only, so the index on `oidc_models.account_id` holds grants only: every code and token the
 * provider writes (several per login and per refresh) no longer pays for an index entry nobody
 * reads. The query names the model as a literal, which is what lets SQLite and PostgreSQL use a
 * partial index.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('oidc_models_account').execute();
  await sql`create index oidc_models_grant_account on oidc_models (account_id) where model = 'Grant'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('oidc_models_grant_account').execute();
  await db.schema.createIndex('oidc_models_account').on('oidc_models').columns(['account_id', 'model']).execute();
}

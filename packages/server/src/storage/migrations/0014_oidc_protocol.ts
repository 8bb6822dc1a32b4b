import { type Kysely, sql } from 'kysely';

/**
 * OIDC protocol settings per application (client authentication, ID token algorithm, back-channel
 * logout URI, API resources), who each grant belongs to (so the applications a person used are an
 * indexed lookup), and the back-channel logout deliveries still to make or already made.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('applications')
    .addColumn('protocol', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
  await db.schema.alterTable('oidc_models').addColumn('account_id', 'text').execute();
  await db.schema.alterTable('oidc_models').addColumn('client_id', 'text').execute();
  await db.schema.createIndex('oidc_models_account').on('oidc_models').columns(['account_id', 'model']).execute();
  // Grants stored before this migration: fill in their account and client from the payload.
  const grants = await sql<{ id: string; payload: string }>`select id, payload from oidc_models where model = 'Grant'`.execute(db);
  for (const grant of grants.rows) {
    const payload: unknown = JSON.parse(grant.payload);
    if (typeof payload !== 'object' || payload === null) continue;
    const accountId = 'accountId' in payload && typeof payload.accountId === 'string' ? payload.accountId : null;
    const clientId = 'clientId' in payload && typeof payload.clientId === 'string' ? payload.clientId : null;
    await sql`update oidc_models set account_id = ${accountId}, client_id = ${clientId} where model = 'Grant' and id = ${grant.id}`.execute(
      db,
    );
  }
  await db.schema
    .createTable('oidc_logout_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('sid', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oidc_logout_deliveries_due').on('oidc_logout_deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('oidc_logout_deliveries_account').on('oidc_logout_deliveries').column('account_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('oidc_logout_deliveries').execute();
  await db.schema.dropIndex('oidc_models_account').execute();
  await db.schema.alterTable('oidc_models').dropColumn('client_id').execute();
  await db.schema.alterTable('oidc_models').dropColumn('account_id').execute();
  await db.schema.alterTable('applications').dropColumn('protocol').execute();
}

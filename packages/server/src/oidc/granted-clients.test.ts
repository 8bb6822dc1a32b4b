/** "The applications this person used" stays an indexed look-up on both storage backends. */
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';
import { grantedClients } from './backchannel-logout.ts';
import { oidcDb } from './tables.ts';

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`grantedClients on ${backend.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await backend.open();
      const db = oidcDb(database.db);
      const row = (model: string, id: string, accountId: string, clientId: string) => ({
        model,
        id,
        payload: '{}',
        grant_id: model === 'Grant' ? null : 'g1',
        uid: null,
        user_code: null,
        account_id: accountId,
        client_id: clientId,
        expires_at: null,
        consumed_at: null,
      });
      await db
        .insertInto('oidc_models')
        .values([
          row('Grant', 'g1', 'alice', 'app-a'),
          row('Grant', 'g2', 'alice', 'app-b'),
          row('Grant', 'g3', 'bob', 'app-a'),
          row('AccessToken', 't1', 'alice', 'app-c'),
          row('RefreshToken', 't2', 'alice', 'app-c'),
        ])
        .execute();
    });
    afterAll(async () => {
      await database?.dispose();
    });

    it('finds the applications of the person’s grants, not of their tokens or of someone else', async () => {
      const rows = await grantedClients(oidcDb(database.db), 'alice').execute();
      expect(rows.map((r) => r.client_id).sort()).toEqual(['app-a', 'app-b']);
    });

    it('reads the grants-only index (codes and tokens are not in it)', async () => {
      const query = grantedClients(oidcDb(database.db), 'alice').compile();
      const plan =
        backend.name === 'sqlite'
          ? (
              await database.db.executeQuery<{ detail: string }>(
                CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]),
              )
            ).rows.map((r) => r.detail)
          : await database.db.transaction().execute(async (trx) => {
              // A handful of rows would be scanned whatever the indexes: ask for the plan a big table
              // gets, and the plan a prepared statement settles on after a few runs, which sees
              // parameters only (what pg's pool and weunion's precompiled statements run).
              await sql`set local enable_seqscan = off`.execute(trx);
              await sql`set local plan_cache_mode = force_generic_plan`.execute(trx);
              await trx.executeQuery(CompiledQuery.raw(`prepare granted_clients as ${query.sql}`));
              const explained = await sql<{
                'QUERY PLAN': string;
              }>`explain execute granted_clients(${sql.join(query.parameters.map((p) => sql.lit(p)))})`.execute(trx);
              await sql`deallocate granted_clients`.execute(trx);
              return explained.rows.map((r) => r['QUERY PLAN']);
            });
      expect(plan.join('\n')).toContain('oidc_models_grant_account');
    });
  });
}

/** Precompiled queries (precompiled.ts) run with each call's values, on SQLite and PostgreSQL. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { precompiled } from './precompiled.ts';
import type { Tables } from './schema.ts';
import { databaseBackends, type TestDatabase } from './test-backends.ts';

const upsertSetting = precompiled<Tables, { key: string; value: string; at: number }, unknown>((db, p) =>
  db
    .insertInto('settings')
    .values({ key: p.key, value: p.value, updated_at: p.at })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: p.value, updated_at: p.at })),
);
const findSetting = precompiled<Tables, { key: string }, { value: string; updated_at: number }>((db, p) =>
  // 'precompiled-' is compiled in as a constant parameter; the key is bound on each run.
  db.selectFrom('settings').select(['value', 'updated_at']).where('key', '=', p.key).where('key', 'like', 'precompiled-%'),
);

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`precompiled queries: ${backend.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await backend.open();
    });
    afterAll(async () => {
      await database?.dispose();
    });

    it('each run binds its own values, constants stay as built', async () => {
      await upsertSetting.execute(database.db, { key: 'precompiled-a', value: 'one', at: 1 });
      await upsertSetting.execute(database.db, { key: 'precompiled-b', value: 'two', at: 2 });
      await upsertSetting.execute(database.db, { key: 'precompiled-a', value: 'three', at: 3 });
      expect((await findSetting.execute(database.db, { key: 'precompiled-a' })).rows).toEqual([{ value: 'three', updated_at: 3 }]);
      expect((await findSetting.execute(database.db, { key: 'precompiled-b' })).rows).toEqual([{ value: 'two', updated_at: 2 }]);
      expect((await findSetting.execute(database.db, { key: 'other' })).rows).toEqual([]);
    });

    it('works inside a transaction, and a rollback undoes it', async () => {
      await expect(
        database.db.transaction().execute(async (trx) => {
          await upsertSetting.execute(trx, { key: 'precompiled-tx', value: 'x', at: 1 });
          expect((await findSetting.execute(trx, { key: 'precompiled-tx' })).rows).toHaveLength(1);
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect((await findSetting.execute(database.db, { key: 'precompiled-tx' })).rows).toEqual([]);
    });
  });
}

describe('precompiled query building', () => {
  it('refuses values spread into the query (they would be lost)', async () => {
    const backend = databaseBackends[0];
    if (backend === undefined) throw new Error('no backend');
    const database = await backend.open();
    try {
      const spread = precompiled<Tables, { key: string; value: string; updated_at: number }, unknown>((db, p) =>
        db.insertInto('settings').values({ ...p }),
      );
      await expect(spread.execute(database.db, { key: 'k', value: 'v', updated_at: 1 })).rejects.toThrow(/name each placeholder/);
    } finally {
      await database.dispose();
    }
  });
});

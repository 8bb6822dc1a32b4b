import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { SecretBox } from '../secrets/master-key.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';
import { connectionInputSchema, DEFAULT_CONNECTION_SETTINGS } from './schema.ts';
import { findConnectionByAppid, updateConnection, upsertConnection } from './store.ts';

const secrets = new SecretBox(randomBytes(32));
const miniProgram = {
  id: 'shop-mp',
  name: 'Shop mini program',
  appType: 'mini_program',
  appid: 'wx00000000000000aa',
  secret: 'mp-secret',
  openPlatformId: null,
  scenarios: ['s3', 's5'],
};

describe('connection settings', () => {
  it('default to asking for a phone only when none is on file, and never paying twice', () => {
    expect(connectionInputSchema.parse(miniProgram).settings).toEqual({
      phoneNumber: 'optional',
      reusePhone: true,
      webAuthScope: 'auto',
      revealScanner: false,
    });
  });

  it('refuse unknown settings and values', () => {
    expect(connectionInputSchema.safeParse({ ...miniProgram, settings: { phoneNumber: 'always' } }).success).toBe(false);
    expect(connectionInputSchema.safeParse({ ...miniProgram, settings: { shoeSize: 42 } }).success).toBe(false);
  });
});

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`connection settings stored on ${backend.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await backend.open();
    });
    afterAll(async () => {
      await database.dispose();
    });

    it('round-trip through storage and change through a partial update', async () => {
      const input = connectionInputSchema.parse({ ...miniProgram, settings: { phoneNumber: 'required' } });
      await upsertConnection(database.db, secrets, input, { source: 'api', actor: SYSTEM_ACTOR });
      const stored = await findConnectionByAppid(database.db, secrets, miniProgram.appid);
      expect(stored?.settings).toEqual({ ...DEFAULT_CONNECTION_SETTINGS, phoneNumber: 'required' });
      const updated = await updateConnection(
        database.db,
        secrets,
        miniProgram.id,
        { settings: { ...DEFAULT_CONNECTION_SETTINGS, revealScanner: true } },
        SYSTEM_ACTOR,
      );
      expect(updated.settings).toEqual({ ...DEFAULT_CONNECTION_SETTINGS, revealScanner: true });
      // Leaving settings out of a patch keeps them.
      const renamed = await updateConnection(database.db, secrets, miniProgram.id, { name: 'Renamed' }, SYSTEM_ACTOR);
      expect(renamed.settings.revealScanner).toBe(true);
    });
  });
}

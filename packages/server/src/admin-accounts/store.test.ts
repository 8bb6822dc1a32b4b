import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { SecretBox } from '../secrets/master-key.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';
import {
  countAdminAccounts,
  createAdminAccount,
  deleteAdminAccount,
  disableAdminTotp,
  enableAdminTotp,
  listAdminAccounts,
  openTotpSecret,
  requireAdminAccount,
  setAdminDisabled,
  setAdminPassword,
  verifyAdminPassword,
} from './store.ts';
import { newTotpSecret } from './totp.ts';

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`admin accounts: ${backend.name}`, () => {
    let database: TestDatabase;
    const secrets = new SecretBox(randomBytes(32));
    const actor = { kind: 'system' as const, id: 'test', name: null };

    beforeAll(async () => {
      database = await backend.open();
    });
    afterAll(async () => {
      await database?.dispose();
    });

    it('creates an account under its lower-cased username; the password verifies, a wrong one does not', async () => {
      const created = await createAdminAccount(
        database.db,
        secrets,
        { username: 'Alice', displayName: 'Alice A.', password: 'correct horse' },
        actor,
      );
      expect(created).toMatchObject({ username: 'alice', displayName: 'Alice A.', totpEnabled: false });
      expect(created.id).toMatch(/^adm_/);
      expect((await verifyAdminPassword(database.db, 'ALICE', 'correct horse'))?.id).toBe(created.id);
      expect(await verifyAdminPassword(database.db, 'alice', 'wrong horse!')).toBeNull();
      expect(await verifyAdminPassword(database.db, 'nobody', 'correct horse')).toBeNull();
      expect(await countAdminAccounts(database.db)).toBeGreaterThanOrEqual(1);
      const audit = await database.db.selectFrom('audit_log').selectAll().where('subject_id', '=', created.id).execute();
      expect(audit.map((a) => a.action)).toEqual(['admin_account.created']);
      expect(audit[0]?.after).not.toContain('correct horse');
    });

    it('refuses a taken username, a bad username and a short password, writing nothing', async () => {
      await expect(
        createAdminAccount(database.db, secrets, { username: 'alice', password: 'another password' }, actor),
      ).rejects.toMatchObject({ code: 'conflict' });
      await expect(createAdminAccount(database.db, secrets, { username: 'a!', password: 'long enough pw' }, actor)).rejects.toMatchObject({
        code: 'validation_failed',
      });
      await expect(createAdminAccount(database.db, secrets, { username: 'bob', password: 'short' }, actor)).rejects.toMatchObject({
        code: 'validation_failed',
      });
      expect((await listAdminAccounts(database.db)).map((a) => a.username)).not.toContain('bob');
    });

    it('a new password replaces the old one; a disabled account cannot sign in until enabled', async () => {
      const bob = await createAdminAccount(database.db, secrets, { username: 'bob', password: 'first password' }, actor);
      await setAdminPassword(database.db, bob.id, 'second password', actor);
      expect(await verifyAdminPassword(database.db, 'bob', 'first password')).toBeNull();
      expect(await verifyAdminPassword(database.db, 'bob', 'second password')).not.toBeNull();
      await setAdminDisabled(database.db, bob.id, true, actor);
      expect(await verifyAdminPassword(database.db, 'bob', 'second password')).toBeNull();
      await setAdminDisabled(database.db, bob.id, false, actor);
      expect(await verifyAdminPassword(database.db, 'bob', 'second password')).not.toBeNull();
    });

    it('keeps the TOTP secret sealed and opens it for its own account only', async () => {
      const carol = await createAdminAccount(database.db, secrets, { username: 'carol', password: 'carol password' }, actor);
      const secret = newTotpSecret();
      await enableAdminTotp(database.db, secrets, carol.id, secret, actor);
      const row = await requireAdminAccount(database.db, 'carol');
      expect(row.totp_secret_sealed).not.toContain(secret);
      expect(openTotpSecret(secrets, row)).toBe(secret);
      expect(() => openTotpSecret(secrets, { ...row, id: 'adm_other' })).toThrow();
      await disableAdminTotp(database.db, carol.id, actor);
      expect((await requireAdminAccount(database.db, 'carol')).totp_secret_sealed).toBeNull();
    });

    it('deletes an account and audits it; a deleted account is not found', async () => {
      const dave = await createAdminAccount(database.db, secrets, { username: 'dave', password: 'dave password' }, actor);
      await deleteAdminAccount(database.db, dave.id, SYSTEM_ACTOR);
      await expect(requireAdminAccount(database.db, 'dave')).rejects.toMatchObject({ code: 'not_found' });
      await expect(deleteAdminAccount(database.db, dave.id, SYSTEM_ACTOR)).rejects.toMatchObject({ code: 'not_found' });
      const actions = await database.db.selectFrom('audit_log').select('action').where('subject_id', '=', dave.id).orderBy('at').execute();
      expect(actions.map((a) => a.action)).toEqual(['admin_account.created', 'admin_account.deleted']);
    });
  });
}

import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMasterKey, SecretBox } from '../secrets/master-key.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';
import { SigningKeys } from './signing-keys.ts';

const HOUR = 3600_000;

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`signing keys on ${backend.name}`, () => {
    let database: TestDatabase;
    const box = new SecretBox(Buffer.from(generateMasterKey(), 'base64'));
    let clock = Date.now();
    const now = () => clock;
    beforeAll(async () => {
      database = await backend.open();
    });
    afterAll(async () => {
      await database.dispose();
    });

    async function sign(keys: SigningKeys): Promise<string> {
      const { kid, alg, privateKey } = await keys.current();
      return new SignJWT({ sub: 'user-1' }).setProtectedHeader({ alg, kid }).setIssuer('https://id.example').setIssuedAt().sign(privateKey);
    }

    it('instances starting together create exactly one key per algorithm; the default one signs ES256 tokens the JWKS verifies', async () => {
      const sibling = await database.openSibling();
      const instances = Array.from({ length: 6 }, (_, i) => new SigningKeys(i % 2 === 0 ? database : sibling, box, { now }));
      await Promise.all(instances.map((k) => k.ensure()));
      const kids = new Set(await Promise.all(instances.map(async (k) => (await k.current()).kid)));
      expect(kids.size).toBe(1);
      const first = instances[0];
      if (first === undefined) throw new Error('unreachable');
      const jwks = await first.jwks();
      expect(jwks.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
      const es256 = jwks.keys.find((k) => k.alg === 'ES256');
      expect(es256).toMatchObject({ kty: 'EC', use: 'sig' });
      for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
      const { payload, protectedHeader } = await jwtVerify(await sign(first), createLocalJWKSet(jwks), { issuer: 'https://id.example' });
      expect(payload.sub).toBe('user-1');
      expect(protectedHeader).toMatchObject({ kid: es256?.kid, alg: 'ES256' });
      // RS256 is there for applications that ask for it, without becoming the default.
      const rs256 = await first.current('RS256');
      expect(rs256.kid).toBe(jwks.keys.find((k) => k.alg === 'RS256')?.kid);
      const rsToken = await new SignJWT({ sub: 'user-1' }).setProtectedHeader({ alg: 'RS256', kid: rs256.kid }).sign(rs256.privateKey);
      await expect(jwtVerify(rsToken, createLocalJWKSet(jwks))).resolves.toBeDefined();
      const kidsPerAlg = await Promise.all(instances.map(async (k) => (await k.jwks()).keys.length));
      expect(new Set(kidsPerAlg)).toEqual(new Set([2]));
      await sibling.close();
    });

    it('the private key is stored sealed, never in the clear', async () => {
      const row = await database.db.selectFrom('settings').select('value').where('key', '=', 'signing_keys').executeTakeFirstOrThrow();
      const keys = await new SigningKeys(database, box, { now }).privateJwks();
      const d = String(keys.keys[0]?.d);
      expect(d.length).toBeGreaterThan(20);
      expect(row.value).not.toContain(d);
    });

    it('a rotated key is published at once but signs only after the publish delay', async () => {
      const keys = new SigningKeys(database, box, { now, publishDelayMs: HOUR, reloadMs: 0 });
      const before = (await keys.current()).kid;
      const rotated = await keys.rotate();
      expect(rotated.status).toBe('next');
      expect((await keys.jwks()).keys.map((k) => k.kid)).toContain(rotated.kid);
      expect((await keys.current()).kid).toBe(before);
      clock += HOUR + 1;
      expect((await keys.current()).kid).toBe(rotated.kid);
      const statuses = Object.fromEntries((await keys.list()).filter((k) => k.alg === 'ES256').map((k) => [k.kid, k.status]));
      expect(statuses).toEqual({ [before]: 'retiring', [rotated.kid]: 'current' });
      expect((await keys.list()).filter((k) => k.default).map((k) => k.kid)).toEqual([rotated.kid]);
      // Tokens signed by the old key still verify while it is retiring.
      const jwks = createLocalJWKSet(await keys.jwks());
      await expect(jwtVerify(await sign(keys), jwks)).resolves.toBeDefined();
    });

    it('a retired key leaves the JWKS after the retention period, at the next rotation', async () => {
      const keys = new SigningKeys(database, box, { now, publishDelayMs: HOUR, retentionMs: 24 * HOUR, reloadMs: 0 });
      const listed = (await keys.list()).filter((k) => k.alg === 'ES256');
      clock += 25 * HOUR;
      const rotated = await keys.rotate();
      const remaining = (await keys.list()).map((k) => k.kid);
      const retiring = listed.find((k) => k.status === 'retiring');
      expect(retiring).toBeDefined();
      expect(remaining).not.toContain(retiring?.kid);
      expect(remaining).toContain(rotated.kid);
    });

    it('an RS256 rotation with keepDefault rotates the RS256 key and leaves the default alone', async () => {
      const keys = new SigningKeys(database, box, { now, publishDelayMs: 0, reloadMs: 0 });
      const defaultBefore = await keys.current();
      const rsBefore = await keys.current('RS256');
      const rotated = await keys.rotate({ alg: 'RS256', keepDefault: true });
      clock += 1;
      expect((await keys.current()).kid).toBe(defaultBefore.kid);
      expect((await keys.current('RS256')).kid).toBe(rotated.kid);
      expect(rotated.kid).not.toBe(rsBefore.kid);
      const statuses = Object.fromEntries((await keys.list()).map((k) => [k.kid, k.status]));
      expect(statuses[rsBefore.kid]).toBe('retiring');
    });

    it('RS256 keys are available', async () => {
      const keys = new SigningKeys(database, box, { now, publishDelayMs: 0, reloadMs: 0 });
      const rotated = await keys.rotate({ alg: 'RS256' });
      clock += 1;
      const current = await keys.current();
      expect(current).toMatchObject({ kid: rotated.kid, alg: 'RS256' });
      await expect(jwtVerify(await sign(keys), createLocalJWKSet(await keys.jwks()))).resolves.toBeDefined();
    });

    it('opened with another master key, the signing key is refused loudly', async () => {
      const other = new SigningKeys(database, new SecretBox(Buffer.from(generateMasterKey(), 'base64')), { now });
      await expect(other.current()).rejects.toThrow(/sealed with master key/);
    });
  });
}

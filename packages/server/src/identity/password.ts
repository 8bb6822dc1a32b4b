/**
 * Passwords, hashed with scrypt from node:crypto (memory-hard, no native dependency). Node 24's
 * argon2 is still experimental, so it is not used for data that must stay verifiable across
 * upgrades. The stored string names its parameters, so they can be raised later and old hashes
 * still verify.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Tables } from '../storage/schema.ts';

const COST = 2 ** 15;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, cost: number, blockSize: number, parallelism: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFKC'),
      salt,
      KEY_LENGTH,
      { N: cost, r: blockSize, p: parallelism, maxmem: 256 * cost * blockSize },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

/** `scrypt$<N>$<r>$<p>$<salt>$<hash>` (base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST, BLOCK_SIZE, PARALLELISM);
  return ['scrypt', COST, BLOCK_SIZE, PARALLELISM, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPasswordHash(password: string, stored: string): Promise<boolean> {
  const [scheme, cost, blockSize, parallelism, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), Number(cost), Number(blockSize), Number(parallelism));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

export async function setPassword(db: Kysely<Tables>, userId: string, password: string, now = Date.now()): Promise<void> {
  const hash = await hashPassword(password);
  await db
    .insertInto('password_credentials')
    .values({ user_id: userId, hash, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ hash, updated_at: now }))
    .execute();
}

/** Whether the user has a password and `password` is it. A missing user costs the same time. */
export async function checkPassword(db: Kysely<Tables>, userId: string, password: string): Promise<boolean> {
  const row = await db.selectFrom('password_credentials').select('hash').where('user_id', '=', userId).executeTakeFirst();
  if (row === undefined) {
    await hashPassword(password);
    return false;
  }
  return verifyPasswordHash(password, row.hash);
}

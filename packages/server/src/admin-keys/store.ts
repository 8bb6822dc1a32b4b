/**
 * Admin API keys: `wu_` + 32 random bytes (base64url), shown once at creation. Only a SHA-256 of
 * the key is stored: the key has 256 bits of entropy, so a slow hash would add cost without
 * adding safety, and lookups stay a single indexed read.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '@weunion/errors';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { type Actor, recordAudit } from '../identity/audit.ts';
import { newId } from '../identity/ids.ts';
import type { Tables } from '../storage/schema.ts';

export const ADMIN_KEY_PREFIX = 'wu_';
const KEY_FORMAT = /^wu_[A-Za-z0-9_-]{43}$/;

export interface AdminKeyView {
  id: string;
  name: string;
  /** The key's first characters, to tell keys apart. */
  keyPrefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  /** `full`: every management route; `tokens:read`: only the token broker, for `connections`. */
  scope: AdminKeyScope;
  connections: string[] | null;
  /** Token-broker reads by this key, per connection. */
  tokenReads: { connectionId: string; count: number; lastReadAt: number }[];
}

export type AdminKeyScope = 'full' | 'tokens:read';

/** Who a valid key is and what it may do; `connections` is null for a full key. */
export interface AuthenticatedAdminKey {
  id: string;
  name: string;
  connections: string[] | null;
}

const connectionList = z.array(z.string());

function parseConnections(raw: string | null): string[] | null {
  if (raw === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = undefined;
  }
  const parsed = connectionList.safeParse(value);
  // A corrupt scope must not widen the key: it reads no connection at all.
  return parsed.success ? parsed.data : [];
}

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * `tokenReaderFor`: make a `tokens:read` key limited to these connection ids (which must exist);
 * omitted, a full key.
 */
export async function createAdminKey(
  db: Kysely<Tables>,
  name: string,
  actor: Actor,
  tokenReaderFor?: string[],
): Promise<{ key: string; adminKey: AdminKeyView }> {
  const connections = tokenReaderFor === undefined ? null : [...new Set(tokenReaderFor)].sort();
  if (connections !== null) {
    if (connections.length === 0) throw new AppError('bad_request', 'A token-reader key needs at least one connection');
    const known = await db.selectFrom('connections').select('id').where('id', 'in', connections).execute();
    const missing = connections.filter((c) => !known.some((k) => k.id === c));
    if (missing.length > 0) throw new AppError('bad_request', `No connection ${missing.join(', ')}`, { details: { missing } });
  }
  const key = `${ADMIN_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const now = Date.now();
  const adminKey: AdminKeyView = {
    id: newId('key'),
    name,
    keyPrefix: key.slice(0, 9),
    createdAt: now,
    lastUsedAt: null,
    revokedAt: null,
    scope: connections === null ? 'full' : 'tokens:read',
    connections,
    tokenReads: [],
  };
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('admin_keys')
      .values({
        id: adminKey.id,
        name,
        key_hash: hashKey(key),
        key_prefix: adminKey.keyPrefix,
        created_at: now,
        last_used_at: null,
        revoked_at: null,
        token_connections: connections === null ? null : JSON.stringify(connections),
      })
      .execute();
    await recordAudit(trx, { actor, action: 'admin_key.created', subjectId: adminKey.id, after: adminKey }, now);
  });
  return { key, adminKey };
}

export async function listAdminKeys(db: Kysely<Tables>): Promise<AdminKeyView[]> {
  const rows = await db.selectFrom('admin_keys').selectAll().orderBy('id').execute();
  // Admin keys are a handful: one read of every counter beats one query per key.
  const reads = await db.selectFrom('token_reads').selectAll().orderBy('connection_id').execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    keyPrefix: r.key_prefix,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
    scope: r.token_connections === null ? 'full' : 'tokens:read',
    connections: parseConnections(r.token_connections),
    tokenReads: reads
      .filter((read) => read.key_id === r.id)
      .map((read) => ({ connectionId: read.connection_id, count: Number(read.count), lastReadAt: Number(read.last_read_at) })),
  }));
}

export async function revokeAdminKey(db: Kysely<Tables>, id: string, actor: Actor): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const now = Date.now();
    const result = await trx
      .updateTable('admin_keys')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (result.numUpdatedRows !== 1n) {
      const exists = await trx.selectFrom('admin_keys').select('id').where('id', '=', id).executeTakeFirst();
      throw exists === undefined
        ? new AppError('not_found', `No admin key ${id}`)
        : new AppError('conflict', `Admin key ${id} is already revoked`);
    }
    await recordAudit(trx, { actor, action: 'admin_key.revoked', subjectId: id }, now);
  });
}

/** The live key matching `key`, or null (unknown, malformed or revoked). */
export async function authenticateAdminKey(db: Kysely<Tables>, key: string): Promise<AuthenticatedAdminKey | null> {
  if (!KEY_FORMAT.test(key)) return null;
  const row = await db
    .selectFrom('admin_keys')
    .select(['id', 'name', 'revoked_at', 'last_used_at', 'token_connections'])
    .where('key_hash', '=', hashKey(key))
    .executeTakeFirst();
  if (row === undefined || row.revoked_at !== null) return null;
  const now = Date.now();
  // Coarse last-use tracking: at most one write a minute per key, not one per request.
  if (row.last_used_at === null || now - row.last_used_at > 60_000) {
    await db.updateTable('admin_keys').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  return { id: row.id, name: row.name, connections: parseConnections(row.token_connections) };
}

/**
 * Connections in the database. Secrets are sealed with the master key, bound (as associated data)
 * to the connection's appid and field, so a sealed value copied into another row or column fails to
 * open. Every change is audited without the secrets.
 */
import { AppError } from '@weunion/errors';
import { applyPatch } from '@weunion/management-api';
import type { SharedState } from '@weunion/state';
import type { WechatAppType } from '@weunion/wechat';
import { WECHAT_APP_TYPES } from '@weunion/wechat';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import { parseInput } from '../http/problem.ts';
import { type Actor, recordAudit } from '../identity/audit.ts';
import { type IdentityPolicy, identityPolicySchema } from '../identity/policy.ts';
import { reconcileOpenPlatformBinding } from '../identity/reconcile.ts';
import type { SecretBox } from '../secrets/master-key.ts';
import { cached, catalogChanged } from '../storage/catalog-cache.ts';
import type { ConnectionsTable, Tables } from '../storage/schema.ts';
import {
  type ConnectionInput,
  type ConnectionPatch,
  type ConnectionSettings,
  connectionInputSchema,
  connectionSettingsSchema,
  SCENARIO_IDS,
  type ScenarioId,
} from './schema.ts';

export type ConnectionSource = 'api' | 'config' | 'sandbox';

/** What the API shows: everything but the secrets, and whether each secret is set. */
export interface ConnectionView {
  id: string;
  name: string;
  appType: WechatAppType;
  appid: string;
  openPlatformId: string | null;
  originalId: string | null;
  scenarios: ScenarioId[];
  policy: IdentityPolicy;
  settings: ConnectionSettings;
  source: ConnectionSource;
  secretSet: boolean;
  tokenSet: boolean;
  encodingAesKeySet: boolean;
  createdAt: number;
  updatedAt: number;
  /**
   * WeChat sent unionids through this app while the connection names no Open Platform account: it
   * was bound in WeChat only (null once the connection is bound, or while nothing was seen).
   */
  unboundUnionid: { firstSeenAt: number; detectedOpenPlatformId: string | null } | null;
}

/** What scenario code needs to talk to WeChat: the view plus the opened secrets. */
export interface Connection extends Omit<ConnectionView, 'secretSet' | 'tokenSet' | 'encodingAesKeySet'> {
  secret: string | null;
  token: string | null;
  encodingAesKey: string | null;
}

const SECRET_FIELDS = [
  ['secret', 'secret_sealed'],
  ['token', 'token_sealed'],
  ['encodingAesKey', 'encoding_aes_key_sealed'],
] as const;

const storedSchema = z.object({
  appType: z.enum(WECHAT_APP_TYPES),
  scenarios: z.array(z.enum(SCENARIO_IDS)),
  policy: identityPolicySchema,
  settings: connectionSettingsSchema,
  source: z.enum(['api', 'config', 'sandbox']),
});

function toView(row: Selectable<ConnectionsTable>): ConnectionView {
  const stored = storedSchema.parse({
    appType: row.app_type,
    scenarios: JSON.parse(row.scenarios),
    policy: JSON.parse(row.policy),
    settings: JSON.parse(row.settings),
    source: row.source,
  });
  return {
    id: row.id,
    name: row.name,
    appType: stored.appType,
    appid: row.appid,
    openPlatformId: row.open_platform_id,
    originalId: row.original_id,
    scenarios: stored.scenarios,
    policy: stored.policy,
    settings: stored.settings,
    source: stored.source,
    secretSet: row.secret_sealed !== null,
    tokenSet: row.token_sealed !== null,
    encodingAesKeySet: row.encoding_aes_key_sealed !== null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    unboundUnionid:
      row.open_platform_id === null && row.unionid_seen_at !== null
        ? { firstSeenAt: row.unionid_seen_at, detectedOpenPlatformId: row.detected_open_platform_id }
        : null,
  };
}

const aad = (appid: string, field: string) => `connection:${appid}:${field}`;

function openSecrets(secrets: SecretBox, row: Selectable<ConnectionsTable>): Connection {
  const { secretSet: _s, tokenSet: _t, encodingAesKeySet: _e, ...view } = toView(row);
  const open = (field: string, sealed: string | null) => (sealed === null ? null : secrets.open(sealed, aad(row.appid, field)));
  return {
    ...view,
    secret: open('secret', row.secret_sealed),
    token: open('token', row.token_sealed),
    encodingAesKey: open('encodingAesKey', row.encoding_aes_key_sealed),
  };
}

export async function listConnections(db: Kysely<Tables>): Promise<ConnectionView[]> {
  return (await db.selectFrom('connections').selectAll().orderBy('id').execute()).map(toView);
}

export async function getConnectionView(db: Kysely<Tables>, id: string): Promise<ConnectionView | null> {
  const row = await db.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? null : toView(row);
}

/**
 * The connection (with its secrets) for a WeChat appid: what a scenario looks up first. From the
 * service's catalog cache (storage/catalog-cache.ts) when there is one: logins read no row.
 */
export async function findConnectionByAppid(db: Kysely<Tables>, secrets: SecretBox, appid: string): Promise<Connection | null> {
  const load = async () => {
    const row = await db.selectFrom('connections').selectAll().where('appid', '=', appid).executeTakeFirst();
    return row === undefined ? null : openSecrets(secrets, row);
  };
  return cached(db, `connection:appid:${appid}`, load);
}

/** The connection (with its secrets) by its id (cached as `findConnectionByAppid`). */
export async function findConnection(db: Kysely<Tables>, secrets: SecretBox, id: string): Promise<Connection | null> {
  const load = async () => {
    const row = await db.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? null : openSecrets(secrets, row);
  };
  return cached(db, `connection:id:${id}`, load);
}

/**
 * Every connection serving a scenario (e.g. the website apps for s2), by id. Scenarios are a JSON
 * column, so this reads every connection: once per change of the catalog where a service caches it.
 */
export async function findConnectionsForScenario(db: Kysely<Tables>, secrets: SecretBox, scenario: ScenarioId): Promise<Connection[]> {
  const load = async () => {
    const rows = await db.selectFrom('connections').selectAll().orderBy('id').execute();
    return rows.map((row) => openSecrets(secrets, row)).filter((c) => c.scenarios.includes(scenario));
  };
  return (await cached(db, `connections:scenario:${scenario}`, load)) ?? [];
}

export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

/**
 * Makes the stored connection match `input` (created when missing). Secrets left out of `input` keep
 * their stored value. Returns `unchanged` without writing when nothing differs, so declarative
 * sources (config file, sandbox seed) can be applied on every start.
 */
export async function upsertConnection(
  db: Kysely<Tables>,
  secrets: SecretBox,
  input: ConnectionInput,
  options: {
    source: ConnectionSource;
    actor: Actor;
    now?: number;
    /** Where to announce the change when no service watches `db` (the CLI): see catalogChanged. */
    state?: SharedState;
  },
): Promise<{ outcome: UpsertOutcome; connection: ConnectionView }> {
  const now = options.now ?? Date.now();
  const result = await db.transaction().execute(async (trx): Promise<{ outcome: UpsertOutcome; connection: ConnectionView }> => {
    const existing = await trx.selectFrom('connections').selectAll().where('id', '=', input.id).executeTakeFirst();
    const clash = await trx
      .selectFrom('connections')
      .select('id')
      .where('appid', '=', input.appid)
      .where('id', '!=', input.id)
      .executeTakeFirst();
    if (clash !== undefined) throw new AppError('conflict', `appid ${input.appid} already belongs to connection ${clash.id}`);
    const current = existing === undefined ? null : openSecrets(secrets, existing);
    const plain = {
      name: input.name,
      app_type: input.appType,
      appid: input.appid,
      open_platform_id: input.openPlatformId,
      original_id: input.originalId ?? null,
      scenarios: JSON.stringify(input.scenarios),
      policy: JSON.stringify(input.policy),
      settings: JSON.stringify(input.settings),
      source: options.source,
    };
    const sealed: Partial<Record<(typeof SECRET_FIELDS)[number][1], string | null>> = {};
    let secretsChanged = false;
    for (const [field, column] of SECRET_FIELDS) {
      const given = input[field];
      const stored = current?.[field] ?? null;
      // A changed appid re-binds the associated data, so every secret is sealed again.
      if (given !== undefined && (given !== stored || current?.appid !== input.appid)) {
        sealed[column] = secrets.seal(given, aad(input.appid, field));
        secretsChanged = true;
      } else if (given === undefined && stored !== null && current?.appid !== input.appid) {
        sealed[column] = secrets.seal(stored, aad(input.appid, field));
      }
    }
    if (existing === undefined) {
      await trx
        .insertInto('connections')
        .values({
          id: input.id,
          ...plain,
          secret_sealed: sealed.secret_sealed ?? null,
          token_sealed: sealed.token_sealed ?? null,
          encoding_aes_key_sealed: sealed.encoding_aes_key_sealed ?? null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      if (input.openPlatformId !== null) {
        await reconcileOpenPlatformBinding(trx, { appid: input.appid, openPlatformId: input.openPlatformId, actor: options.actor, now });
      }
      const created = await trx.selectFrom('connections').selectAll().where('id', '=', input.id).executeTakeFirstOrThrow();
      await recordAudit(trx, { actor: options.actor, action: 'connection.created', subjectId: input.id, after: toView(created) }, now);
      return { outcome: 'created', connection: toView(created) };
    }
    const before = toView(existing);
    const stored = {
      name: existing.name,
      app_type: existing.app_type,
      appid: existing.appid,
      open_platform_id: existing.open_platform_id,
      original_id: existing.original_id,
      scenarios: existing.scenarios,
      policy: existing.policy,
      settings: existing.settings,
      source: existing.source,
    };
    const plainChanged = JSON.stringify(stored) !== JSON.stringify(plain);
    if (!plainChanged && !secretsChanged) return { outcome: 'unchanged', connection: before };
    await trx
      .updateTable('connections')
      .set({ ...plain, ...sealed, updated_at: now })
      .where('id', '=', input.id)
      .execute();
    // Bound to an Open Platform account now: everyone seen through the app meanwhile joins it.
    if (input.openPlatformId !== null && existing.open_platform_id !== input.openPlatformId) {
      await reconcileOpenPlatformBinding(trx, { appid: input.appid, openPlatformId: input.openPlatformId, actor: options.actor, now });
    }
    const after = toView(await trx.selectFrom('connections').selectAll().where('id', '=', input.id).executeTakeFirstOrThrow());
    await recordAudit(trx, { actor: options.actor, action: 'connection.updated', subjectId: input.id, before, after }, now);
    return { outcome: 'updated', connection: after };
  });
  if (result.outcome !== 'unchanged') await catalogChanged(db, options.state);
  return result;
}

/** Applies a partial change from the API to an existing connection. */
export async function updateConnection(
  db: Kysely<Tables>,
  secrets: SecretBox,
  id: string,
  patch: ConnectionPatch,
  actor: Actor,
): Promise<ConnectionView> {
  const current = await getConnectionView(db, id);
  if (current === null) throw new AppError('not_found', `No connection ${id}`);
  const merged = {
    id,
    name: patch.name ?? current.name,
    appType: patch.appType ?? current.appType,
    appid: patch.appid ?? current.appid,
    openPlatformId: patch.openPlatformId === undefined ? current.openPlatformId : patch.openPlatformId,
    scenarios: patch.scenarios ?? current.scenarios,
    policy: applyPatch(current.policy, patch.policy),
    settings: applyPatch(current.settings, patch.settings),
    ...(current.originalId === null && patch.originalId === undefined ? {} : { originalId: patch.originalId ?? current.originalId }),
    ...(patch.secret === undefined ? {} : { secret: patch.secret }),
    ...(patch.token === undefined ? {} : { token: patch.token }),
    ...(patch.encodingAesKey === undefined ? {} : { encodingAesKey: patch.encodingAesKey }),
  };
  // The merged whole must still be a valid connection (e.g. scenarios fit a changed app type).
  const input = parseInput(connectionInputSchema, merged);
  // A demo connection stays one (and SANDBOX=auto stays on) while it still names the sandbox's
  // app: a changed policy or setting does not make it a real WeChat app; a new appid or AppSecret does.
  const stillSandbox = current.source === 'sandbox' && input.appid === current.appid && patch.secret === undefined;
  const { connection } = await upsertConnection(db, secrets, input, { source: stillSandbox ? 'sandbox' : 'api', actor });
  return connection;
}

export async function deleteConnection(db: Kysely<Tables>, id: string, actor: Actor): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirst();
    if (existing === undefined) throw new AppError('not_found', `No connection ${id}`);
    await trx.deleteFrom('connections').where('id', '=', id).execute();
    await recordAudit(trx, { actor, action: 'connection.deleted', subjectId: id, before: toView(existing) });
  });
  await catalogChanged(db);
}

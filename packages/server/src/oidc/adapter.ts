/**
 * oidc-provider's storage, through weunion's storage interfaces so that every instance sees the
 * same provider state:
 * - grant-bound models (codes, tokens, grants) in the durable database, where a grant can be
 *   revoked as a whole and a consumed code is remembered (code replay then revokes the grant);
 * - browser-bound, short-lived models (sessions, interactions, replay detection, PAR) in shared
 *   state with their TTL;
 * - clients are read from the `applications` table (read-only here; managed by the CLI/API).
 */
import type { SharedState } from '@weunion/state';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { unacceptableText } from '../http/input-guard.ts';
import type { SecretBox } from '../secrets/master-key.ts';
import { precompiled } from '../storage/precompiled.ts';
import type { Tables } from '../storage/schema.ts';
import { type Application, applicationClientMetadata, findApplication } from './applications.ts';
import type { OidcDb, OidcModelsTable, OidcTables } from './tables.ts';

const SHARED_STATE_MODELS = new Set(['Session', 'Interaction', 'ReplayDetection', 'PushedAuthorizationRequest']);

export interface AdapterDeps {
  db: OidcDb;
  state: SharedState;
  secrets: SecretBox;
  now?: () => number;
  /** weunion's own "Try login" result page, a redirect URI of every web and SPA application. */
  tryLoginRedirectUri?: string;
}

function parsePayload(text: string): AdapterPayload | undefined {
  try {
    const value: unknown = JSON.parse(text);
    // The payload is what this adapter stored for oidc-provider; it only ever holds the provider's own objects.
    return typeof value === 'object' && value !== null ? (value as AdapterPayload) : undefined;
  } catch {
    return undefined;
  }
}

type ModelRow = Omit<OidcModelsTable, 'consumed_at'>;

// Every OIDC request runs these (storage/precompiled.ts: built once, run with new values).
const UPSERT_MODEL = precompiled<Tables & OidcTables, ModelRow, unknown>((db, row) =>
  db
    .insertInto('oidc_models')
    .values({
      model: row.model,
      id: row.id,
      payload: row.payload,
      grant_id: row.grant_id,
      uid: row.uid,
      user_code: row.user_code,
      account_id: row.account_id,
      client_id: row.client_id,
      expires_at: row.expires_at,
      consumed_at: null,
    })
    .onConflict((oc) =>
      oc.columns(['model', 'id']).doUpdateSet({
        payload: row.payload,
        grant_id: row.grant_id,
        uid: row.uid,
        user_code: row.user_code,
        account_id: row.account_id,
        client_id: row.client_id,
        expires_at: row.expires_at,
      }),
    ),
);

const findModelBy = (column: 'id' | 'uid' | 'user_code') =>
  precompiled<Tables & OidcTables, { model: string; value: string }, Pick<OidcModelsTable, 'payload' | 'expires_at' | 'consumed_at'>>(
    (db, p) =>
      db
        .selectFrom('oidc_models')
        .select(['payload', 'expires_at', 'consumed_at'])
        .where('model', '=', p.model)
        .where(column, '=', p.value),
  );
const FIND_MODEL = { id: findModelBy('id'), uid: findModelBy('uid'), user_code: findModelBy('user_code') };

const CONSUME_MODEL = precompiled<Tables & OidcTables, { consumedAt: number; model: string; id: string }, unknown>((db, p) =>
  db
    .updateTable('oidc_models')
    .set({ consumed_at: p.consumedAt })
    .where('model', '=', p.model)
    .where('id', '=', p.id)
    .where('consumed_at', 'is', null),
);

class DatabaseModelAdapter implements Adapter {
  readonly #model: string;
  readonly #deps: AdapterDeps;

  constructor(model: string, deps: AdapterDeps) {
    this.#model = model;
    this.#deps = deps;
  }

  #now(): number {
    return (this.#deps.now ?? Date.now)();
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const row = {
      model: this.#model,
      id,
      payload: JSON.stringify(payload),
      grant_id: typeof payload.grantId === 'string' ? payload.grantId : null,
      uid: typeof payload.uid === 'string' ? payload.uid : null,
      user_code: typeof payload.userCode === 'string' ? payload.userCode : null,
      // Whose and for which application: "the applications this person used" is an indexed lookup.
      account_id: typeof payload.accountId === 'string' ? payload.accountId : null,
      client_id: typeof payload.clientId === 'string' ? payload.clientId : null,
      expires_at: expiresIn === undefined ? null : this.#now() + expiresIn * 1000,
    };
    await UPSERT_MODEL.execute(this.#deps.db, row);
  }

  async #findWhere(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
    const [row] = (await FIND_MODEL[column].execute(this.#deps.db, { model: this.#model, value })).rows;
    if (row === undefined || (row.expires_at !== null && row.expires_at <= this.#now())) return undefined;
    const payload = parsePayload(row.payload);
    if (payload === undefined) return undefined;
    return row.consumed_at === null ? payload : { ...payload, consumed: Math.floor(row.consumed_at / 1000) };
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('id', id);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('uid', uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('user_code', userCode);
  }

  async consume(id: string): Promise<void> {
    await CONSUME_MODEL.execute(this.#deps.db, { consumedAt: this.#now(), model: this.#model, id });
  }

  async destroy(id: string): Promise<void> {
    await this.#deps.db.deleteFrom('oidc_models').where('model', '=', this.#model).where('id', '=', id).execute();
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    // Every model of the grant goes, not only this adapter's: a grant is revoked as a whole.
    await this.#deps.db.deleteFrom('oidc_models').where('grant_id', '=', grantId).execute();
  }
}

class SharedStateModelAdapter implements Adapter {
  readonly #model: string;
  readonly #state: SharedState;

  constructor(model: string, state: SharedState) {
    this.#model = model;
    this.#state = state;
  }

  #key(id: string): string {
    return `oidc:${this.#model}:${id}`;
  }

  #uidKey(uid: string): string {
    return `oidc:${this.#model}:uid:${uid}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    // Models without an expiry still must not live forever in shared state.
    const ttlMs = Math.max(1, expiresIn ?? 14 * 24 * 3600) * 1000;
    await this.#state.set(this.#key(id), JSON.stringify(payload), { ttlMs });
    if (typeof payload.uid === 'string') await this.#state.set(this.#uidKey(payload.uid), id, { ttlMs });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const raw = await this.#state.get(this.#key(id));
    return raw === null ? undefined : parsePayload(raw);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = await this.#state.get(this.#uidKey(uid));
    return id === null ? undefined : this.find(id);
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  async consume(id: string): Promise<void> {
    const raw = await this.#state.get(this.#key(id));
    const payload = raw === null ? undefined : parsePayload(raw);
    if (payload === undefined) return;
    const ttl = (await this.#state.ttl(this.#key(id))) ?? 1;
    await this.#state.set(this.#key(id), JSON.stringify({ ...payload, consumed: Math.floor(Date.now() / 1000) }), {
      ttlMs: Math.max(1, ttl),
    });
  }

  async destroy(id: string): Promise<void> {
    const payload = await this.find(id);
    await this.#state.delete(this.#key(id));
    if (typeof payload?.uid === 'string') await this.#state.delete(this.#uidKey(payload.uid));
  }

  async revokeByGrantId(): Promise<void> {
    // None of the shared-state models belongs to a grant.
  }
}

class ClientAdapter implements Adapter {
  readonly #deps: AdapterDeps;
  /** Per application object (the catalog cache's, frozen; a new one after any change): its metadata as JSON. */
  readonly #metadata = new WeakMap<Application, string>();

  constructor(deps: AdapterDeps) {
    this.#deps = deps;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const application = await findApplication(this.#deps.db, this.#deps.secrets, id);
    if (application === null) return undefined;
    // The provider gets metadata of its own (it may change what it is given): parsed from JSON made
    // once per application object, which costs a fraction of building and deep-copying it each time.
    let json = this.#metadata.get(application);
    if (json === undefined) {
      json = JSON.stringify(applicationClientMetadata(application, this.#deps.tryLoginRedirectUri));
      this.#metadata.set(application, json);
    }
    return JSON.parse(json) as AdapterPayload;
  }

  async upsert(): Promise<void> {
    throw new Error('applications are managed through weunion, not dynamic registration');
  }
  async findByUid(): Promise<undefined> {
    return undefined;
  }
  async findByUserCode(): Promise<undefined> {
    return undefined;
  }
  async consume(): Promise<void> {}
  async destroy(): Promise<void> {}
  async revokeByGrantId(): Promise<void> {}
}

export function createAdapterFactory(deps: AdapterDeps): (model: string) => Adapter {
  return (model) => {
    if (model === 'Client') return withStorableLookups(new ClientAdapter(deps));
    if (SHARED_STATE_MODELS.has(model)) return withStorableLookups(new SharedStateModelAdapter(model, deps.state));
    return withStorableLookups(new DatabaseModelAdapter(model, deps));
  };
}

/**
 * oidc-provider reads its own request bodies, past weunion's input guard, and looks up what they
 * name (`client_id`, a token). A value with NUL or an unpaired surrogate cannot be stored, so no
 * client or token has it: it is not found (an OAuth error) instead of reaching PostgreSQL (a 500).
 */
function withStorableLookups(adapter: Adapter): Adapter {
  const storable = (value: string) => unacceptableText(value) === null;
  return {
    upsert: (id, payload, expiresIn) => adapter.upsert(id, payload, expiresIn),
    find: async (id) => (storable(id) ? adapter.find(id) : undefined),
    findByUid: async (uid) => (storable(uid) ? adapter.findByUid(uid) : undefined),
    findByUserCode: async (userCode) => (storable(userCode) ? adapter.findByUserCode(userCode) : undefined),
    consume: (id) => adapter.consume(id),
    destroy: (id) => adapter.destroy(id),
    revokeByGrantId: (grantId) => adapter.revokeByGrantId(grantId),
  };
}

/** Drops expired grant-bound rows; any instance may run it, as often as it likes. */
export async function purgeExpiredModels(db: OidcDb, now = Date.now()): Promise<number> {
  const result = await db.deleteFrom('oidc_models').where('expires_at', '<', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

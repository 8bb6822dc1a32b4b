/**
 * Floor for the OIDC benchmarks: bare oidc-provider (the server's own dependency, so the same
 * version), an in-memory adapter (a Map), one confidential client, ES256 keys, PKCE, the
 * authorization code flow with an interaction that logs the person in at once (no page, no
 * WeChat), refresh tokens rotated on use. What weunion adds on top of this is what `npm run bench`
 * measures (bench/run.ts starts this as a child process and reads its CPU time).
 *
 * With `--durable <file>` the adapter is instead a minimal durable one: one SQLite table in WAL
 * mode (synchronous NORMAL, as weunion's), indexed by model and id, grant and uid, each write its
 * own statement. It answers how much of weunion's cost is keeping tokens durable at all
 * (`npm run bench -- --durable-floor`).
 *
 *   node bench/floor-oidc.ts --port 4100 --redirect http://127.0.0.1:9/callback [--durable floor-oidc.db]
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Adapter, type AdapterPayload, type Configuration } from 'oidc-provider';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    redirect: { type: 'string' },
    secret: { type: 'string', default: 'floor-secret' },
    durable: { type: 'string' },
  },
});
const port = Number(values.port);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'floor' };

/**
 * In memory, as oidc-provider's quick-start adapter, but a plain Map: that one is an LRU of 1,000
 * entries, which drops live grants during a run. Expired entries are left in place (a bench run is short).
 */
const store = new Map<string, AdapterPayload>();
class MapAdapter implements Adapter {
  readonly #model: string;
  constructor(model: string) {
    this.#model = model;
  }
  async upsert(id: string, payload: AdapterPayload) {
    store.set(`${this.#model}:${id}`, payload);
    if (typeof payload.uid === 'string') store.set(`${this.#model}:uid:${payload.uid}`, { id } as AdapterPayload);
    if (typeof payload.grantId === 'string') {
      const grant = store.get(`grant:${payload.grantId}`) ?? { keys: [] };
      (grant.keys as string[]).push(`${this.#model}:${id}`);
      store.set(`grant:${payload.grantId}`, grant);
    }
  }
  async find(id: string) {
    return store.get(`${this.#model}:${id}`);
  }
  async findByUid(uid: string) {
    const ref = store.get(`${this.#model}:uid:${uid}`);
    return ref === undefined ? undefined : store.get(`${this.#model}:${String(ref.id)}`);
  }
  async findByUserCode() {
    return undefined;
  }
  async consume(id: string) {
    const payload = store.get(`${this.#model}:${id}`);
    if (payload !== undefined) payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id: string) {
    store.delete(`${this.#model}:${id}`);
  }
  async revokeByGrantId(grantId: string) {
    for (const key of (store.get(`grant:${grantId}`)?.keys as string[] | undefined) ?? []) store.delete(key);
    store.delete(`grant:${grantId}`);
  }
}

/** The minimal durable adapter (`--durable`): better-sqlite3, prepared statements, one table. */
function sqliteAdapter(file: string): new (model: string) => Adapter {
  // better-sqlite3 is the server's dependency (the same build weunion uses).
  const require = createRequire(path.join(import.meta.dirname, '../packages/server/package.json'));
  const SQLite = require('better-sqlite3') as typeof import('better-sqlite3');
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`create table if not exists models (
    model text not null, id text not null, payload text not null, grant_id text, uid text,
    expires_at integer, consumed_at integer, primary key (model, id));
    create index if not exists models_grant on models (grant_id);
    create index if not exists models_uid on models (uid);`);
  const upsert = db.prepare(`insert into models (model, id, payload, grant_id, uid, expires_at) values (?, ?, ?, ?, ?, ?)
    on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid, expires_at = excluded.expires_at`);
  const byId = db.prepare<[string, string], { payload: string; expires_at: number | null; consumed_at: number | null }>(
    'select payload, expires_at, consumed_at from models where model = ? and id = ?',
  );
  const byUid = db.prepare<[string, string], { payload: string; expires_at: number | null; consumed_at: number | null }>(
    'select payload, expires_at, consumed_at from models where model = ? and uid = ?',
  );
  const consume = db.prepare('update models set consumed_at = ? where model = ? and id = ?');
  const destroy = db.prepare('delete from models where model = ? and id = ?');
  const revoke = db.prepare('delete from models where grant_id = ?');
  const read = (row: { payload: string; expires_at: number | null; consumed_at: number | null } | undefined) => {
    if (row === undefined || (row.expires_at !== null && row.expires_at <= Date.now())) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    return row.consumed_at === null ? payload : { ...payload, consumed: row.consumed_at };
  };
  return class SqliteAdapter implements Adapter {
    readonly #model: string;
    constructor(model: string) {
      this.#model = model;
    }
    async upsert(id: string, payload: AdapterPayload, expiresIn?: number) {
      const grantId = typeof payload.grantId === 'string' ? payload.grantId : null;
      const uid = typeof payload.uid === 'string' ? payload.uid : null;
      upsert.run(this.#model, id, JSON.stringify(payload), grantId, uid, expiresIn === undefined ? null : Date.now() + expiresIn * 1000);
    }
    async find(id: string) {
      return read(byId.get(this.#model, id));
    }
    async findByUid(uid: string) {
      return read(byUid.get(this.#model, uid));
    }
    async findByUserCode() {
      return undefined;
    }
    async consume(id: string) {
      consume.run(Math.floor(Date.now() / 1000), this.#model, id);
    }
    async destroy(id: string) {
      destroy.run(this.#model, id);
    }
    async revokeByGrantId(grantId: string) {
      revoke.run(grantId);
    }
  };
}

const configuration: Configuration = {
  adapter: values.durable === undefined ? MapAdapter : sqliteAdapter(values.durable),
  clients: [
    {
      client_id: 'floor',
      client_secret: values.secret,
      redirect_uris: [values.redirect ?? ''],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
    },
  ],
  jwks: { keys: [jwk] as NonNullable<Configuration['jwks']>['keys'] },
  cookies: { keys: ['floor-cookie-key'] },
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => true },
  responseTypes: ['code'],
  scopes: ['openid', 'offline_access', 'profile'],
  claims: { openid: ['sub'], profile: ['name', 'picture'] },
  rotateRefreshToken: true,
  issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, name: `Person ${id}` };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(ctx.oidc.client?.clientId ?? '');
    if (grantId !== undefined) return ctx.oidc.provider.Grant.find(grantId);
    // As weunion's first-party applications: the requested scopes need no consent page.
    const clientId = ctx.oidc.client?.clientId;
    const accountId = ctx.oidc.session?.accountId;
    if (clientId === undefined || accountId === undefined) return undefined;
    const grant = new ctx.oidc.provider.Grant({ clientId, accountId });
    grant.addOIDCScope(String(ctx.oidc.params?.scope ?? 'openid'));
    await grant.save();
    return grant;
  },
};
const provider = new Provider(issuer, configuration);
const callback = provider.callback();
let people = 0;

createServer(async (req, res) => {
  if (req.url?.startsWith('/interaction/') === true) {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        await provider.interactionFinished(req, res, { login: { accountId: `p${people++ % 500}` } }, { mergeWithLastSubmission: false });
        return;
      }
      // consent (offline_access asks for it): grant what was asked.
      const grant = new provider.Grant({ clientId: String(details.params.client_id), accountId: details.session?.accountId ?? '' });
      grant.addOIDCScope(String(details.params.scope));
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    } catch (error) {
      res.statusCode = 500;
      res.end(String(error));
    }
    return;
  }
  callback(req, res);
}).listen(port, '127.0.0.1');

// Exit cleanly on SIGTERM, so that a CPU profile (npm run bench -- --profile) is written.
process.once('SIGTERM', () => process.exit(0));

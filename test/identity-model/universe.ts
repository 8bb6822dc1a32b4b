/**
 * The world one random sequence of the identity model plays in: one WeChat sandbox and one weunion
 * instance (shared by every sequence of a test, for speed), and per sequence a fresh *universe* —
 * two Open Platform accounts and six apps with their connections, all under one identity policy —
 * so sequences never see each other's people, apps or accounts.
 *
 * Apps of a universe (connection ids carry the universe's number):
 * - `oa` official account (S1, S4), `web` website (S2), `mp` mini program (S3, S5, S7), `app` mobile
 *   app (S6, and the client of S7): all bound to Open Platform account A from the start;
 * - `late`: a mini program bound to nothing, which the sequence may bind to A later — in WeChat
 *   first, then (as a separate step, item 5 of issue #13) on its connection;
 * - `other`: a mini program bound to a second Open Platform account B.
 */
import { randomUUID } from 'node:crypto';
import { MemorySharedState } from '@weunion/state';
import { z } from 'zod';
import { createAdminKey } from '../../packages/server/src/admin-keys/store.ts';
import { upsertConnection } from '../../packages/server/src/connections/store.ts';
import { SYSTEM_ACTOR } from '../../packages/server/src/identity/audit.ts';
import { DEFAULT_POLICY, type IdentityPolicy } from '../../packages/server/src/identity/policy.ts';
import { LoginWorld, type StorageMode } from '../../packages/server/src/login/test-harness.ts';
import { databaseBackends } from '../../packages/server/src/storage/test-backends.ts';

export const APP_KEYS = ['oa', 'web', 'mp', 'app', 'late', 'other'] as const;
export type AppKey = (typeof APP_KEYS)[number];

/** SQLite, or PostgreSQL when DATABASE_URL names one; shared state in-process (one instance). */
export function modelStorageModes(): (StorageMode & { label: string })[] {
  const modes: (StorageMode & { label: string })[] = [];
  for (const backend of databaseBackends) {
    modes.push({
      label: backend.name,
      name: 'embedded',
      skip: backend.skip,
      async open() {
        const database = await backend.open();
        const state = new MemorySharedState();
        return { database, state, sibling: async () => ({ database: await database.openSibling(), state }) };
      },
    });
  }
  return modes;
}

export interface UniverseApp {
  key: AppKey;
  appid: string;
  connectionId: string;
  /** The Open Platform account the sandbox (WeChat) binds the app to. */
  wechatOpenPlatform: string | null;
  /** The Open Platform account the connection says the app is bound to. */
  connectionOpenPlatform: string | null;
}

export interface Universe {
  number: number;
  opA: string;
  opB: string;
  apps: Record<AppKey, UniverseApp>;
  policy: IdentityPolicy;
}

const appSchema = z.object({
  appid: z.string(),
  secret: z.string(),
  token: z.string().nullish(),
  encodingAesKey: z.string().nullish(),
  originalId: z.string().nullish(),
});

/** One sandbox + one weunion instance, an admin key for /api/v1, and a counter of universes. */
export class ModelWorld {
  readonly world: LoginWorld;
  readonly adminKey: string;
  #universes = 0;

  private constructor(world: LoginWorld, adminKey: string) {
    this.world = world;
    this.adminKey = adminKey;
  }

  static async start(mode: StorageMode): Promise<ModelWorld> {
    const world = await LoginWorld.start(mode, { TRUST_PROXY: '1' });
    const { key } = await createAdminKey(world.database.db, 'identity-model', SYSTEM_ACTOR);
    return new ModelWorld(world, key);
  }

  get url(): string {
    return this.world.first.url;
  }

  async close(): Promise<void> {
    await this.world.close();
  }

  /** A fresh universe under `policy` (every connection of it gets the same policy). */
  async universe(policy: Partial<IdentityPolicy>): Promise<Universe> {
    const number = ++this.#universes;
    const tag = randomUUID().slice(0, 8);
    const opA = z.string().parse((await this.world.sandbox('POST', '/open-platforms', { name: `A ${tag}`, id: `op_a_${tag}` })).id);
    const opB = z.string().parse((await this.world.sandbox('POST', '/open-platforms', { name: `B ${tag}`, id: `op_b_${tag}` })).id);
    const full: IdentityPolicy = { ...DEFAULT_POLICY, ...policy };
    const plan: {
      key: AppKey;
      type: 'official_account' | 'website' | 'mini_program' | 'mobile_app';
      op: string | null;
      scenarios: string[];
    }[] = [
      { key: 'oa', type: 'official_account', op: opA, scenarios: ['s1', 's4'] },
      { key: 'web', type: 'website', op: opA, scenarios: ['s2'] },
      { key: 'mp', type: 'mini_program', op: opA, scenarios: ['s3', 's5', 's7'] },
      { key: 'app', type: 'mobile_app', op: opA, scenarios: ['s6', 's7'] },
      { key: 'late', type: 'mini_program', op: null, scenarios: ['s5'] },
      { key: 'other', type: 'mini_program', op: opB, scenarios: ['s5'] },
    ];
    const apps = {} as Record<AppKey, UniverseApp>;
    for (const entry of plan) {
      const push = entry.type === 'official_account' || entry.type === 'mini_program';
      const created = appSchema.parse(
        await this.world.sandbox('POST', '/apps', {
          type: entry.type,
          name: `${entry.key} ${tag}`,
          openPlatformId: entry.op,
          // WeChat's authorised callback domain (授权回调域): where weunion listens in this test.
          ...(entry.type === 'website' || entry.type === 'official_account' ? { redirectDomains: [new URL(this.url).hostname] } : {}),
          ...(entry.type === 'mini_program' ? { pages: ['pages/index/index', 'pages/login/login', 'pages/login/confirm'] } : {}),
          // weunion's connection holds the EncodingAESKey below, so it takes encrypted pushes only.
          ...(push ? { safeMode: true } : {}),
        }),
      );
      if (entry.type === 'official_account') {
        await this.world.sandbox('PATCH', `/apps/${created.appid}`, { callbackUrl: `${this.url}/wechat/callback/${created.appid}` });
      }
      const connectionId = `m${number}-${entry.key}`;
      await upsertConnection(
        this.world.database.db,
        this.world.first.app.ctx.secrets,
        {
          id: connectionId,
          name: connectionId,
          appType: entry.type,
          appid: created.appid,
          secret: created.secret,
          ...(push && created.token && created.encodingAesKey ? { token: created.token, encodingAesKey: created.encodingAesKey } : {}),
          ...(entry.type === 'mini_program' && created.originalId ? { originalId: created.originalId } : {}),
          openPlatformId: entry.op,
          scenarios: entry.scenarios as never,
          policy: full,
          settings: { phoneNumber: 'optional', reusePhone: true, webAuthScope: 'auto', revealScanner: false },
        },
        { source: 'api', actor: SYSTEM_ACTOR },
      );
      apps[entry.key] = {
        key: entry.key,
        appid: created.appid,
        connectionId,
        wechatOpenPlatform: entry.op,
        connectionOpenPlatform: entry.op,
      };
    }
    return { number, opA, opB, apps, policy: full };
  }

  /** WeChat binds the late mini program to Open Platform account A (its connection does not know yet). */
  async bindLateInWechat(universe: Universe): Promise<void> {
    await this.world.sandbox('POST', `/apps/${universe.apps.late.appid}/bind`, { openPlatformId: universe.opA });
    universe.apps.late.wechatOpenPlatform = universe.opA;
  }

  /** The admin records the binding on the connection, through the management API. */
  async bindLateConnection(universe: Universe): Promise<void> {
    const answer = await this.admin('PATCH', `/connections/${universe.apps.late.connectionId}`, { openPlatformId: universe.opA });
    if (answer.status >= 300) throw new Error(`binding the late connection answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    universe.apps.late.connectionOpenPlatform = universe.opA;
  }

  /** A management API call (`/api/v1`); the status and JSON body, problems included. */
  async admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${this.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${this.adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? {} : z.record(z.string(), z.unknown()).parse(JSON.parse(text)) };
  }
}

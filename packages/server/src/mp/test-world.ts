/**
 * Test harness for the app logins (not a test file itself): a started WeChat sandbox, a weunion
 * instance talking to it over real HTTP with the demo connections seeded, in either storage mode —
 * embedded (SQLite + in-process state) or scale-out (PostgreSQL + Redis, skipped unless
 * DATABASE_URL and REDIS_URL are set).
 */
import { randomUUID } from 'node:crypto';
import { type RunningSandbox, startSandbox } from '@weunion/sandbox';
import { MemorySharedState, openSharedState, type SharedState } from '@weunion/state';
import { createWechatClient, sandboxEndpoints } from '@weunion/wechat';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { z } from 'zod';
import { loadConfig } from '../config/index.ts';
import { seedSandboxConnections } from '../connections/declared.ts';
import { buildApp } from '../http/app.ts';
import { createMessageSenders } from '../messaging/code-sender.ts';
import { generateMasterKey, SecretBox } from '../secrets/master-key.ts';
import type { Database } from '../storage/index.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';

const postgres = databaseBackends.find((b) => b.name === 'postgres');
const sqlite = databaseBackends.find((b) => b.name === 'sqlite');
const redisUrl = process.env.REDIS_URL;

export interface StorageMode {
  name: 'embedded' | 'scale-out';
  skip: boolean;
  open(): Promise<{ database: TestDatabase; state: SharedState; openSiblingState(): Promise<SharedState> }>;
}

export const storageModes: StorageMode[] = [
  {
    name: 'embedded',
    skip: sqlite === undefined,
    async open() {
      if (sqlite === undefined) throw new Error('no sqlite backend');
      const state = new MemorySharedState();
      // Embedded mode is one process: a second instance shares the in-process state.
      return { database: await sqlite.open(), state, openSiblingState: async () => state };
    },
  },
  {
    name: 'scale-out',
    skip: postgres === undefined || postgres.skip || redisUrl === undefined,
    async open() {
      if (postgres === undefined) throw new Error('no postgres backend');
      const prefix = `test:${randomUUID()}:`;
      const state = await openSharedState({ redisUrl, prefix });
      return { database: await postgres.open(), state, openSiblingState: () => openSharedState({ redisUrl, prefix }) };
    },
  },
];

export const json = z.record(z.string(), z.unknown());
export type Json = z.output<typeof json>;

export interface Answer {
  status: number;
  body: Json;
}

export class TestWorld {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly sandboxUrl: string;
  readonly database: TestDatabase;
  readonly state: SharedState;
  readonly #sandbox: RunningSandbox;
  readonly #secrets: SecretBox;
  readonly #env: Record<string, string>;
  readonly #openSiblingState: () => Promise<SharedState>;
  readonly #siblings: (() => Promise<void>)[] = [];

  private constructor(
    app: FastifyInstance,
    url: string,
    sandbox: RunningSandbox,
    storage: { database: TestDatabase; state: SharedState; openSiblingState(): Promise<SharedState> },
    secrets: SecretBox,
    env: Record<string, string>,
  ) {
    this.app = app;
    this.url = url;
    this.sandboxUrl = sandbox.url;
    this.#sandbox = sandbox;
    this.database = storage.database;
    this.state = storage.state;
    this.#openSiblingState = storage.openSiblingState;
    this.#secrets = secrets;
    this.#env = env;
  }

  static async start(mode: StorageMode, env: Record<string, string> = {}): Promise<TestWorld> {
    const sandbox = await startSandbox({ port: 0 });
    const storage = await mode.open();
    const secrets = new SecretBox(Buffer.from(generateMasterKey(), 'base64'));
    await seedSandboxConnections(storage.database.db, secrets);
    const { app, url } = await startInstance(sandbox.url, storage.database, storage.state, secrets, env);
    return new TestWorld(app, url, sandbox, storage, secrets, env);
  }

  /** A second weunion instance over the same database and shared state (another node of the cluster). */
  async sibling(): Promise<{ url: string }> {
    const database = await this.database.openSibling();
    const state = await this.#openSiblingState();
    const { app, url } = await startInstance(this.sandboxUrl, database, state, this.#secrets, this.#env);
    this.#siblings.push(async () => {
      await app.close();
      if (state !== this.state) await state.close();
      await database.close();
    });
    return { url };
  }

  async close(): Promise<void> {
    for (const close of this.#siblings) await close();
    await this.app.close();
    await this.#sandbox.close();
    await this.state.close();
    await this.database.dispose();
  }

  /** A sandbox control-API call that must succeed. */
  async sandbox(method: string, path: string, body?: unknown): Promise<Json> {
    const response = await fetch(`${this.sandboxUrl}/_sandbox${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`sandbox ${method} ${path} answered ${response.status}: ${text}`);
    return text === '' ? {} : json.parse(JSON.parse(text));
  }

  /** A new sandbox person (with a phone unless `phone: null`). */
  async person(options: { phone?: string | null } = {}): Promise<string> {
    const phone = options.phone === undefined ? `+86139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}` : options.phone;
    const person = await this.sandbox('POST', '/people', { nickname: 'Tester', ...(phone === null ? {} : { phone }) });
    return z.string().parse(person.id);
  }

  /** `wx.login()` in the mini program, as `personId`. */
  async jsLogin(personId: string, appid: string): Promise<string> {
    return z.string().parse((await this.sandbox('POST', '/actions/js-login', { personId, appid })).code);
  }

  async phoneCode(personId: string, appid: string): Promise<string> {
    return z.string().parse((await this.sandbox('POST', '/actions/phone-code', { personId, appid })).code);
  }

  async billablePhoneCalls(appid: string): Promise<number> {
    const stats = z.object({ billable: z.record(z.string(), z.record(z.string(), z.number())) }).parse(await this.sandbox('GET', '/stats'));
    return stats.billable['wxa/business/getuserphonenumber']?.[appid] ?? 0;
  }

  /** A weunion API call; the JSON answer (problem documents included). */
  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? {} : json.parse(JSON.parse(text)) };
  }

  /** A weunion API call that must answer 2xx. */
  async ok(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Json> {
    const answer = await this.call(method, path, body, headers);
    if (answer.status >= 300) throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  async userCount(): Promise<number> {
    const row = await this.database.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

async function startInstance(
  sandboxUrl: string,
  database: Database,
  state: SharedState,
  secrets: SecretBox,
  env: Record<string, string>,
): Promise<{ app: FastifyInstance; url: string }> {
  const wechat = createWechatClient({ state, endpoints: sandboxEndpoints(sandboxUrl), retry: { attempts: 1 } });
  const config = loadConfig({ PUBLIC_URL: 'https://id.example.test', ...env });
  // Sandbox mode, as it is: codes go to this sandbox's SMS emulator and outbox, and are revealed in
  // the log (tests read them there).
  let built: FastifyInstance | undefined;
  const messages = createMessageSenders(config, {
    secrets: () => secrets,
    log: { info: (details, message) => built?.log.info(details, message) },
    sandbox: true,
    sandboxUrl,
  });
  const app = await buildApp({ config, database, state, secrets, wechat, sandbox: true }, { logger: pino({ level: 'silent' }), messages });
  built = app;
  return { app, url: await app.listen({ port: 0, host: '127.0.0.1' }) };
}

export const DEMO_MINI_PROGRAM = { id: 'demo-mini-program', appid: 'wxd00000000000b002', originalId: 'gh_d0000000b002' } as const;
export const DEMO_MOBILE_APP = { id: 'demo-mobile-app', appid: 'wxd00000000000d004' } as const;

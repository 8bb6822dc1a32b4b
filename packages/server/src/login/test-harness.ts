/**
 * Test harness for the browser logins (not a test file itself): a WeChat sandbox that pushes the
 * demo official account's events to the weunion instance, weunion instances talking to it over
 * real HTTP with the demo connections seeded, and a cookie-keeping "browser". Storage modes:
 * embedded (SQLite + in-process state) or scale-out (PostgreSQL + Redis, shared by every instance
 * of one world; skipped unless DATABASE_URL and REDIS_URL are set).
 */
import { randomUUID } from 'node:crypto';
import { DEMO_APPS, type RunningSandbox, startSandbox } from '@weunion/sandbox';
import { MemorySharedState, openSharedState, type SharedState } from '@weunion/state';
import { createWechatClient, sandboxEndpoints } from '@weunion/wechat';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { z } from 'zod';
import { loadConfig } from '../config/index.ts';
import { seedSandboxConnections } from '../connections/declared.ts';
import type { ConnectionPatch } from '../connections/schema.ts';
import { updateConnection } from '../connections/store.ts';
import { buildApp } from '../http/app.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { createUser } from '../identity/users.ts';
import { createMessageSenders } from '../messaging/code-sender.ts';
import { generateMasterKey, SecretBox } from '../secrets/master-key.ts';
import type { Database } from '../storage/index.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';
import { freePort } from '../testing/free-port.ts';

const postgres = databaseBackends.find((b) => b.name === 'postgres');
const sqlite = databaseBackends.find((b) => b.name === 'sqlite');
const redisUrl = process.env.REDIS_URL;

export const demo = (key: 'officialAccount' | 'miniProgram' | 'website' | 'mobileApp') => {
  const app = DEMO_APPS.find((a) => a.key === key);
  if (app === undefined) throw new Error(`no demo app ${key}`);
  return app;
};

export interface StorageMode {
  name: 'embedded' | 'scale-out';
  skip: boolean;
  /** Opens storage for one world; `sibling()` opens another connection to it (another instance). */
  open(): Promise<{ database: TestDatabase; state: SharedState; sibling(): Promise<{ database: Database; state: SharedState }> }>;
}

export const storageModes: StorageMode[] = [
  {
    name: 'embedded',
    skip: sqlite === undefined,
    async open() {
      if (sqlite === undefined) throw new Error('no sqlite backend');
      const database = await sqlite.open();
      const state = new MemorySharedState();
      return { database, state, sibling: async () => ({ database: await database.openSibling(), state }) };
    },
  },
  {
    name: 'scale-out',
    skip: postgres === undefined || postgres.skip || redisUrl === undefined,
    async open() {
      if (postgres === undefined) throw new Error('no postgres backend');
      const prefix = `test:${randomUUID()}:`;
      const state = await openSharedState({ redisUrl, prefix });
      const database = await postgres.open();
      return {
        database,
        state,
        sibling: async () => ({ database: await database.openSibling(), state: await openSharedState({ redisUrl, prefix }) }),
      };
    },
  },
];

export { freePort };

export const json = z.record(z.string(), z.unknown());
export type Json = z.output<typeof json>;

/** A browser: cookies per host, as browsers keep them (ports and paths ignored: sending a cookie too widely changes nothing here). */
export class Browser {
  readonly #jar = new Map<string, Map<string, string>>();

  cookie(origin: string, name: string): string | undefined {
    return this.#jar.get(new URL(origin).hostname)?.get(name);
  }

  setCookie(origin: string, name: string, value: string): void {
    const key = new URL(origin).hostname;
    const cookies = this.#jar.get(key) ?? new Map<string, string>();
    cookies.set(name, value);
    this.#jar.set(key, cookies);
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const origin = new URL(url).hostname;
    const cookies = [...(this.#jar.get(origin) ?? new Map<string, string>()).entries()].map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
    const headers = new Headers(init.headers);
    if (cookies.length > 0) headers.set('cookie', cookies.join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = decodeURIComponent(pair.slice(index + 1).trim());
      const expired = attributes.some((a) => a.trim().toLowerCase() === 'max-age=0');
      if (expired) this.#jar.get(origin)?.delete(name);
      else this.setCookie(url, name, value);
    }
    return response;
  }

  /** GET `url` and follow redirects; the last URL and response (a page or a 4xx/5xx). */
  async navigate(url: string): Promise<{ url: string; response: Response }> {
    let current = url;
    for (let hops = 0; hops < 10; hops++) {
      const response = await this.fetch(current);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || location === null) return { url: current, response };
      await response.body?.cancel();
      current = new URL(location, current).href;
    }
    throw new Error('too many redirects');
  }

  async json(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
    const response = await this.fetch(url, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? {} : json.parse(JSON.parse(text)) };
  }
}

export interface Instance {
  app: FastifyInstance;
  url: string;
}

/** One sandbox, one storage, any number of weunion instances on it. */
export class LoginWorld {
  readonly sandboxUrl: string;
  readonly database: TestDatabase;
  readonly state: SharedState;
  readonly instances: Instance[] = [];
  readonly #sandbox: RunningSandbox;
  readonly #sibling: () => Promise<{ database: Database; state: SharedState }>;
  readonly #secrets = new SecretBox(Buffer.from(generateMasterKey(), 'base64'));
  readonly #closers: (() => Promise<void>)[] = [];

  private constructor(sandbox: RunningSandbox, storage: Awaited<ReturnType<StorageMode['open']>>) {
    this.#sandbox = sandbox;
    this.sandboxUrl = sandbox.url;
    this.database = storage.database;
    this.state = storage.state;
    this.#sibling = storage.sibling;
  }

  /** The world and its first instance, which receives the official account's pushes. */
  static async start(mode: StorageMode, env: Record<string, string> = {}): Promise<LoginWorld> {
    const port = await freePort();
    const sandbox = await startSandbox({ port: 0, callbackBaseUrl: `http://127.0.0.1:${port}` });
    const world = new LoginWorld(sandbox, await mode.open());
    await seedSandboxConnections(world.database.db, world.#secrets);
    await world.addInstance(env, port, { database: world.database, state: world.state });
    return world;
  }

  get first(): Instance {
    const instance = this.instances[0];
    if (instance === undefined) throw new Error('no instance');
    return instance;
  }

  /** Another weunion instance on the same storage (its own database pool and state connection). */
  async addInstance(
    env: Record<string, string> = {},
    port?: number,
    storage?: { database: Database; state: SharedState },
  ): Promise<Instance> {
    const listenPort = port ?? (await freePort());
    const shared = storage ?? (await this.#sibling());
    if (storage === undefined) {
      this.#closers.push(async () => {
        if (shared.state !== this.state) await shared.state.close();
        if (shared.database !== this.database) await shared.database.close();
      });
    }
    const url = `http://127.0.0.1:${listenPort}`;
    const wechat = createWechatClient({ state: shared.state, endpoints: sandboxEndpoints(this.sandboxUrl), retry: { attempts: 1 } });
    const config = loadConfig({ PUBLIC_URL: url, ...env });
    // Codes go to this world's sandbox (its SMS emulator and outbox), and to the log as in sandbox mode.
    let built: FastifyInstance | undefined;
    const messages = createMessageSenders(config, {
      secrets: () => this.#secrets,
      log: { info: (details, message) => built?.log.info(details, message) },
      sandbox: true,
      sandboxUrl: this.sandboxUrl,
    });
    const app = await buildApp(
      {
        config,
        database: shared.database,
        state: shared.state,
        secrets: this.#secrets,
        wechat,
        sandbox: true,
      },
      // Silent unless a failing test needs the service's own account of it: WEUNION_TEST_LOG_LEVEL=debug.
      { logger: pino({ level: process.env.WEUNION_TEST_LOG_LEVEL ?? 'silent' }), messages },
    );
    built = app;
    await app.listen({ port: listenPort, host: '127.0.0.1' });
    const instance = { app, url };
    this.instances.push(instance);
    return instance;
  }

  /** Changes a connection (policy, settings…) as an admin would. */
  async configure(id: string, patch: ConnectionPatch): Promise<void> {
    await updateConnection(this.database.db, this.#secrets, id, patch, SYSTEM_ACTOR);
  }

  /** An account that exists before any WeChat login (verified phone, password). */
  async existingUser(phone: string, password: string): Promise<string> {
    return (await createUser(this.database.db, { phoneNumber: phone, phoneNumberVerified: true, password }, SYSTEM_ACTOR)).id;
  }

  /** Sends the official account's pushes to `instance` from now on. */
  async pushTo(instance: Instance, appid = demo('officialAccount').appid): Promise<void> {
    await this.sandbox('PATCH', `/apps/${appid}`, { callbackUrl: `${instance.url}/wechat/callback/${appid}` });
  }

  async close(): Promise<void> {
    for (const instance of [...this.instances].reverse()) await instance.app.close();
    for (const close of this.#closers) await close();
    await this.#sandbox.close();
    await this.state.close();
    await this.database.dispose();
  }

  /** A sandbox control-API call that must succeed; its JSON object. */
  async sandbox(method: string, path: string, body?: unknown): Promise<Json> {
    return json.parse(await this.sandboxAny(method, path, body));
  }

  /** A sandbox control-API call that must succeed; its JSON, whatever it is. */
  async sandboxAny(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.sandboxUrl}/_sandbox${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`sandbox ${method} ${path} answered ${response.status}: ${text}`);
    return text === '' ? {} : JSON.parse(text);
  }

  async person(nickname = 'Tester'): Promise<string> {
    const phone = `+86139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    return z.string().parse((await this.sandbox('POST', '/people', { nickname, phone })).id);
  }

  /** The person approves a WeChat authorize URL on the phone; the redirect WeChat sends the browser to. */
  async approve(personId: string, url: string, decision: 'allow' | 'deny' = 'allow'): Promise<string | null> {
    const answer = z
      .object({ redirect: z.string().nullable() })
      .parse(await this.sandbox('POST', '/actions/authorize', { personId, url, decision }));
    return answer.redirect;
  }

  async userCount(): Promise<number> {
    const row = await this.database.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async identityCount(): Promise<number> {
    const row = await this.database.db
      .selectFrom('wechat_identities')
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

/** Who `browser` is signed in as on `instance` (`null`: not signed in). */
export async function sessionOf(browser: Browser, instance: Instance): Promise<Json | null> {
  const answer = await browser.json('GET', `${instance.url}/api/session`);
  return answer.status === 200 ? answer.body : null;
}

const statusSchema = z.object({ state: z.string(), version: z.number() }).loose();

/** Reads SSE `status` events until the stream ends or `count` arrived. */
export async function readStatusEvents(response: Response, count: number): Promise<z.output<typeof statusSchema>[]> {
  const events: z.output<typeof statusSchema>[] = [];
  const reader = response.body?.getReader();
  if (reader === undefined) throw new Error('no body');
  const decoder = new TextDecoder();
  let buffer = '';
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let boundary = buffer.indexOf('\n\n');
    while (boundary >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const data = block.split('\n').find((line) => line.startsWith('data: '));
      if (data !== undefined) events.push(statusSchema.parse(JSON.parse(data.slice(6))));
      boundary = buffer.indexOf('\n\n');
    }
  }
  await reader.cancel().catch(() => {});
  return events;
}

/** S2 from start to the callback: the browser ends wherever weunion sends it. */
export async function loginWithS2(
  world: LoginWorld,
  instance: Instance,
  browser: Browser,
  personId: string,
  returnTo = '/app',
): Promise<string> {
  const start = await browser.fetch(`${instance.url}/login/s2?returnTo=${encodeURIComponent(returnTo)}`);
  const qrconnect = start.headers.get('location');
  if (qrconnect === null) throw new Error(`no redirect to qrconnect (${start.status})`);
  const redirect = await world.approve(personId, qrconnect);
  if (redirect === null) throw new Error('no redirect back');
  const back = await browser.fetch(redirect);
  return back.headers.get('location') ?? `(status ${back.status})`;
}

const ticketSchema = z.object({ ticketId: z.string(), secret: z.string(), qrImageUrl: z.string(), qrContent: z.string() });

/** S1: the browser asks for a ticket and the official account QR. */
export async function createS1Ticket(browser: Browser, instance: Instance, returnTo = '/s1-done') {
  const answer = await browser.json('POST', `${instance.url}/api/login/s1`, { returnTo });
  if (answer.status !== 200) throw new Error(`s1 ticket: ${answer.status} ${JSON.stringify(answer.body)}`);
  return ticketSchema.parse(answer.body);
}

/** Long-polls the ticket (as its holder) until it reaches `state`. */
export async function waitForState(browser: Browser, instance: Instance, id: string, state: string): Promise<void> {
  let since = 0;
  for (let round = 0; round < 20; round++) {
    const answer = await browser.json('GET', `${instance.url}/api/login/tickets/${id}?since=${since}&wait=5`);
    const status = z.object({ state: z.string(), version: z.number() }).parse(answer.body);
    if (status.state === state) return;
    since = status.version;
  }
  throw new Error(`ticket ${id} never became ${state}`);
}

/** The person scans a QR (by its content) with the virtual phone. */
export async function scan(world: LoginWorld, personId: string, content: string) {
  return z
    .object({ kind: z.string(), event: z.string().optional(), pushed: z.object({ delivered: z.boolean() }).nullable().optional() })
    .parse(await world.sandbox('POST', '/actions/scan', { personId, content }));
}

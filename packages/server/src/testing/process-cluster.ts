/**
 * Test helper (not a test file): weunion instances as child processes (`weunion serve`, the real
 * CLI), so a test can kill one with SIGKILL — no shutdown hook runs, its connections are cut
 * mid-stream — behind a round-robin TCP balancer on loopback, with a standalone WeChat sandbox.
 *
 * Storage modes:
 * - scale-out: one PostgreSQL schema and one Redis key prefix shared by every instance;
 * - embedded: one SQLite database and its state file in one data folder, one instance (its
 *   WORKERS group shares them); `restart()` brings it back on the same port, with the state file
 *   as it was, as a real restart would.
 *
 * The balancer is deliberately plain: it picks upstreams in turn, records every request line it
 * forwards (so a test can tell which instance holds a watcher's stream), and like nginx with
 * `max_fails=1` it takes an upstream out of the rotation once connecting to it fails — the request
 * that found it dead is cut, not retried, so clients see the failure. `markUp()` puts it back.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type RunningSandbox, startSandbox } from '@weunion/sandbox';
import { z } from 'zod';
import { seedSandboxConnections } from '../connections/declared.ts';
import { generateMasterKey, SecretBox } from '../secrets/master-key.ts';
import { type Database, migrateToLatest, openDatabase } from '../storage/index.ts';
import { databaseBackends } from '../storage/test-backends.ts';
import { freePort } from './free-port.ts';

const CLI = path.resolve(import.meta.dirname, '../cli.ts');
const postgres = databaseBackends.find((b) => b.name === 'postgres');
const redisUrl = process.env.REDIS_URL;

export type ClusterMode = 'scale-out' | 'embedded';

/** Whether `mode` can run here (scale-out needs DATABASE_URL and REDIS_URL). */
export function clusterModeAvailable(mode: ClusterMode): boolean {
  return mode === 'embedded' || (postgres !== undefined && !postgres.skip && redisUrl !== undefined);
}

export interface ForwardedRequest {
  upstream: number;
  method: string;
  path: string;
}

const REQUEST_LINE = /(?:^|\r\n)(GET|POST|PUT|PATCH|DELETE|OPTIONS|HEAD) (\S+) HTTP\/1\.[01]\r\n/g;

/** A round-robin TCP balancer on loopback (see the file comment). */
export class Balancer {
  readonly requests: ForwardedRequest[] = [];
  readonly #ports: number[];
  readonly #down = new Set<number>();
  readonly #sockets = new Set<Socket>();
  #next = 0;
  #server: Server | undefined;
  url = '';
  port = 0;

  constructor(ports: number[]) {
    this.#ports = ports;
  }

  async listen(port: number): Promise<void> {
    this.#server = createServer((client) => this.#forward(client));
    await new Promise<void>((resolve) => this.#server?.listen(port, '127.0.0.1', resolve));
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
  }

  markUp(upstream: number): void {
    this.#down.delete(upstream);
  }

  /** The upstream that last received a request whose path contains `fragment`. */
  lastUpstreamFor(fragment: string): number | undefined {
    return this.requests.findLast((r) => r.path.includes(fragment))?.upstream;
  }

  #pick(): number | undefined {
    for (let tried = 0; tried < this.#ports.length; tried++) {
      const candidate = this.#next % this.#ports.length;
      this.#next += 1;
      if (!this.#down.has(candidate)) return candidate;
    }
    return undefined;
  }

  #forward(client: Socket): void {
    this.#sockets.add(client);
    client.on('close', () => this.#sockets.delete(client));
    const upstream = this.#pick();
    const port = upstream === undefined ? undefined : this.#ports[upstream];
    if (upstream === undefined || port === undefined) {
      client.destroy();
      return;
    }
    const server = tcpConnect(port, '127.0.0.1');
    this.#sockets.add(server);
    server.on('close', () => this.#sockets.delete(server));
    let connected = false;
    server.on('connect', () => {
      connected = true;
    });
    server.on('error', () => {
      if (!connected) this.#down.add(upstream);
      client.destroy();
    });
    client.on('error', () => server.destroy());
    client.on('data', (chunk: Buffer) => {
      for (const match of chunk.toString('latin1').matchAll(REQUEST_LINE))
        this.requests.push({ upstream, method: match[1] ?? '', path: match[2] ?? '' });
    });
    client.pipe(server);
    server.pipe(client);
    server.on('close', () => client.destroy());
    client.on('close', () => server.destroy());
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.#server === undefined ? resolve() : this.#server.close(() => resolve())));
  }
}

export interface ProcessInstance {
  readonly index: number;
  readonly port: number;
  /** The instance itself, not through the balancer. */
  readonly url: string;
  readonly running: boolean;
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
  /** Start it again on the same port (and put it back into the balancer's rotation). */
  restart(): Promise<void>;
}

class ChildInstance implements ProcessInstance {
  readonly index: number;
  readonly port: number;
  readonly url: string;
  readonly #env: Record<string, string>;
  readonly #balancer: Balancer;
  #child: ChildProcess | undefined;
  #output = '';

  constructor(index: number, port: number, env: Record<string, string>, balancer: Balancer) {
    this.index = index;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.#env = env;
    this.#balancer = balancer;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [CLI, 'serve'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...this.#env, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#output = '';
    const keep = (chunk: Buffer) => {
      this.#output = `${this.#output}${chunk.toString()}`.slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`instance ${this.index} exited (${code ?? signal}): ${this.#output}`))),
    );
    exited.catch(() => {});
    // Ready when /readyz answers 200 (storage reachable, migrations done): within a minute on a busy machine.
    for (let attempt = 0; attempt < 600; attempt++) {
      const ready = await fetch(`${this.url}/readyz`).then(
        (response) => response.status === 200,
        () => false,
      );
      if (ready) {
        this.#balancer.markUp(this.index);
        return;
      }
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 100))]);
    }
    throw new Error(`instance ${this.index} did not become ready: ${this.#output}`);
  }

  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined || !this.running) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await gone;
  }

  restart(): Promise<void> {
    return this.start();
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined || !this.running) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}

/** A standalone sandbox, storage, a balancer and `count` weunion processes behind it. */
export class ProcessCluster {
  readonly mode: ClusterMode;
  readonly sandboxUrl: string;
  readonly balancer: Balancer;
  readonly instances: ProcessInstance[];
  readonly #children: ChildInstance[];
  readonly #sandbox: RunningSandbox;
  readonly #cleanup: () => Promise<void>;

  private constructor(
    mode: ClusterMode,
    sandbox: RunningSandbox,
    balancer: Balancer,
    children: ChildInstance[],
    cleanup: () => Promise<void>,
  ) {
    this.mode = mode;
    this.#sandbox = sandbox;
    this.sandboxUrl = sandbox.url;
    this.balancer = balancer;
    this.#children = children;
    this.instances = children;
    this.#cleanup = cleanup;
  }

  /** The URL every browser uses (weunion's PUBLIC_URL): the balancer. */
  get url(): string {
    return this.balancer.url;
  }

  static async start(mode: ClusterMode, count = mode === 'embedded' ? 1 : 2, env: Record<string, string> = {}): Promise<ProcessCluster> {
    if (mode === 'embedded' && count !== 1) throw new Error('embedded mode is one instance');
    const balancerPort = await freePort();
    const publicUrl = `http://127.0.0.1:${balancerPort}`;
    const sandbox = await startSandbox({ port: 0, callbackBaseUrl: publicUrl });
    const masterKey = generateMasterKey();
    const secrets = new SecretBox(Buffer.from(masterKey, 'base64'));
    const storage = await openStorage(mode);
    const seeding: Database = storage.database;
    await seedSandboxConnections(seeding.db, secrets);
    await storage.afterSeeding();
    const ports: number[] = [];
    for (let i = 0; i < count; i++) ports.push(await freePort());
    const balancer = new Balancer(ports);
    await balancer.listen(balancerPort);
    const childEnv: Record<string, string> = {
      HOST: '127.0.0.1',
      PUBLIC_URL: publicUrl,
      MASTER_KEY: masterKey,
      SANDBOX: 'off',
      WECHAT_API_URL: sandbox.url,
      WECHAT_OPEN_URL: sandbox.url,
      WECHAT_MP_URL: sandbox.url,
      LOG_LEVEL: process.env.WEUNION_TEST_LOG_LEVEL ?? 'warn',
      SHUTDOWN_TIMEOUT_MS: '2000',
      ...storage.env,
      ...env,
    };
    const children = ports.map((port, index) => new ChildInstance(index, port, childEnv, balancer));
    const cluster = new ProcessCluster(mode, sandbox, balancer, children, storage.dispose);
    try {
      await Promise.all(children.map((child) => child.start()));
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  instance(index: number): ProcessInstance {
    const instance = this.instances[index];
    if (instance === undefined) throw new Error(`no instance ${index}`);
    return instance;
  }

  /** Sends the demo official account's pushes straight to `instance` (not through the balancer). */
  async pushTo(instance: ProcessInstance, appid: string): Promise<void> {
    await this.sandbox('PATCH', `/apps/${appid}`, { callbackUrl: `${instance.url}/wechat/callback/${appid}` });
  }

  async sandbox(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const response = await fetch(`${this.sandboxUrl}/_sandbox${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`sandbox ${method} ${path} answered ${response.status}: ${text}`);
    return z.record(z.string(), z.unknown()).parse(text === '' ? {} : JSON.parse(text));
  }

  async person(nickname: string): Promise<string> {
    const phone = `+86136${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    return z.string().parse((await this.sandbox('POST', '/people', { nickname, phone })).id);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#children.map((child) => child.stop()));
    await this.balancer.close();
    await this.#sandbox.close();
    await this.#cleanup();
  }
}

async function openStorage(mode: ClusterMode): Promise<{
  database: Database;
  env: Record<string, string>;
  afterSeeding(): Promise<void>;
  dispose(): Promise<void>;
}> {
  if (mode === 'embedded') {
    const dir = mkdtempSync(path.join(tmpdir(), 'weunion-cluster-'));
    const file = path.join(dir, 'weunion.db');
    const database = await openDatabase(`sqlite:${file}`);
    await migrateToLatest(database);
    return {
      database,
      env: { DATABASE_URL: `sqlite:${file}`, DATA_DIR: dir },
      // The instance is the file's only user from here on, as in embedded mode.
      afterSeeding: () => database.close(),
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (postgres === undefined || postgres.skip || redisUrl === undefined) throw new Error('scale-out needs DATABASE_URL and REDIS_URL');
  const database = await postgres.open();
  const schema = database.schema ?? 'public';
  const url = new URL(process.env.DATABASE_URL ?? '');
  // Every pooled connection of the child works in this test's schema.
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    database,
    env: { DATABASE_URL: url.href, REDIS_URL: redisUrl, REDIS_PREFIX: `test:${randomUUID()}:` },
    afterSeeding: async () => {},
    dispose: () => database.dispose(),
  };
}

/** Waits until `check` holds, polling every 20 ms; only bounds the test, never asserts on time. */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, rounds = 1500): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`never: ${what}`);
}

/**
 * Kills (SIGKILL) the instance that holds the event stream of `ticketId` and sends the official
 * account's pushes to another one; both, for the test to go on with.
 */
export async function killTheWatchedInstance(cluster: ProcessCluster, ticketId: string, officialAccountAppid: string) {
  const watched = cluster.balancer.lastUpstreamFor(`/tickets/${ticketId}/events`);
  if (watched === undefined) throw new Error('no event stream seen');
  const victim = cluster.instance(watched);
  const survivor = cluster.instances.find((instance) => instance.index !== watched && instance.running);
  await victim.kill();
  if (survivor !== undefined) await cluster.pushTo(survivor, officialAccountAppid);
  return { victim, survivor };
}

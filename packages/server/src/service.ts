/**
 * Starting and stopping one weunion instance: open storage (migrating it), open shared state,
 * build the app, listen, and on SIGTERM/SIGINT drain in-flight requests within a bounded time.
 * With WORKERS > 1 (serve-group.ts) the primary prepares storage once (`prepareService`) and each
 * worker process then starts an instance with `prepared`, so no two processes race to migrate,
 * generate the master key or apply the config file's connections.
 */

import cluster from 'node:cluster';
import type { MessageBus, SharedState } from '@weunion/state';
import { createWechatClient } from '@weunion/wechat';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { countAdminAccounts } from './admin-accounts/store.ts';
import type { Config } from './config/index.ts';
import { recordServedPublicUrl } from './config/public-url.ts';
import { applyConnectionsAtStart } from './connections/declared.ts';
import { type BuildAppOptions, buildApp } from './http/app.ts';
import { loggerOptions } from './http/logger.ts';
import { mountSandbox } from './sandbox-mount.ts';
import { loadSecretBox } from './secrets/master-key.ts';
import { catalogChanged } from './storage/catalog-cache.ts';
import { type Database, migrateToLatest, openDatabase } from './storage/index.ts';
import { openServiceState } from './storage/shared-state.ts';
import { registerWebhookDeliverer } from './webhooks/plugin.ts';
import { decideWechatSetup, type WechatSetup } from './wechat-setup.ts';

export interface RunningService {
  app: FastifyInstance;
  database: Database;
  state: SharedState;
  /** The address the server listens on, e.g. http://127.0.0.1:3000. */
  address: string;
  /** Which WeChat the instance talks to (the sandbox or real WeChat), and why. */
  wechat: WechatSetup;
  close(): Promise<void>;
}

export interface StartOptions extends BuildAppOptions {
  /** Listen on this port instead of the configured one (0: any free port). */
  port?: number;
  /** Storage was prepared by `prepareService` (the primary of a worker group): skip migrating and applying. */
  prepared?: boolean;
  /** Where shared-state messages go in embedded mode (a worker group's cluster bus). */
  bus?: MessageBus;
}

type Logger = NonNullable<BuildAppOptions['logger']>;

/**
 * What only one process may do at start: migrate, make the master key, apply declared connections.
 * Changed connections are announced through `state` (opened for the purpose when not given), as
 * other instances already running cache them.
 */
async function prepareStorage(config: Config, database: Database, logger: Logger, state?: SharedState): Promise<WechatSetup> {
  const applied = await migrateToLatest(database);
  if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
  const secrets = loadSecretBox(config);
  const setup = await decideWechatSetup(config, database);
  const connections = await applyConnectionsAtStart(database.db, secrets, { ...config, sandbox: setup.sandbox ? 'on' : 'off' });
  if (connections.seeded.length > 0) logger.info({ connections: connections.seeded }, 'sandbox demo connections seeded');
  const changed = connections.declared.filter((c) => c.outcome !== 'unchanged');
  if (changed.length > 0) logger.info({ connections: changed }, 'connections from the config file applied');
  if (changed.length > 0 || connections.seeded.length > 0) {
    const publisher = state ?? (await openServiceState(config));
    try {
      await catalogChanged(database.db, publisher);
    } finally {
      if (state === undefined) await publisher.close();
    }
  }
  return setup;
}

/** Prepares storage once for a group of workers; says which WeChat they will talk to and whether an admin exists. */
export async function prepareService(config: Config, logger: Logger): Promise<{ wechat: WechatSetup; needsAdmin: boolean }> {
  const database = await openDatabase(config.databaseUrl);
  try {
    const wechat = await prepareStorage(config, database, logger);
    return { wechat, needsAdmin: (await countAdminAccounts(database.db)) === 0 };
  } finally {
    await database.close();
  }
}

/** Opens storage and state, builds the app and listens. Closes what it opened if any step fails. */
export async function startService(config: Config, options: StartOptions = {}): Promise<RunningService> {
  const logger = options.logger ?? pino(loggerOptions(config.logLevel));
  const database = await openDatabase(config.databaseUrl);
  let state: SharedState | undefined;
  let app: FastifyInstance | undefined;
  try {
    state = await openServiceState(config, options.bus);
    const setup =
      options.prepared === true ? await decideWechatSetup(config, database) : await prepareStorage(config, database, logger, state);
    const secrets = loadSecretBox(config);
    logger.info({ sandbox: setup.sandbox, reason: setup.reason }, setup.sandbox ? 'WeChat SANDBOX is ON' : 'talking to WeChat');
    const wechat = createWechatClient({ state, endpoints: setup.endpoints });
    const openedState = state;
    const closeStorage = async (app: FastifyInstance) => {
      app.addHook('onClose', async () => {
        await Promise.allSettled([database.close(), openedState.close()]);
      });
    };
    const sandbox = async (app: FastifyInstance) => mountSandbox(app, { publicUrl: config.publicUrl });
    // In a worker group, every response says which worker served it (for operators and tests;
    // set on the raw response so that hijacked ones such as SSE streams carry it too).
    const workerId = cluster.worker?.id;
    const workerHeader = async (app: FastifyInstance) => {
      app.addHook('onRequest', async (_request, reply) => {
        reply.raw.setHeader('x-weunion-worker', String(workerId));
      });
    };
    const plugins = [
      closeStorage,
      // Every instance sends identity events from the outbox (webhooks/deliverer.ts).
      registerWebhookDeliverer,
      ...(workerId === undefined ? [] : [workerHeader]),
      ...(setup.sandbox ? [sandbox] : []),
      ...(options.plugins ?? []),
    ];
    app = await buildApp({ config, database, state, secrets, wechat, sandbox: setup.sandbox }, { ...options, plugins, logger });
    const address = await app.listen({ port: options.port ?? config.port, host: config.host });
    // Only a start that serves is "the one serve last started with" (what CLI output names).
    await recordServedPublicUrl(database.db, config);
    const running = app;
    return { app: running, database, state, address, wechat: setup, close: () => running.close() };
  } catch (error) {
    await Promise.allSettled([app?.close(), database.close(), state?.close()]);
    throw error;
  }
}

/**
 * Stop accepting connections and let in-flight requests finish, then close pools. If that takes
 * longer than `timeoutMs`, exit anyway: an orchestrator's kill would come next.
 */
export function installGracefulShutdown(service: RunningService, timeoutMs: number, exit: (code: number) => void = process.exit): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    service.app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      service.app.log.error({ timeoutMs }, 'shutdown timed out; exiting with requests still in flight');
      exit(1);
    }, timeoutMs);
    timer.unref();
    service.close().then(
      () => {
        clearTimeout(timer);
        exit(0);
      },
      (error: unknown) => {
        service.app.log.error({ err: error }, 'error while shutting down');
        exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

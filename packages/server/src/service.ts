/**
 * Starting and stopping one weunion instance: open storage (migrating it), open shared state,
 * build the app, listen, and on SIGTERM/SIGINT drain in-flight requests within a bounded time.
 */

import { openSharedState, type SharedState } from '@weunion/state';
import { createWechatClient } from '@weunion/wechat';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { Config } from './config/index.ts';
import { applyConnectionsAtStart } from './connections/declared.ts';
import { type BuildAppOptions, buildApp } from './http/app.ts';
import { loggerOptions } from './http/logger.ts';
import { mountSandbox } from './sandbox-mount.ts';
import { loadSecretBox } from './secrets/master-key.ts';
import { type Database, migrateToLatest, openDatabase } from './storage/index.ts';
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
}

/** Opens storage and state, builds the app and listens. Closes what it opened if any step fails. */
export async function startService(config: Config, options: StartOptions = {}): Promise<RunningService> {
  const logger = options.logger ?? pino(loggerOptions(config.logLevel));
  const database = await openDatabase(config.databaseUrl);
  let state: SharedState | undefined;
  let app: FastifyInstance | undefined;
  try {
    const applied = await migrateToLatest(database);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    state = await openSharedState({ redisUrl: config.redisUrl, prefix: config.redisPrefix }).catch((error: unknown) => {
      throw Object.assign(new Error(`Redis at REDIS_URL is not reachable: ${(error as Error).message}`), { code: 'storage_unreachable' });
    });
    const secrets = loadSecretBox(config);
    const setup = await decideWechatSetup(config, database);
    logger.info({ sandbox: setup.sandbox, reason: setup.reason }, setup.sandbox ? 'WeChat SANDBOX is ON' : 'talking to WeChat');
    const connections = await applyConnectionsAtStart(database.db, secrets, { ...config, sandbox: setup.sandbox ? 'on' : 'off' });
    if (connections.seeded.length > 0) logger.info({ connections: connections.seeded }, 'sandbox demo connections seeded');
    const changed = connections.declared.filter((c) => c.outcome !== 'unchanged');
    if (changed.length > 0) logger.info({ connections: changed }, 'connections from the config file applied');
    const wechat = createWechatClient({ state, endpoints: setup.endpoints });
    const openedState = state;
    const closeStorage = async (app: FastifyInstance) => {
      app.addHook('onClose', async () => {
        await Promise.allSettled([database.close(), openedState.close()]);
      });
    };
    const sandbox = async (app: FastifyInstance) => mountSandbox(app, { publicUrl: config.publicUrl });
    const plugins = [closeStorage, ...(setup.sandbox ? [sandbox] : []), ...(options.plugins ?? [])];
    app = await buildApp({ config, database, state, secrets, wechat, sandbox: setup.sandbox }, { ...options, plugins, logger });
    const address = await app.listen({ port: options.port ?? config.port, host: config.host });
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

/**
 * Which shared state a deployment runs on. Embedded mode keeps it in a SQLite file beside the
 * main database (`weunion.db` → `weunion-state.db`): a file of its own, so its constant churn
 * (rate-limit windows, session touches) never waits for the main file's single write lock, and
 * deleting it signs everyone out without touching anything durable.
 */
import path from 'node:path';
import type { MessageBus, SharedState } from '@weunion/state';
import { openSharedState, sharedStateChoice } from '@weunion/state';
import type { Config } from '../config/index.ts';

/** The state file beside an embedded database, or undefined (PostgreSQL, or a SQLite database in memory). */
export function embeddedStateFile(databaseUrl: string): string | undefined {
  if (!/^(sqlite|file):/.test(databaseUrl)) return undefined;
  const file = databaseUrl.replace(/^(sqlite|file):(\/\/)?/, '');
  if (file === '' || file === ':memory:') return undefined;
  const parsed = path.parse(path.resolve(file));
  return path.join(parsed.dir, `${parsed.name}-state${parsed.ext === '' ? '.db' : parsed.ext}`);
}

type StateConfig = Pick<Config, 'redisUrl' | 'redisPrefix' | 'databaseUrl'>;

const stateOptions = (config: StateConfig) => ({
  redisUrl: config.redisUrl,
  prefix: config.redisPrefix,
  sqliteFile: embeddedStateFile(config.databaseUrl),
});

/** Redis when REDIS_URL is set; else the SQLite state file in embedded mode; else in-process. */
export function serviceStateKind(config: StateConfig): SharedState['kind'] {
  return sharedStateChoice(stateOptions(config));
}

export async function openServiceState(config: StateConfig, bus?: MessageBus): Promise<SharedState> {
  try {
    return await openSharedState({ ...stateOptions(config), ...(bus === undefined ? {} : { bus }) });
  } catch (error) {
    const reason = (error as Error).message;
    const message = config.redisUrl
      ? `Redis at REDIS_URL is not reachable: ${reason}`
      : `the shared-state file cannot be opened: ${reason}`;
    throw Object.assign(new Error(message), { code: 'storage_unreachable' });
  }
}

import type { MessageBus } from './bus.ts';
import { MemorySharedState } from './memory.ts';
import { RedisSharedState } from './redis.ts';
import { SqliteSharedState } from './sqlite.ts';
import type { SharedState } from './types.ts';

export interface SharedStateOptions {
  redisUrl?: string | undefined;
  prefix?: string;
  /** The SQLite file for durable embedded state; without it (and without Redis), state is in-process. */
  sqliteFile?: string | undefined;
  /** Embedded state only: where published messages go (default: within this process). */
  bus?: MessageBus;
}

export type SharedStateChoice = SharedState['kind'];

/** Which implementation `openSharedState` picks for these options: Redis, then SQLite, then in-process. */
export function sharedStateChoice(options: SharedStateOptions): SharedStateChoice {
  if (options.redisUrl !== undefined && options.redisUrl !== '') return 'redis';
  if (options.sqliteFile !== undefined && options.sqliteFile !== '') return 'sqlite';
  return 'memory';
}

/**
 * Redis when a URL is given (scale-out mode), otherwise the durable SQLite file (embedded mode),
 * otherwise in-process (tests, or a PostgreSQL deployment that has not set REDIS_URL).
 */
export async function openSharedState(options: SharedStateOptions): Promise<SharedState> {
  const choice = sharedStateChoice(options);
  if (choice === 'memory') return new MemorySharedState();
  if (choice === 'sqlite') {
    return new SqliteSharedState({ file: options.sqliteFile ?? '', ...(options.bus ? { bus: options.bus } : {}) });
  }
  const state = new RedisSharedState({ url: options.redisUrl ?? '', ...(options.prefix ? { prefix: options.prefix } : {}) });
  try {
    await state.connect();
    await state.ping();
  } catch (error) {
    await state.close();
    throw error;
  }
  return state;
}

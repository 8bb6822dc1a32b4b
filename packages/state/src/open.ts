import { MemorySharedState } from './memory.ts';
import { RedisSharedState } from './redis.ts';
import type { SharedState } from './types.ts';

/** Redis when a URL is given (scale-out mode), otherwise in-process (embedded mode). */
export async function openSharedState(options: { redisUrl?: string | undefined; prefix?: string }): Promise<SharedState> {
  if (options.redisUrl === undefined || options.redisUrl === '') return new MemorySharedState();
  const state = new RedisSharedState({ url: options.redisUrl, ...(options.prefix ? { prefix: options.prefix } : {}) });
  try {
    await state.connect();
    await state.ping();
  } catch (error) {
    await state.close();
    throw error;
  }
  return state;
}

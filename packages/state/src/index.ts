export { MemorySharedState } from './memory.ts';
export { openSharedState } from './open.ts';
export { RedisSharedState, type RedisSharedStateOptions } from './redis.ts';
export type { Lock, SharedState, Subscription } from './types.ts';

export { ClusterBus, LocalBus, type MessageBus, relayBusMessages } from './bus.ts';
export { MemorySharedState } from './memory.ts';
export { openSharedState, type SharedStateChoice, sharedStateChoice } from './open.ts';
export { RedisSharedState, type RedisSharedStateOptions } from './redis.ts';
export { SqliteSharedState, type SqliteSharedStateOptions } from './sqlite.ts';
export type { CounterStep, Lock, SharedState, Subscription } from './types.ts';

export { type Config, configDocs, loadConfig, redactConfig } from './config/index.ts';
export { buildApp } from './http/app.ts';
export type { AppContext } from './http/context.ts';
export { installGracefulShutdown, type RunningService, startService } from './service.ts';
export { type Database, isUniqueViolation, migrateToLatest, openDatabase } from './storage/index.ts';

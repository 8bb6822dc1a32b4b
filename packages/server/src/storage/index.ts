export { type Database, type Dialect, isUniqueViolation, openDatabase } from './database.ts';
export { migrateDown, migrateToLatest, migrationStatus } from './migrate.ts';
export type { Tables } from './schema.ts';

import { AppError } from '@weunion/errors';
import { type MigrationResultSet, Migrator } from 'kysely';
import type { Database } from './database.ts';
import { migrations } from './migrations/index.ts';

function migrator(database: Database): Migrator {
  return new Migrator({
    db: database.db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'weunion_migrations',
    migrationLockTableName: 'weunion_migrations_lock',
    // Kysely looks for its tables across all schemas unless told which: with another weunion (or
    // a test) in a sibling schema it would find theirs and skip creating its own.
    ...(database.schema === undefined ? {} : { migrationTableSchema: database.schema }),
  });
}

function settle(result: MigrationResultSet): string[] {
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new AppError('storage_unreachable', `migration ${failed} failed: ${(result.error as Error).message}`, { cause: result.error });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Applies every pending migration (safe to run from several instances at once); returns their names. */
export async function migrateToLatest(database: Database): Promise<string[]> {
  return settle(await migrator(database).migrateToLatest());
}

/** Undoes the most recent migration; returns its name. */
export async function migrateDown(database: Database): Promise<string[]> {
  return settle(await migrator(database).migrateDown());
}

export async function migrationStatus(database: Database): Promise<{ name: string; appliedAt: Date | undefined }[]> {
  const list = await migrator(database).getMigrations();
  return list.map((m) => ({ name: m.name, appliedAt: m.executedAt }));
}

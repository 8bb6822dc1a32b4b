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

/**
 * Runs a migrator step, trying again when it failed before any migration ran. Kysely first looks
 * for its own tables by listing every table of every schema, and on PostgreSQL that listing can
 * fail when another schema of the same database changes at that moment (another deployment, or a
 * parallel test, migrating). Nothing was applied then, so trying again is safe.
 */
async function runStep(step: () => Promise<MigrationResultSet>): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    const result = await step();
    const failedBeforeAnyMigration = result.error !== undefined && (result.results ?? []).length === 0;
    if (!failedBeforeAnyMigration || attempt === 3) return settle(result);
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
  }
}

/** Applies every pending migration (safe to run from several instances at once); returns their names. */
export async function migrateToLatest(database: Database): Promise<string[]> {
  return runStep(() => migrator(database).migrateToLatest());
}

/** Undoes the most recent migration; returns its name. */
export async function migrateDown(database: Database): Promise<string[]> {
  return runStep(() => migrator(database).migrateDown());
}

export async function migrationStatus(database: Database): Promise<{ name: string; appliedAt: Date | undefined }[]> {
  // Kysely's PostgreSQL introspection reads the tables of every schema: another schema dropped in
  // the same moment (another deployment or test sharing the database) fails that read once. Tried
  // again, as migrateToLatest does (runStep).
  for (let attempt = 1; ; attempt++) {
    try {
      const list = await migrator(database).getMigrations();
      return list.map((m) => ({ name: m.name, appliedAt: m.executedAt }));
    } catch (error) {
      if (attempt === 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

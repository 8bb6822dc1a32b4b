/**
 * Where the database benchmarks run: a throw-away SQLite file, then PostgreSQL in a throw-away
 * schema when DATABASE_URL points at one. Each is removed afterwards, whatever happened.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import type { Database } from '../packages/server/src/storage/database.ts';
import { openDatabase } from '../packages/server/src/storage/index.ts';

export async function onBenchDatabases(run: (name: string, database: Database) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'weunion-bench-'));
  try {
    const sqlite = await openDatabase(`sqlite:${path.join(dir, 'bench.db')}`);
    try {
      await run('sqlite', sqlite);
    } finally {
      await sqlite.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const postgresUrl = process.env.DATABASE_URL;
  if (!postgresUrl?.startsWith('postgres')) {
    console.log('postgres: skipped (set DATABASE_URL=postgres://… to include it)');
    return;
  }
  const schema = `bench_${Date.now().toString(36)}`;
  const postgres = await openDatabase(postgresUrl, { schema });
  try {
    await run('postgres', postgres);
  } finally {
    await sql.raw(`drop schema if exists ${schema} cascade`).execute(postgres.db);
    await postgres.close();
  }
}

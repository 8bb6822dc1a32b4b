/**
 * Benchmark: the console's people search box (`GET /api/v1/users?q=`) as the user pool grows. An
 * exact id, phone, email, openid or unionid is a handful of indexed reads and should stay flat; a
 * part of a name has to scan names, so a name that matches few people costs time in the pool's size
 * (one that matches many stops at the first page).
 *
 * Runs on SQLite (a temporary file) and, when DATABASE_URL points at PostgreSQL, on PostgreSQL too
 * (in a throw-away schema). Run by hand, not in CI:
 *
 *   node bench/people-search.ts [--sizes 10000,1000000] [--samples 200]
 */
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { searchUsers } from '../packages/server/src/identity/users.ts';
import type { Database } from '../packages/server/src/storage/database.ts';
import { migrateToLatest } from '../packages/server/src/storage/index.ts';
import { onBenchDatabases } from './bench-databases.ts';
import { benchPerson, seedUsers } from './seed-users.ts';

const { values } = parseArgs({
  options: { sizes: { type: 'string', default: '10000,1000000' }, samples: { type: 'string', default: '200' } },
});
const sizes = values.sizes.split(',').map(Number);
const samples = Number(values.samples);

const SEARCHES: { label: string; q: (size: number) => string }[] = [
  { label: 'openid (exact)', q: (size) => benchPerson(randomInt(size)).openid },
  { label: 'unionid (exact)', q: (size) => benchPerson(randomInt(size)).unionid },
  { label: 'user id (exact)', q: (size) => benchPerson(randomInt(size)).userId },
  { label: 'name, many match', q: () => 'benc' },
  { label: 'name, none match', q: () => `nobody-${randomInt(1e9)}` },
];

async function median(database: Database, size: number, q: (size: number) => string, count: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await searchUsers(database.db, { q: q(size), limit: 50 });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

async function run(name: string, database: Database): Promise<void> {
  await migrateToLatest(database);
  for (const size of sizes) {
    await seedUsers(database, size, (done) => process.stdout.write(`\r  ${name}: seeding ${done.toLocaleString('en')}   `));
    process.stdout.write('\r');
    if (database.dialect === 'postgres') await sql`analyze`.execute(database.db);
    for (const search of SEARCHES) {
      // A scan of the whole pool is slow by nature: fewer samples keep the run short.
      const count = search.label.includes('none') ? Math.max(5, Math.floor(samples / 20)) : samples;
      const ms = await median(database, size, search.q, count);
      console.log(
        `${name.padEnd(8)} ${size.toLocaleString('en').padStart(9)} users  ${search.label.padEnd(18)} median ${ms.toFixed(2)} ms`,
      );
    }
  }
}

console.log('People search (q), one request at a time, median per kind of search.');
await onBenchDatabases(run);

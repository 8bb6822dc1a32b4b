/**
 * Benchmark: resolving and applying the sign-in of an existing person (the common case: a known
 * (appid, openid)), as the user pool grows from 10,000 to 1,000,000. Every look-up is one indexed
 * read, so the per-sign-in time should stay flat apart from cache effects.
 *
 * Runs on SQLite (a temporary file) and, when DATABASE_URL points at PostgreSQL, on PostgreSQL too
 * (in a throw-away schema). Run by hand, not in CI:
 *
 *   node bench/identity-resolution.ts [--sizes 10000,1000000] [--samples 3000]
 */
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { signInWithAssertion } from '../packages/server/src/identity/apply.ts';
import { DEFAULT_POLICY } from '../packages/server/src/identity/policy.ts';
import type { Database } from '../packages/server/src/storage/database.ts';
import { migrateToLatest } from '../packages/server/src/storage/index.ts';
import { onBenchDatabases } from './bench-databases.ts';
import { BENCH_APPID, BENCH_OPEN_PLATFORM, benchPerson, seedUsers } from './seed-users.ts';

console.log('Sign-in of an existing person (known appid + openid): resolution + apply, one transaction each, sequential.');
const { values } = parseArgs({
  options: { sizes: { type: 'string', default: '10000,1000000' }, samples: { type: 'string', default: '3000' } },
});
const sizes = values.sizes.split(',').map(Number);
const samples = Number(values.samples);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface Timing {
  median: number;
  p90: number;
  p99: number;
}

async function signInOnce(database: Database, index: number): Promise<number> {
  const person = benchPerson(index);
  const started = performance.now();
  const result = await signInWithAssertion(
    database,
    { appid: BENCH_APPID, appType: 'website', openPlatformId: BENCH_OPEN_PLATFORM, openid: person.openid, unionid: person.unionid },
    DEFAULT_POLICY,
  );
  const elapsed = performance.now() - started;
  if (result.kind !== 'signed_in' || result.userId !== person.userId)
    throw new Error(`wrong resolution for ${person.openid}: ${result.kind}`);
  return elapsed;
}

async function time(database: Database, pick: () => number): Promise<Timing> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) times.push(await signInOnce(database, pick()));
  times.sort((a, b) => a - b);
  return { median: percentile(times, 50), p90: percentile(times, 90), p99: percentile(times, 99) };
}

/**
 * Two views: anyone in the whole pool (at 1M most rows are not in any cache, so this includes
 * page reads), and a fixed working set of 10,000 people signed in once beforehand (same cache
 * footprint at every size, so any growth left is the indexes' depth).
 */
async function measure(database: Database, pool: number): Promise<{ anyone: Timing; workingSet: Timing }> {
  for (let i = 0; i < Math.min(500, samples); i++) await signInOnce(database, randomInt(0, pool));
  const anyone = await time(database, () => randomInt(0, pool));
  const workingSet = Array.from({ length: Math.min(10_000, pool) }, () => randomInt(0, pool));
  for (const index of workingSet) await signInOnce(database, index);
  const warm = await time(database, () => workingSet[randomInt(0, workingSet.length)] ?? 0);
  return { anyone, workingSet: warm };
}

const show = (t: Timing) => `median ${t.median.toFixed(3)} ms  p90 ${t.p90.toFixed(3)} ms  p99 ${t.p99.toFixed(3)} ms`;

async function run(name: string, database: Database): Promise<void> {
  await migrateToLatest(database);
  for (const size of sizes) {
    const started = performance.now();
    await seedUsers(database, size, (done) =>
      process.stdout.write(`\r  ${name}: seeding ${done.toLocaleString('en')} / ${size.toLocaleString('en')}   `),
    );
    process.stdout.write(
      `\r  ${name}: ${size.toLocaleString('en')} users seeded in ${((performance.now() - started) / 1000).toFixed(0)} s            \n`,
    );
    if (database.dialect === 'postgres') await sql`analyze`.execute(database.db);
    const { anyone, workingSet } = await measure(database, size);
    const label = `${name.padEnd(8)} ${size.toLocaleString('en').padStart(9)} users`;
    console.log(`${label}  anyone in the pool:        ${show(anyone)}`);
    console.log(`${label}  10,000-person working set: ${show(workingSet)}`);
  }
}

await onBenchDatabases(run);

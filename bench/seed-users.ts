/**
 * Bulk-seeds identity tables for benchmarks: users, each with one website-app ledger row and a
 * unionid claim, written as multi-row inserts inside large transactions (the portable fast path
 * on both SQLite and PostgreSQL). Ids are derived from the index, so a benchmark can pick any
 * seeded person without reading them back.
 *
 * Usage: node bench/seed-users.ts <count>   (DATABASE_URL picks the database, as for the service)
 */
import type { Database } from '../packages/server/src/storage/database.ts';
import { migrateToLatest, openDatabase } from '../packages/server/src/storage/index.ts';

export const BENCH_APPID = 'wxbench0000000web';
export const BENCH_OPEN_PLATFORM = 'op_bench';

export const benchPerson = (i: number) => ({
  userId: `usr_bench_${String(i).padStart(8, '0')}`,
  openid: `o_bench_${i}`,
  unionid: `u_bench_${i}`,
});

/** Rows per INSERT: under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters for 15 columns. */
const ROWS_PER_INSERT = 1_000;
const ROWS_PER_TRANSACTION = 50_000;

async function countSeeded(database: Database): Promise<number> {
  const row = await database.db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('id', 'like', 'usr_bench_%')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Seeds people up to `total` (those already there are kept); returns how many were added. */
export async function seedUsers(database: Database, total: number, onProgress?: (done: number) => void): Promise<number> {
  const from = await countSeeded(database);
  const now = Date.now();
  for (let start = from; start < total; start += ROWS_PER_TRANSACTION) {
    const end = Math.min(total, start + ROWS_PER_TRANSACTION);
    await database.db.transaction().execute(async (trx) => {
      for (let chunk = start; chunk < end; chunk += ROWS_PER_INSERT) {
        const people = Array.from({ length: Math.min(ROWS_PER_INSERT, end - chunk) }, (_, k) => benchPerson(chunk + k));
        await trx
          .insertInto('users')
          .values(
            people.map((p) => ({
              id: p.userId,
              status: 'active' as const,
              name: null,
              nickname: 'bench',
              picture: null,
              gender: null,
              locale: null,
              phone_number: null,
              phone_number_verified: 0,
              email: null,
              email_verified: 0,
              merged_into: null,
              created_at: now,
              updated_at: now,
              last_login_at: null,
            })),
          )
          .execute();
        await trx
          .insertInto('unionid_owners')
          .values(people.map((p) => ({ open_platform_id: BENCH_OPEN_PLATFORM, unionid: p.unionid, user_id: p.userId, created_at: now })))
          .execute();
        await trx
          .insertInto('wechat_identities')
          .values(
            people.map((p) => ({
              id: `wid_bench_${p.openid}`,
              user_id: p.userId,
              appid: BENCH_APPID,
              app_type: 'website',
              open_platform_id: BENCH_OPEN_PLATFORM,
              openid: p.openid,
              unionid: p.unionid,
              first_seen_at: now,
              last_seen_at: now,
              last_profile: null,
            })),
          )
          .execute();
      }
    });
    onProgress?.(end);
  }
  return Math.max(0, total - from);
}

if (import.meta.main) {
  const total = Number(process.argv[2] ?? '10000');
  const url = process.env.DATABASE_URL ?? 'sqlite:./data/bench.db';
  const database = await openDatabase(url);
  try {
    await migrateToLatest(database);
    const started = performance.now();
    const added = await seedUsers(database, total, (done) => process.stdout.write(`\r  seeded ${done.toLocaleString('en')}`));
    console.log(`\nadded ${added.toLocaleString('en')} people in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await database.close();
  }
}

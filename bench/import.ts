/**
 * Importing off Authing at scale: 100,000 Authing users, each with 3 WeChat identities (their unionid
 * and the openids of a mini program and a website app, two mapped connections) and a verified phone,
 * imported with `weunion import authing`'s code path — batched look-ups and multi-row inserts, one
 * transaction per batch with its checkpoint — on SQLite, then PostgreSQL when DATABASE_URL is set.
 * Prints users/s for the import and for running it again (every record found, nothing written).
 *
 * Usage: node bench/import.ts [--users 100000] [--batch 1000]
 */
import { parseArgs } from 'node:util';
import { seedSandboxConnections } from '../packages/server/src/connections/declared.ts';
import { SYSTEM_ACTOR } from '../packages/server/src/identity/audit.ts';
import { importAuthing } from '../packages/server/src/import/run.ts';
import { generateMasterKey, SecretBox } from '../packages/server/src/secrets/master-key.ts';
import { migrateToLatest } from '../packages/server/src/storage/index.ts';
import { onBenchDatabases } from './bench-databases.ts';

const { values } = parseArgs({ options: { users: { type: 'string' }, batch: { type: 'string' } } });
const users = Number(values.users ?? '100000');
const batchSize = Number(values.batch ?? '1000');

const MAPPING = JSON.stringify({ connections: { conn_mp: 'wxd00000000000b002', conn_web: 'wxd00000000000c003' } });

function authingExport(count: number): string {
  const list: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const n = String(i).padStart(8, '0');
    list.push({
      userId: `authing_${n}`,
      status: 'Activated',
      phone: `137${n}`,
      phoneCountryCode: '+86',
      phoneVerified: true,
      nickname: `User ${i}`,
      identities: [
        {
          identityId: `i1_${n}`,
          extIdpId: 'idp_wechat',
          provider: 'wechat',
          type: 'unionid',
          userIdInIdp: `oUnion${n}`,
          originConnIds: ['conn_mp'],
        },
        {
          identityId: `i2_${n}`,
          extIdpId: 'idp_wechat',
          provider: 'wechat',
          type: 'openid',
          userIdInIdp: `oMp${n}`,
          originConnIds: ['conn_mp'],
        },
        {
          identityId: `i3_${n}`,
          extIdpId: 'idp_web',
          provider: 'wechat',
          type: 'openid',
          userIdInIdp: `oWeb${n}`,
          originConnIds: ['conn_web'],
        },
      ],
    });
  }
  return JSON.stringify({ statusCode: 200, data: { totalCount: count, list } });
}

const text = authingExport(users);
console.log(`${users} Authing users, 3 WeChat identities each, batches of ${batchSize} (${(text.length / 1e6).toFixed(1)} MB of JSON)`);

await onBenchDatabases(async (name, database) => {
  await migrateToLatest(database);
  await seedSandboxConnections(database.db, new SecretBox(Buffer.from(generateMasterKey(), 'base64')));
  for (const pass of ['import', 're-run'] as const) {
    const started = performance.now();
    const report = await importAuthing(database, text, MAPPING, { actor: SYSTEM_ACTOR, dryRun: false, batchSize });
    const seconds = (performance.now() - started) / 1000;
    const expected = pass === 'import' ? report.created === users && report.identitiesAdded === 2 * users : report.unchanged === users;
    if (!expected) throw new Error(`${name} ${pass}: unexpected report ${JSON.stringify({ ...report, details: undefined })}`);
    console.log(`${name.padEnd(8)} ${pass.padEnd(6)}  ${users} users in ${seconds.toFixed(1)} s: ${Math.round(users / seconds)} users/s`);
  }
});

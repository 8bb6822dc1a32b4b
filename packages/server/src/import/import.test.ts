/**
 * Importing people, on both storage modes, against a running weunion and the sandbox: an Authing
 * export (fixtures/, written from Authing's V3 user object with identities) dry run → apply → run
 * again (nothing new) → the imported person logs in with S5 and lands on the imported account (and
 * an application with `subjectType: 'external'` sees their Authing id as `sub`); a stopped import
 * resumes from its checkpoint; weunion's CSV and JSON export imports into another database unchanged.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdminKey } from '../admin-keys/store.ts';
import { seedSandboxConnections } from '../connections/declared.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { DEMO_MINI_PROGRAM, storageModes, TestWorld } from '../mp/test-world.ts';
import { applicationInputSchema, createApplication } from '../oidc/applications.ts';
import { oidcDb } from '../oidc/tables.ts';
import { generateMasterKey, SecretBox } from '../secrets/master-key.ts';
import { databaseBackends } from '../storage/test-backends.ts';
import { createEndpoint } from '../webhooks/endpoints.ts';
import { exportPeopleText } from './export.ts';
import { importAuthing, importPeople } from './run.ts';

const fixtures = path.join(import.meta.dirname, 'fixtures');
const MINI_PROGRAM = 'wxd00000000000b002';
const WEBSITE = 'wxd00000000000c003';
const ALICE_AUTHING_ID = '62b1a11ce000000000000001';

const identitiesSchema = z.array(z.object({ appid: z.string(), openid: z.string(), unionid: z.string().nullable() }));

async function collect(chunks: AsyncGenerator<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`importing people (${mode.name})`, () => {
    let world: TestWorld;
    let users: string;
    const mapping = readFileSync(path.join(fixtures, 'authing-mapping.json'), 'utf8');
    beforeAll(async () => {
      world = await TestWorld.start(mode);
      // Alice's identities as the sandbox's WeChat gives them, so her imported account is the one she logs in to.
      const response = await fetch(`${world.sandboxUrl}/_sandbox/people/p_alice/identities`);
      const alice = identitiesSchema.parse(await response.json());
      const mp = alice.find((i) => i.appid === MINI_PROGRAM);
      const web = alice.find((i) => i.appid === WEBSITE);
      if (mp?.unionid == null || web === undefined) throw new Error('the demo world changed: Alice has no mini program unionid');
      users = readFileSync(path.join(fixtures, 'authing-users.json'), 'utf8')
        .replace('{{alice.unionid}}', mp.unionid)
        .replace('{{alice.mp.openid}}', mp.openid)
        .replace('{{alice.web.openid}}', web.openid);
    });
    afterAll(async () => {
      await world?.close();
    });

    const options = { actor: SYSTEM_ACTOR, batchSize: 3 };
    const expectedFirstRun = {
      total: 7,
      processed: 7,
      created: 6,
      joined: 0,
      unchanged: 0,
      skipped: 1,
      conflicts: 2,
      identitiesAdded: 5,
      unionidsClaimed: 2,
      suggestions: 2,
      skippedReasons: { archived: 1 },
      conflictReasons: { unionid_held: 1, phone_held: 1 },
      identitiesLeftOut: { 'unmapped connection (github)': 1 },
    };

    it('a dry run reports what the Authing import will do and writes nothing', async () => {
      const before = await world.userCount();
      const report = await importAuthing(world.database, users, mapping, { ...options, dryRun: true });
      expect(report).toMatchObject({ ...expectedFirstRun, dryRun: true, status: 'done', runId: null });
      expect(report.details.map((d) => `${d.kind} ${d.key} ${d.reason}`).sort()).toEqual([
        'conflict authing:62b1a11ce000000000000003 unionid_held',
        'conflict authing:62b1a11ce000000000000004 phone_held',
        'skipped authing:62b1a11ce000000000000006 archived',
      ]);
      expect(await world.userCount()).toBe(before);
      expect(await world.database.db.selectFrom('import_runs').selectAll().execute()).toEqual([]);
    });

    it('applying does what the dry run said: unionid joins, openids in the ledger, verified only what Authing verified, conflicts as suggestions', async () => {
      const before = await world.userCount();
      const report = await importAuthing(world.database, users, mapping, { ...options, dryRun: false });
      expect(report).toMatchObject({ ...expectedFirstRun, dryRun: false, status: 'done' });
      expect(await world.userCount()).toBe(before + 6);
      const db = world.database.db;
      const idOf = async (authingId: string) =>
        (
          await db
            .selectFrom('user_external_ids')
            .select('user_id')
            .where('source', '=', 'authing')
            .where('external_id', '=', authingId)
            .executeTakeFirstOrThrow()
        ).user_id;
      const alice = await idOf(ALICE_AUTHING_ID);
      const aliceRows = await db.selectFrom('wechat_identities').selectAll().where('user_id', '=', alice).orderBy('appid').execute();
      expect(aliceRows.map((r) => [r.appid, r.open_platform_id, r.unionid !== null])).toEqual([
        [MINI_PROGRAM, 'op_demo', true],
        [WEBSITE, 'op_demo', true],
      ]);
      const aliceUser = await db.selectFrom('users').selectAll().where('id', '=', alice).executeTakeFirstOrThrow();
      expect(aliceUser).toMatchObject({
        phone_number: '+8613800000001',
        phone_number_verified: 1,
        email: 'alice@example.com',
        email_verified: 1,
        gender: 'female',
        status: 'active',
      });
      const custom = await db.selectFrom('user_external_ids').select('data').where('user_id', '=', alice).executeTakeFirstOrThrow();
      expect(JSON.parse(custom.data ?? 'null')).toEqual({ vipLevel: 3 });

      const bob = await db
        .selectFrom('users')
        .selectAll()
        .where('id', '=', await idOf('62b1a11ce000000000000002'))
        .executeTakeFirstOrThrow();
      expect(bob).toMatchObject({ phone_number: '+8613900000002', phone_number_verified: 0 });
      expect(await db.selectFrom('user_identifiers').select('id').where('user_id', '=', bob.id).execute()).toEqual([]);

      // Bob's second Authing account shares his unionid: a second account, a suggestion, no merge; its
      // website openid is in the ledger without the unionid it does not own.
      const second = await idOf('62b1a11ce000000000000003');
      const secondRows = await db.selectFrom('wechat_identities').selectAll().where('user_id', '=', second).execute();
      expect(secondRows.map((r) => [r.appid, r.unionid])).toEqual([[WEBSITE, null]]);
      // Dave held Alice's number in Authing: blocked as he was, the number unverified on his profile.
      const dave = await db
        .selectFrom('users')
        .selectAll()
        .where('id', '=', await idOf('62b1a11ce000000000000004'))
        .executeTakeFirstOrThrow();
      expect(dave).toMatchObject({ status: 'blocked', phone_number: '+8613800000001', phone_number_verified: 0 });
      const suggestions = await db.selectFrom('merge_suggestions').selectAll().where('status', '=', 'open').orderBy('reason').execute();
      expect(suggestions.map((s) => [s.reason, [s.user_id, s.other_user_id].sort()])).toEqual([
        ['import_phone_conflict', [alice, dave.id].sort()],
        ['import_unionid_conflict', [bob.id, second].sort()],
      ]);
      // Erin had only an email (verified in Authing): kept verified, joined to nobody.
      const erin = await db
        .selectFrom('users')
        .selectAll()
        .where('id', '=', await idOf('62b1a11ce000000000000005'))
        .executeTakeFirstOrThrow();
      expect(erin).toMatchObject({ email: 'erin@example.com', email_verified: 1 });
      const audit = await db.selectFrom('audit_log').select('action').where('subject_id', '=', alice).execute();
      expect(audit.map((a) => a.action)).toContain('user.imported');
    });

    it('running the same import again creates nothing new', async () => {
      const before = await world.userCount();
      const identities = await world.database.db.selectFrom('wechat_identities').select('id').execute();
      const dry = await importAuthing(world.database, users, mapping, { ...options, dryRun: true });
      const report = await importAuthing(world.database, users, mapping, { ...options, dryRun: false });
      const { runId: _a, dryRun: _b, ...dryNumbers } = dry;
      const { runId: _c, dryRun: _d, ...numbers } = report;
      expect(dryNumbers).toEqual(numbers);
      expect(report).toMatchObject({
        created: 0,
        joined: 0,
        unchanged: 6,
        skipped: 1,
        identitiesAdded: 0,
        unionidsClaimed: 0,
        suggestions: 0,
      });
      expect(await world.userCount()).toBe(before);
      expect(await world.database.db.selectFrom('wechat_identities').select('id').execute()).toHaveLength(identities.length);
    });

    it('an imported person logging in with S5 lands on the imported account; an external-subject application sees the Authing id', async () => {
      const alice = (
        await world.database.db
          .selectFrom('user_external_ids')
          .select('user_id')
          .where('external_id', '=', ALICE_AUTHING_ID)
          .executeTakeFirstOrThrow()
      ).user_id;
      const before = await world.userCount();
      const first = await world.ok('POST', '/api/mp/login', { appid: MINI_PROGRAM, code: await world.jsLogin('p_alice', MINI_PROGRAM) });
      expect(first).toMatchObject({ outcome: 'signed_in', userId: alice });
      const tokens = z.object({ id_token: z.string() }).parse(first.tokens);
      expect(decodeJwt(tokens.id_token).sub).toBe(alice);
      expect(await world.userCount()).toBe(before);

      await createApplication(
        oidcDb(world.database.db),
        world.app.ctx.secrets,
        applicationInputSchema.parse({
          id: DEMO_MINI_PROGRAM.id,
          name: 'Shop mini program',
          type: 'mini_program',
          redirectUris: ['https://shop.example/callback'],
          subjectType: 'external',
        }),
      );
      const second = await world.ok('POST', '/api/mp/login', { appid: MINI_PROGRAM, code: await world.jsLogin('p_alice', MINI_PROGRAM) });
      expect(second).toMatchObject({ outcome: 'signed_in', userId: alice });
      expect(decodeJwt(z.object({ id_token: z.string() }).parse(second.tokens).id_token).sub).toBe(ALICE_AUTHING_ID);
    });

    it('a stopped import resumes from its checkpoint and ends as one full run would', async () => {
      const people = Array.from({ length: 25 }, (_, i) => ({
        externalId: { source: 'legacy', id: `legacy-${i}` },
        nickname: `Legacy ${i}`,
        wechat: [
          { appid: MINI_PROGRAM, openid: `oLegacyMp${String(i).padStart(6, '0')}`, unionid: `oLegacyUnion${String(i).padStart(6, '0')}` },
        ],
      }));
      const file = JSON.stringify(people);
      const before = await world.userCount();
      const stopped = await importPeople(world.database, file, 'json', {
        actor: SYSTEM_ACTOR,
        dryRun: false,
        batchSize: 10,
        stopAfterBatches: 1,
      });
      expect(stopped).toMatchObject({ status: 'stopped', processed: 10, created: 10 });
      expect(await world.userCount()).toBe(before + 10);
      const run = await world.database.db
        .selectFrom('import_runs')
        .selectAll()
        .where('id', '=', stopped.runId ?? '')
        .executeTakeFirstOrThrow();
      expect(run).toMatchObject({ status: 'stopped', next_index: 10, total: 25 });

      const resumed = await importPeople(world.database, file, 'json', { actor: SYSTEM_ACTOR, dryRun: false, batchSize: 10, resume: true });
      expect(resumed).toMatchObject({
        runId: stopped.runId,
        status: 'done',
        processed: 25,
        created: 25,
        identitiesAdded: 25,
        unionidsClaimed: 25,
      });
      expect(await world.userCount()).toBe(before + 25);

      // A run that is still writing (its last batch a moment ago) is not taken over by a second resume.
      const busy = await importPeople(world.database, file, 'json', {
        actor: SYSTEM_ACTOR,
        dryRun: false,
        batchSize: 10,
        stopAfterBatches: 1,
      });
      await world.database.db
        .updateTable('import_runs')
        .set({ status: 'running', updated_at: Date.now() })
        .where('id', '=', busy.runId ?? '')
        .execute();
      await expect(importPeople(world.database, file, 'json', { actor: SYSTEM_ACTOR, dryRun: false, resume: true })).rejects.toMatchObject({
        code: 'conflict',
      });
      await world.database.db
        .updateTable('import_runs')
        .set({ status: 'stopped' })
        .where('id', '=', busy.runId ?? '')
        .execute();
      await importPeople(world.database, file, 'json', { actor: SYSTEM_ACTOR, dryRun: false, resume: true });

      const again = await importPeople(world.database, file, 'json', { actor: SYSTEM_ACTOR, dryRun: false, batchSize: 10, resume: true });
      expect(again.runId).not.toBe(stopped.runId);
      expect(again).toMatchObject({ status: 'done', created: 0, unchanged: 25 });
    });

    it('never joins on email alone; a verified phone joins only an account with no other WeChat person of the app', async () => {
      const file = JSON.stringify([
        { externalId: { source: 'crm', id: 'c1' }, email: 'erin@example.com', emailVerified: true },
        {
          externalId: { source: 'crm', id: 'c2' },
          phone: '+8613800000001',
          phoneVerified: true,
          wechat: [{ appid: WEBSITE, openid: 'oWebStranger000001' }],
        },
      ]);
      const report = await importPeople(world.database, file, 'json', { actor: SYSTEM_ACTOR, dryRun: true });
      // c1: a new account (the email stays with Erin); c2: Alice already holds a website openid, so no join.
      expect(report).toMatchObject({ created: 2, joined: 0, conflicts: 2, conflictReasons: { email_held: 1, phone_held: 1 } });
    });

    it('the management API: dry run, then an import that runs in the background with its progress, export streamed; a bad file is a 400', async () => {
      const { key } = await createAdminKey(world.database.db, 'importer', SYSTEM_ACTOR);
      const auth = { authorization: `Bearer ${key}` };
      const csv = [
        'id,external_source,external_id,status,name,nickname,picture,gender,locale,phone,phone_verified,email,email_verified,appid,openid,unionid',
        ',api,a1,active,,API One,,,,,,,,wxd00000000000b002,oApiMp0000000001,oApiUnion000000001',
        ',api,a1,active,,API One,,,,,,,,wxd00000000000c003,oApiWeb000000001,oApiUnion000000001',
        ',api,a2,active,,API Two,,,,+8613700000002,true,,,,,',
      ].join('\n');
      const upload = { kind: 'people', filename: 'people.csv', content: csv };
      const dry = await world.call('POST', '/api/v1/imports/dry-run', upload, auth);
      expect(dry.status).toBe(200);
      expect(dry.body).toMatchObject({ dryRun: true, total: 2, created: 2, identitiesAdded: 2, unionidsClaimed: 1 });
      const started = await world.call('POST', '/api/v1/imports', upload, auth);
      expect(started.status).toBe(201);
      const runId = z.string().parse(started.body.runId);
      let report = started.body;
      for (let i = 0; i < 100 && report.status === 'running'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        report = await world.ok('GET', `/api/v1/imports/${runId}`, undefined, auth);
      }
      expect(report).toMatchObject({ status: 'done', created: 2, identitiesAdded: 2 });

      const exported = await fetch(`${world.url}/api/v1/people/export?format=csv`, { headers: auth });
      expect(exported.status).toBe(200);
      expect(exported.headers.get('content-type')).toContain('text/csv');
      expect(exported.headers.get('content-disposition')).toMatch(/attachment; filename="weunion-people-.*\.csv"/);
      const text = await exported.text();
      expect(text).toContain(',api,a1,active,,API One,');
      expect(text).toContain('oApiWeb000000001');

      const bad = await world.call(
        'POST',
        '/api/v1/imports/dry-run',
        { kind: 'people', filename: 'x.csv', content: 'who,what\n1,2' },
        auth,
      );
      expect(bad.status).toBe(400);
      expect(String(bad.body.detail)).toContain('unknown CSV columns: who, what');
      const noKey = await world.call('POST', '/api/v1/imports/dry-run', upload);
      expect(noKey.status).toBe(401);
    });

    it('no webhook for what an import changes unless asked; asked, the events a login would raise', async () => {
      await createEndpoint(
        world.database.db,
        world.app.ctx.secrets,
        { url: 'http://127.0.0.1:9/hooks', description: 'crm', events: ['user.created', 'identity.linked', 'merge_suggestion.created'] },
        { allowHttp: true, actor: SYSTEM_ACTOR },
      );
      const events = async () =>
        (await world.database.db.selectFrom('webhook_events').select(['type', 'subject_id', 'payload']).orderBy('seq').execute()).filter(
          (e) => e.type !== 'webhook.ping',
        );
      const before = (await events()).length;
      const quiet = JSON.stringify([
        { externalId: { source: 'hooks', id: 'q1' }, wechat: [{ appid: MINI_PROGRAM, openid: 'oHooksQuiet00001' }] },
      ]);
      expect(await importPeople(world.database, quiet, 'json', { actor: SYSTEM_ACTOR, dryRun: false })).toMatchObject({ created: 1 });
      expect(await events()).toHaveLength(before);

      const loud = JSON.stringify([
        { externalId: { source: 'hooks', id: 'l1' }, wechat: [{ appid: MINI_PROGRAM, openid: 'oHooksLoud000001' }] },
      ]);
      const report = await importPeople(world.database, loud, 'json', { actor: SYSTEM_ACTOR, dryRun: false, emitEvents: true });
      const raised = (await events()).slice(before);
      expect(raised.map((e) => e.type)).toEqual(['user.created', 'identity.linked']);
      expect(report.created).toBe(1);
      const linked = JSON.parse(raised[1]?.payload ?? '{}') as { data?: { identity?: { openid?: string }; via?: string } };
      expect(linked.data).toMatchObject({ identity: { openid: 'oHooksLoud000001' }, via: 'import' });
    });

    for (const format of ['csv', 'json'] as const) {
      it(`an export (${format}) imports into another database as it was, and again into the same one as nothing new`, async () => {
        const exported = await collect(exportPeopleText(world.database.db, format));
        const sqlite = databaseBackends.find((b) => b.name === 'sqlite');
        if (sqlite === undefined) throw new Error('no sqlite');
        const other = await sqlite.open();
        try {
          await seedSandboxConnections(other.db, new SecretBox(Buffer.from(generateMasterKey(), 'base64')));
          const people = Number(
            (
              await world.database.db
                .selectFrom('users')
                .select((eb) => eb.fn.countAll().as('n'))
                .where('status', 'in', ['active', 'blocked'])
                .executeTakeFirstOrThrow()
            ).n,
          );
          const report = await importPeople(other, exported, format, { actor: SYSTEM_ACTOR, dryRun: false, batchSize: 7 });
          expect(report).toMatchObject({ created: people, skipped: 0, conflicts: 0 });
          expect(await collect(exportPeopleText(other.db, format))).toBe(exported);
          const same = await importPeople(world.database, exported, format, { actor: SYSTEM_ACTOR, dryRun: false });
          expect(same).toMatchObject({ created: 0, joined: 0, unchanged: people });
        } finally {
          await other.dispose();
        }
      });
    }
  });
}

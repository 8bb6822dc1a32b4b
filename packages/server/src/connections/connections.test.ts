import { randomBytes } from 'node:crypto';
import { DEMO_APPS } from '@weunion/sandbox';
import { MemorySharedState } from '@weunion/state';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../config/index.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { SecretBox } from '../secrets/master-key.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';
import { applyConnectionsAtStart, parseDeclaredConnections } from './declared.ts';
import { connectionInputSchema, SCENARIO_IDS } from './schema.ts';
import { assertionFor, signInThroughConnection } from './sign-in.ts';
import { findConnectionByAppid, findConnectionsForScenario, listConnections, updateConnection, upsertConnection } from './store.ts';

const secrets = new SecretBox(randomBytes(32));
const websiteApp = {
  id: 'shop-web',
  name: 'Shop website',
  appType: 'website',
  appid: 'wx1234567890abcdef',
  secret: 'the-app-secret-value',
  openPlatformId: 'op_shop',
  scenarios: ['s2'],
};
const configWith = (file: Record<string, unknown>, sandbox: Config['sandbox'] = 'off') =>
  ({ file, sandbox }) as Pick<Config, 'file' | 'sandbox'> as Config;

describe('connection input', () => {
  it('refuses a scenario the app type cannot serve', () => {
    const result = connectionInputSchema.safeParse({ ...websiteApp, scenarios: ['s1'] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('scenario s1 cannot be served by a website app');
  });

  it('refuses a message token on an app type that receives no messages', () => {
    expect(connectionInputSchema.safeParse({ ...websiteApp, token: 'abc123' }).success).toBe(false);
  });

  it('fills the safe default policy', () => {
    expect(connectionInputSchema.parse(websiteApp).policy).toMatchObject({
      registration: 'allow',
      fieldMatching: [],
      autoMergeOnUnionid: false,
    });
  });

  it('a config file section with a bad field names the field', () => {
    expect(() => parseDeclaredConnections([{ ...websiteApp, appid: 'nope' }], 'config file')).toThrow(
      'config file: connections.0.appid must be a WeChat appid (wx…)',
    );
  });
});

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`connections: ${backend.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await backend.open();
    });
    afterAll(async () => {
      await database?.dispose();
    });

    it('secrets are sealed at rest, hidden from the view, and open for scenario code', async () => {
      const input = connectionInputSchema.parse(websiteApp);
      const { outcome, connection } = await upsertConnection(database.db, secrets, input, { source: 'api', actor: SYSTEM_ACTOR });
      expect(outcome).toBe('created');
      expect(connection).toMatchObject({ id: 'shop-web', secretSet: true, tokenSet: false });
      expect(JSON.stringify(connection)).not.toContain('the-app-secret-value');
      const row = await database.db.selectFrom('connections').selectAll().where('id', '=', 'shop-web').executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain('the-app-secret-value');
      expect((await findConnectionByAppid(database.db, secrets, websiteApp.appid))?.secret).toBe('the-app-secret-value');
      const audit = await database.db.selectFrom('audit_log').select('after').where('subject_id', '=', 'shop-web').execute();
      expect(JSON.stringify(audit)).not.toContain('the-app-secret-value');
    });

    it('applying the same declaration again changes nothing; leaving the secret out keeps it', async () => {
      const again = await upsertConnection(database.db, secrets, connectionInputSchema.parse(websiteApp), {
        source: 'api',
        actor: SYSTEM_ACTOR,
      });
      expect(again.outcome).toBe('unchanged');
      const { secret: _secret, ...withoutSecret } = websiteApp;
      const renamed = await upsertConnection(database.db, secrets, connectionInputSchema.parse({ ...withoutSecret, name: 'Shop' }), {
        source: 'api',
        actor: SYSTEM_ACTOR,
      });
      expect(renamed.outcome).toBe('updated');
      expect((await findConnectionByAppid(database.db, secrets, websiteApp.appid))?.secret).toBe('the-app-secret-value');
    });

    it('a second connection with the same appid is refused', async () => {
      const clash = connectionInputSchema.parse({ ...websiteApp, id: 'other' });
      await expect(upsertConnection(database.db, secrets, clash, { source: 'api', actor: SYSTEM_ACTOR })).rejects.toMatchObject({
        code: 'conflict',
      });
    });

    it('a partial update that would make the connection invalid is refused and changes nothing', async () => {
      await expect(updateConnection(database.db, secrets, 'shop-web', { appType: 'mobile_app' }, SYSTEM_ACTOR)).rejects.toMatchObject({
        code: 'validation_failed',
      });
      expect((await findConnectionByAppid(database.db, secrets, websiteApp.appid))?.appType).toBe('website');
    });

    it('sandbox mode seeds the demo apps once, serving all seven scenarios, and keeps later edits', async () => {
      const first = await applyConnectionsAtStart(database.db, secrets, configWith({}, 'auto'));
      expect(first.seeded.sort()).toEqual(['demo-mini-program', 'demo-mobile-app', 'demo-official-account', 'demo-website']);
      for (const scenario of SCENARIO_IDS) {
        expect((await findConnectionsForScenario(database.db, secrets, scenario)).length, scenario).toBeGreaterThan(0);
      }
      const demoOa = DEMO_APPS.find((a) => a.key === 'officialAccount');
      const oa = await findConnectionByAppid(database.db, secrets, demoOa?.appid ?? '');
      expect(oa).toMatchObject({
        secret: demoOa?.secret,
        token: demoOa?.token,
        encodingAesKey: demoOa?.encodingAesKey,
        openPlatformId: 'op_demo',
      });
      await updateConnection(
        database.db,
        secrets,
        'demo-website',
        { policy: { ...(oa?.policy ?? connectionInputSchema.parse(websiteApp).policy), registration: 'deny' } },
        SYSTEM_ACTOR,
      );
      const second = await applyConnectionsAtStart(database.db, secrets, configWith({}, 'on'));
      expect(second.seeded).toEqual([]);
      expect((await listConnections(database.db)).find((c) => c.id === 'demo-website')?.policy.registration).toBe('deny');
    });

    it('signing in through a connection uses its Open Platform account and policy, and only for its scenarios', async () => {
      const deps = { database, state: new MemorySharedState() };
      const connection = await findConnectionByAppid(database.db, secrets, websiteApp.appid);
      if (connection === null) throw new Error('no connection');
      await expect(signInThroughConnection(deps, connection, 's1', { openid: 'o_conn' })).rejects.toMatchObject({ code: 'forbidden' });
      const outcome = await signInThroughConnection(deps, connection, 's2', { openid: 'o_conn', unionid: 'u_conn' });
      expect(outcome).toMatchObject({ kind: 'signed_in', created: true });
      const row = await database.db.selectFrom('wechat_identities').selectAll().where('openid', '=', 'o_conn').executeTakeFirstOrThrow();
      expect(row).toMatchObject({ appid: websiteApp.appid, app_type: 'website', open_platform_id: 'op_shop', unionid: 'u_conn' });
    });

    it('instances starting together apply the same declared and demo connections without failing', async () => {
      const sibling = await database.openSibling();
      try {
        const declared = [{ ...websiteApp, id: 'raced-app', appid: 'wxabababababababab', scenarios: ['s2'] }];
        const results = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) =>
            applyConnectionsAtStart((i % 2 === 0 ? database : sibling).db, secrets, configWith({ connections: declared }, 'on')),
          ),
        );
        expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
        expect((await listConnections(database.db)).filter((c) => c.id === 'raced-app')).toHaveLength(1);
      } finally {
        await sibling.close();
      }
    });

    it('the config file section is applied at start and is idempotent', async () => {
      const declared = [{ ...websiteApp, id: 'declared-app', appid: 'wxfedcba0987654321', scenarios: ['s2'] }];
      const first = await applyConnectionsAtStart(database.db, secrets, configWith({ connections: declared }));
      expect(first.declared).toEqual([{ id: 'declared-app', outcome: 'created' }]);
      const second = await applyConnectionsAtStart(database.db, secrets, configWith({ connections: declared }));
      expect(second.declared).toEqual([{ id: 'declared-app', outcome: 'unchanged' }]);
    });
  });
}

describe('the assertion a connection makes', () => {
  it('takes the app type and Open Platform account from the connection, and drops an empty unionid', () => {
    expect(
      assertionFor({ appid: 'wx1', appType: 'website', openPlatformId: 'op_1' }, { openid: 'o1', unionid: '', phone: '+8613800000001' }),
    ).toEqual({
      appid: 'wx1',
      appType: 'website',
      openPlatformId: 'op_1',
      openid: 'o1',
      phone: '+8613800000001',
    });
  });
});

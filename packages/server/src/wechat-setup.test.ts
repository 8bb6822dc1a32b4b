/** The sandbox is never on by accident: which WeChat an instance talks to, and why. */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config/index.ts';
import { seedSandboxConnections } from './connections/declared.ts';
import { connectionInputSchema } from './connections/schema.ts';
import { updateConnection, upsertConnection } from './connections/store.ts';
import { SYSTEM_ACTOR } from './identity/audit.ts';
import { SecretBox } from './secrets/master-key.ts';
import { databaseBackends, type TestDatabase } from './storage/test-backends.ts';
import { decideWechatSetup } from './wechat-setup.ts';

const sqlite = databaseBackends.find((b) => b.name === 'sqlite');
const secrets = new SecretBox(randomBytes(32));
const realWebsite = connectionInputSchema.parse({
  id: 'shop-web',
  name: 'Shop website',
  appType: 'website',
  appid: 'wx1234567890abcdef',
  secret: 'real-secret',
  openPlatformId: 'op_shop',
  scenarios: ['s2'],
});

describe('which WeChat an instance talks to', () => {
  let database: TestDatabase;
  beforeEach(async () => {
    if (sqlite === undefined) throw new Error('no sqlite');
    database = await sqlite.open();
  });
  afterEach(async () => {
    await database.dispose();
  });

  it('auto: the sandbox, mounted under PUBLIC_URL, while no real WeChat app is configured', async () => {
    const setup = await decideWechatSetup(loadConfig({ PUBLIC_URL: 'https://id.example.com' }), database);
    expect(setup.sandbox).toBe(true);
    expect(setup.endpoints).toEqual({
      api: 'https://id.example.com/sandbox',
      open: 'https://id.example.com/sandbox',
      mp: 'https://id.example.com/sandbox',
    });
  });

  it('auto: real WeChat once an admin has added a real app', async () => {
    await upsertConnection(database.db, secrets, realWebsite, { source: 'api', actor: SYSTEM_ACTOR });
    const setup = await decideWechatSetup(loadConfig({}), database);
    expect(setup.sandbox).toBe(false);
    expect(setup.reason).toContain('shop-web');
    expect(setup.endpoints).toEqual({
      api: 'https://api.weixin.qq.com',
      open: 'https://open.weixin.qq.com',
      mp: 'https://mp.weixin.qq.com',
    });
  });

  it('auto: a demo connection whose policy or settings an admin changed is still the sandbox’s; a new AppSecret makes it real', async () => {
    const [seeded] = await seedSandboxConnections(database.db, secrets);
    if (seeded === undefined) throw new Error('nothing seeded');
    await updateConnection(database.db, secrets, seeded, { policy: { registration: 'deny' }, name: 'Renamed demo' }, SYSTEM_ACTOR);
    expect((await decideWechatSetup(loadConfig({}), database)).sandbox).toBe(true);
    await updateConnection(database.db, secrets, seeded, { secret: 'a-real-app-secret' }, SYSTEM_ACTOR);
    const setup = await decideWechatSetup(loadConfig({}), database);
    expect(setup.sandbox).toBe(false);
    expect(setup.reason).toContain(seeded);
  });

  it('auto: real WeChat when the config file declares apps, even before they are stored', async () => {
    const config = { ...loadConfig({}), file: { connections: [realWebsite] } };
    expect((await decideWechatSetup(config, database)).sandbox).toBe(false);
  });

  it('SANDBOX=on forces it and says that real apps are configured too', async () => {
    await upsertConnection(database.db, secrets, realWebsite, { source: 'api', actor: SYSTEM_ACTOR });
    const setup = await decideWechatSetup(loadConfig({ SANDBOX: 'on' }), database);
    expect(setup.sandbox).toBe(true);
    expect(setup.reason).toMatch(/SANDBOX=on although real WeChat apps are configured/);
  });

  it('SANDBOX=off talks to the configured endpoints (e.g. a standalone sandbox or a proxy)', async () => {
    const setup = await decideWechatSetup(
      loadConfig({
        SANDBOX: 'off',
        WECHAT_API_URL: 'http://127.0.0.1:3100',
        WECHAT_OPEN_URL: 'http://127.0.0.1:3100',
        WECHAT_MP_URL: 'http://127.0.0.1:3100',
      }),
      database,
    );
    expect(setup.sandbox).toBe(false);
    expect(setup.endpoints.api).toBe('http://127.0.0.1:3100');
  });
});

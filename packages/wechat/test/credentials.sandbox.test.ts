/**
 * `credentials.check` against the sandbox: the right secret passes, a wrong one is 40125, an
 * unknown appid 40013, for every app type; and checking leaves the app's cached token alone.
 */
import { MemorySharedState } from '@weunion/state';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxHarness } from './sandbox-harness.ts';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await SandboxHarness.start();
});
afterAll(async () => {
  await sandbox.close();
});

describe('credentials.check', () => {
  for (const [appType, method] of [
    ['official_account', 'stable_token'],
    ['mini_program', 'stable_token'],
    ['website', 'oauth_probe'],
    ['mobile_app', 'oauth_probe'],
  ] as const) {
    it(`${appType}: right secret ok, wrong secret 40125, unknown appid 40013 (${method})`, async () => {
      const wechat = sandbox.client();
      const app = await sandbox.app(appType);
      expect(await wechat.credentials.check({ appType, ...app })).toMatchObject({ ok: true, method });
      expect(await wechat.credentials.check({ appType, appid: app.appid, secret: 'wrong' })).toMatchObject({
        ok: false,
        method,
        errcode: 40125,
      });
      expect(await wechat.credentials.check({ appType, appid: 'wx0000000000unknown', secret: 'x' })).toMatchObject({
        ok: false,
        errcode: 40013,
      });
    });
  }

  it('leaves the cached access token in place (no cgi-bin/token call, no force_refresh)', async () => {
    const state = new MemorySharedState();
    const wechat = sandbox.client({ state });
    const app = await sandbox.app('official_account');
    const token = await wechat.tokens.get(app);
    await wechat.credentials.check({ appType: 'official_account', ...app });
    expect((await wechat.tokens.peek(app.appid))?.accessToken).toBe(token);
    expect(await wechat.tokens.get(app)).toBe(token);
  });
});

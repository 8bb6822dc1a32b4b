import { randomUUID } from 'node:crypto';
import { MemorySharedState, RedisSharedState, type SharedState } from '@weunion/state';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SandboxHarness } from './sandbox-harness.ts';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await SandboxHarness.start();
});
afterAll(async () => {
  await sandbox.close();
});

const configVerdict = z.object({ errMsg: z.string() });

/** Two instances' stores: the same in-process store, or two Redis connections on one key prefix. */
const stores: { name: string; skip: boolean; open(): Promise<[SharedState, SharedState]> }[] = [
  {
    name: 'in-process store',
    skip: false,
    open: async () => {
      const state = new MemorySharedState();
      return [state, state];
    },
  },
  {
    name: 'Redis',
    skip: !process.env.REDIS_URL,
    open: async () => {
      const prefix = `weunion-test:${randomUUID()}:`;
      const connect = async () => {
        const state = new RedisSharedState({ url: process.env.REDIS_URL ?? '', prefix });
        await state.connect();
        return state;
      };
      return [await connect(), await connect()];
    },
  },
];

describe('wx.config values', () => {
  it('are accepted by the WeChat client for a page on the JS-safe domain, whatever its #fragment', async () => {
    const app = await sandbox.app('official_account');
    const wechat = sandbox.client();
    const page = 'https://id.example.com/account/bind?from=menu#/step/2';
    const config = await wechat.jsSdk.config(app, page);
    expect(config.appId).toBe(app.appid);
    expect(config.nonceStr).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const verdict = await sandbox.control(
      'POST',
      '/_sandbox/actions/wx-config',
      { appid: app.appid, url: page, timestamp: config.timestamp, nonceStr: config.nonceStr, signature: config.signature },
      configVerdict,
    );
    expect(verdict.errMsg).toBe('config:ok');
  });

  it('sign with a ticket the sandbox still knows after it expired and was fetched again', async () => {
    const app = await sandbox.app('official_account');
    const wechat = sandbox.client();
    const first = await wechat.jsSdk.getJsapiTicket(app);
    await sandbox.control('POST', '/_sandbox/clock', { advanceSeconds: 7300 }, z.unknown());
    await wechat.jsSdk.forgetJsapiTicket(app.appid);
    const config = await wechat.jsSdk.config(app, 'https://id.example.com/p');
    expect(await wechat.jsSdk.getJsapiTicket(app)).not.toBe(first);
    const verdict = await sandbox.control(
      'POST',
      '/_sandbox/actions/wx-config',
      { appid: app.appid, url: 'https://id.example.com/p', ...config },
      configVerdict,
    );
    expect(verdict.errMsg).toBe('config:ok');
  });
});

for (const store of stores) {
  describe.skipIf(store.skip)(`the jsapi ticket on the ${store.name}`, () => {
    it('is fetched once for 50 concurrent pages on two instances sharing the store', async () => {
      const app = await sandbox.app('official_account');
      const [state, sibling] = await store.open();
      try {
        const instances = [sandbox.client({ state }), sandbox.client({ state: sibling })];
        const configs = await Promise.all(
          Array.from({ length: 50 }, (_, index) => instances[index % 2]?.jsSdk.config(app, `https://id.example.com/p/${index}`)),
        );
        expect(new Set(configs.map((config) => config?.appId))).toEqual(new Set([app.appid]));
        expect(await sandbox.calls('cgi-bin/ticket/getticket', app.appid)).toBe(1);
        expect(await sandbox.calls('cgi-bin/token', app.appid)).toBe(1);
      } finally {
        await state.close();
        if (sibling !== state) await sibling.close();
      }
    });
  });
}

import { randomUUID } from 'node:crypto';
import { RedisSharedState, type SharedState } from '@weunion/state';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rejection, SandboxHarness } from './sandbox-harness.ts';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await SandboxHarness.start();
});
afterEach(async () => {
  await sandbox.clearFaults();
});
afterAll(async () => {
  await sandbox.close();
});

describe('system busy (-1)', () => {
  it('retries with backoff and succeeds when WeChat recovers', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('mini_program');
    const person = await sandbox.person();
    const code = await sandbox.jsLogin(person, app.appid);
    await sandbox.faults({ appid: app.appid, errcode: -1, times: 2 });
    const session = await wechat.miniProgram.codeToSession(app, code);
    expect(session.openid).not.toBe('');
    expect(await sandbox.calls('sns/jscode2session', app.appid)).toBe(3);
  });

  it('gives up after the configured tries with wechat_busy', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('website');
    await sandbox.faults({ appid: app.appid, errcode: -1 });
    expect(await rejection(wechat.oauth.exchangeCode(app, 'some-code'))).toMatchObject({ code: 'wechat_busy', details: { errcode: -1 } });
    expect(await sandbox.calls('sns/oauth2/access_token', app.appid)).toBe(3);
  });
});

describe('app access_token rejected by WeChat', () => {
  it.each([
    ['expired', 42001],
    ['invalid', 40001],
  ] as const)('after a forced %s token (%i) fetches one new token and retries the call once', async (how, _errcode) => {
    const wechat = sandbox.client();
    const app = await sandbox.app('official_account');
    await wechat.officialAccount.createQrCode(app, { scene: 'one' });
    await sandbox.faults({ appid: app.appid, forceTokenExpiry: how });
    await sandbox.clearFaults();
    const qr = await wechat.officialAccount.createQrCode(app, { scene: 'two' });
    expect(qr.ticket).not.toBe('');
    expect(await sandbox.calls('cgi-bin/token', app.appid)).toBe(2);
    expect(await sandbox.calls('cgi-bin/qrcode/create', app.appid)).toBe(3);
  });

  it('fails with access_token_invalid, not a loop, when the fresh token is refused too', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('official_account');
    await sandbox.faults({ appid: app.appid, errcode: 40001 });
    const error = await rejection(wechat.officialAccount.createQrCode(app, { scene: 'x' }));
    expect(error).toMatchObject({ code: 'wechat_access_token_invalid', details: { errcode: 40001 } });
    expect(await sandbox.calls('cgi-bin/qrcode/create', app.appid)).toBeLessThanOrEqual(2);
  });

  it('refuses a wrong AppSecret when fetching the app token, without retrying and without echoing it', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('official_account');
    const secret = 'definitely-the-wrong-secret-42';
    const error = await rejection(wechat.officialAccount.createQrCode({ ...app, secret }, { scene: 'x' }));
    expect(error.code).toBe('wechat_credentials_invalid');
    expect(JSON.stringify(error)).not.toContain(secret);
    expect(await sandbox.calls('cgi-bin/token', app.appid)).toBe(1);
  });
});

describe('timeouts', () => {
  it('turns an answer slower than the timeout into wechat_unreachable', async () => {
    const wechat = sandbox.client({ timeoutMs: 100 });
    const app = await sandbox.app('website');
    await sandbox.faults({ appid: app.appid, latencyMs: 2_000 });
    const error = await rejection(wechat.oauth.exchangeCode(app, 'some-code'));
    expect(error).toMatchObject({ code: 'wechat_unreachable', details: { endpoint: 'sns/oauth2/access_token' } });
    expect(error.message).not.toContain(app.secret);
  });
});

interface StoreCase {
  name: string;
  skip: boolean;
  open(): Promise<SharedState>;
}

const storeCases: StoreCase[] = [
  {
    name: 'the in-process store',
    skip: false,
    open: async () => {
      const { MemorySharedState } = await import('@weunion/state');
      return new MemorySharedState();
    },
  },
  {
    name: 'Redis',
    skip: !process.env.REDIS_URL,
    open: async () => {
      const state = new RedisSharedState({ url: process.env.REDIS_URL ?? '', prefix: `weunion-test:${randomUUID()}:` });
      await state.connect();
      return state;
    },
  },
];

for (const store of storeCases) {
  describe.skipIf(store.skip)(`single-flight app token on ${store.name}`, () => {
    it('100 concurrent calls needing a token make exactly one cgi-bin/token request', async () => {
      const state = await store.open();
      try {
        const wechat = sandbox.client({ state });
        const app = await sandbox.app('official_account');
        await sandbox.faults({ appid: app.appid, latencyMs: 50 });
        const codes = await Promise.all(
          Array.from({ length: 100 }, (_, i) => wechat.officialAccount.createQrCode(app, { scene: `s${i}` })),
        );
        expect(new Set(codes.map((qr) => qr.ticket)).size).toBe(100);
        expect(await sandbox.calls('cgi-bin/token', app.appid)).toBe(1);
      } finally {
        await state.close();
      }
    });

    it('100 concurrent calls after the token was revoked make exactly one more token request', async () => {
      const state = await store.open();
      try {
        const wechat = sandbox.client({ state });
        const app = await sandbox.app('official_account');
        await wechat.tokens.get(app);
        await sandbox.faults({ appid: app.appid, forceTokenExpiry: 'expired', latencyMs: 20 });
        const codes = await Promise.all(
          Array.from({ length: 100 }, (_, i) => wechat.officialAccount.createQrCode(app, { scene: `s${i}` })),
        );
        expect(codes).toHaveLength(100);
        expect(await sandbox.calls('cgi-bin/token', app.appid)).toBe(2);
      } finally {
        await state.close();
      }
    });

    it('uses cgi-bin/stable_token instead when the app is configured so', async () => {
      const state = await store.open();
      try {
        const wechat = sandbox.client({ state });
        const app = { ...(await sandbox.app('official_account')), tokenSource: 'stable_token' as const };
        await Promise.all(Array.from({ length: 20 }, (_, i) => wechat.officialAccount.createQrCode(app, { scene: `s${i}` })));
        expect(await sandbox.calls('cgi-bin/stable_token', app.appid)).toBe(1);
        expect(await sandbox.calls('cgi-bin/token', app.appid)).toBe(0);
        expect((await wechat.tokens.peek(app.appid))?.source).toBe('stable_token');
      } finally {
        await state.close();
      }
    });
  });
}

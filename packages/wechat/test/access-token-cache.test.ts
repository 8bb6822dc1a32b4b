import { randomUUID } from 'node:crypto';
import { AppError } from '@weunion/errors';
import { MemorySharedState, RedisSharedState, type SharedState } from '@weunion/state';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWechatClient, type WechatClient } from '../src/index.ts';
import { startTokenServer, type TokenServer } from './token-server.ts';

let server: TokenServer;

beforeAll(async () => {
  server = await startTokenServer();
});
afterAll(async () => {
  await server.close();
});

function freshApp(tokenSource: 'token' | 'stable_token' = 'token') {
  return { appid: `wx${randomUUID().replaceAll('-', '').slice(0, 16)}`, secret: server.secret, tokenSource };
}

function countFor(path: string): number {
  return server.counts.get(path) ?? 0;
}

interface Store {
  name: string;
  skip: boolean;
  open(): Promise<SharedState>;
}

const stores: Store[] = [
  { name: 'in-process store', skip: false, open: async () => new MemorySharedState() },
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

for (const store of stores) {
  describe.skipIf(store.skip)(`app access_token cache on the ${store.name}`, () => {
    const opened: SharedState[] = [];
    const client = async (options: { tokenRefreshAheadMs?: number } = {}): Promise<WechatClient> => {
      const state = await store.open();
      opened.push(state);
      return createWechatClient({ state, endpoints: { api: server.url }, timeoutMs: 5_000, ...options });
    };
    afterEach(async () => {
      server.delayMs = 0;
      server.expiresIn = 7200;
      server.secret = 'right-secret';
      await Promise.all(opened.splice(0).map((state) => state.close()));
    });

    it('fetches the token once for 100 concurrent callers on one instance', async () => {
      server.delayMs = 50;
      const wechat = await client();
      const app = freshApp();
      const before = countFor('cgi-bin/token');
      const tokens = await Promise.all(Array.from({ length: 100 }, () => wechat.tokens.get(app)));
      expect(countFor('cgi-bin/token') - before).toBe(1);
      expect(new Set(tokens).size).toBe(1);
    });

    it.skipIf(store.name !== 'Redis')('fetches the token once for callers spread over three instances sharing Redis', async () => {
      server.delayMs = 50;
      // Three separate Redis connections with one key prefix: three weunion instances of one cluster.
      const prefix = `weunion-test:${randomUUID()}:`;
      const shared = await Promise.all(
        [1, 2, 3].map(async () => {
          const state = new RedisSharedState({ url: process.env.REDIS_URL ?? '', prefix });
          await state.connect();
          opened.push(state);
          return createWechatClient({ state, endpoints: { api: server.url } });
        }),
      );
      const app = freshApp();
      const before = countFor('cgi-bin/token');
      const tokens = await Promise.all(Array.from({ length: 99 }, (_, i) => shared[i % 3]?.tokens.get(app)));
      expect(countFor('cgi-bin/token') - before).toBe(1);
      expect(new Set(tokens).size).toBe(1);
    });

    it('serves later calls from the cache and exposes the cached token with its expiry', async () => {
      const wechat = await client();
      const app = freshApp();
      expect(await wechat.tokens.peek(app.appid)).toBeNull();
      const token = await wechat.tokens.get(app);
      const before = countFor('cgi-bin/token');
      expect(await wechat.tokens.get(app)).toBe(token);
      expect(countFor('cgi-bin/token')).toBe(before);
      const cached = await wechat.tokens.peek(app.appid);
      expect(cached).toMatchObject({ appid: app.appid, accessToken: token, source: 'token' });
      expect(cached?.refreshAt).toBeLessThan(cached?.expiresAt ?? 0);
    });

    it('replaces a rejected token once for 50 concurrent callers and retries each call once', async () => {
      const wechat = await client();
      const app = freshApp();
      await wechat.tokens.get(app);
      server.revokeAll();
      server.delayMs = 50;
      const before = countFor('cgi-bin/token');
      const users = await Promise.all(Array.from({ length: 50 }, () => wechat.officialAccount.getUser(app, 'oPerson')));
      expect(users.every((user) => user.subscribed === false)).toBe(true);
      expect(countFor('cgi-bin/token') - before).toBe(1);
    });

    it('replaces a token that 20 app backends report as rejected with one fetch, and keeps it', async () => {
      const wechat = await client();
      const app = freshApp();
      const old = await wechat.tokens.get(app);
      const before = countFor('cgi-bin/token');
      const replacements = await Promise.all(Array.from({ length: 20 }, () => wechat.tokens.get(app, { rejected: old })));
      expect(countFor('cgi-bin/token') - before).toBe(1);
      expect(new Set(replacements).size).toBe(1);
      expect(replacements[0]).not.toBe(old);
      expect((await wechat.tokens.peek(app.appid))?.accessToken).toBe(replacements[0]);
    });

    it('refreshes ahead of expiry while the old token still works', async () => {
      // WeChat announces 2 s; the 15 s refresh window is capped at half the life, so the token is due after 1 s.
      server.expiresIn = 2;
      const wechat = await client({ tokenRefreshAheadMs: 15_000 });
      const app = freshApp();
      const first = await wechat.tokens.get(app);
      const cached = await wechat.tokens.peek(app.appid);
      expect(cached?.refreshAt).toBeLessThan(cached?.expiresAt ?? 0);
      // Wait until the refresh window opens, then ask again.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, (cached?.refreshAt ?? 0) - Date.now() + 20)));
      const second = await wechat.tokens.get(app);
      expect(second).not.toBe(first);
    });

    it('refreshes a stable_token ahead of expiry without spending a force_refresh', async () => {
      server.expiresIn = 2;
      const wechat = await client({ tokenRefreshAheadMs: 15_000 });
      const app = freshApp('stable_token');
      const forcedBefore = server.stableForceRefresh.length;
      await wechat.tokens.get(app);
      const cached = await wechat.tokens.peek(app.appid);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, (cached?.refreshAt ?? 0) - Date.now() + 20)));
      await wechat.tokens.get(app);
      expect(server.stableForceRefresh.slice(forcedBefore)).toEqual([false, false]);
    });

    it('fails every waiting caller with the holder’s error when the secret is wrong, with one request', async () => {
      server.delayMs = 50;
      const wechat = await client();
      const app = { ...freshApp(), secret: 'wrong-secret-value' };
      const before = countFor('cgi-bin/token');
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => wechat.tokens.get(app)));
      expect(countFor('cgi-bin/token') - before).toBe(1);
      for (const result of results) {
        expect(result.status).toBe('rejected');
        if (result.status === 'rejected') {
          expect(result.reason).toBeInstanceOf(AppError);
          expect(result.reason).toMatchObject({ code: 'wechat_credentials_invalid' });
          expect(String(result.reason.message)).not.toContain('wrong-secret-value');
        }
      }
    });

    it('uses cgi-bin/stable_token when configured, forcing a refresh only when the same token comes back', async () => {
      const wechat = await client();
      const app = freshApp('stable_token');
      const before = countFor('cgi-bin/token');
      const forcedBefore = server.stableForceRefresh.length;
      await wechat.tokens.get(app);
      server.revokeAll();
      const user = await wechat.officialAccount.getUser(app, 'oPerson');
      expect(user.subscribed).toBe(false);
      expect(countFor('cgi-bin/token')).toBe(before);
      // First fetch normal; after the rejection, normal again (same token back), then forced.
      expect(server.stableForceRefresh.slice(forcedBefore)).toEqual([false, false, true]);
    });
  });
}

import { randomUUID } from 'node:crypto';
import { MemorySharedState, RedisSharedState, type SharedState } from '@weunion/state';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { databaseBackends } from '../storage/test-backends.ts';
import { buildApp } from './app.ts';
import { RateLimiter } from './rate-limit.ts';

const redisUrl = process.env.REDIS_URL;
const rule = { name: 'test', limit: 3, windowMs: 60_000 };

describe('rate limits', () => {
  const opened: SharedState[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()));
  });

  it('allow the limit, refuse the next call with retryAfterSeconds, and open a new window once it ends', async () => {
    const limiter = new RateLimiter(new MemorySharedState());
    for (const remaining of [2, 1, 0]) expect(await limiter.consume(rule, 'ip-1')).toEqual({ remaining });
    const refused = await limiter.consume(rule, 'ip-1').catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'rate_limited', details: { retryAfterSeconds: 60, limit: 3 } });
    expect(await limiter.consume(rule, 'ip-2')).toEqual({ remaining: 2 });
    const short = { name: 'short', limit: 1, windowMs: 100 };
    await limiter.consume(short, 'ip-1');
    await expect(limiter.consume(short, 'ip-1')).rejects.toMatchObject({ code: 'rate_limited' });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await limiter.consume(short, 'ip-1')).toEqual({ remaining: 0 });
  });

  it('a call refused by one rule uses up none of the others', async () => {
    const state = new MemorySharedState();
    const limiter = new RateLimiter(state);
    const perIp = { name: 'per-ip', limit: 2, windowMs: 60_000 };
    const perApp = { name: 'per-app', limit: 3, windowMs: 60_000 };
    // The IP runs out first: its refused calls leave the app's budget alone.
    for (let i = 0; i < 5; i++)
      await limiter
        .consumeAll([
          [perIp, 'ip-1'],
          [perApp, 'app'],
        ])
        .catch(() => {});
    expect(await state.get('rate:per-app:app')).toBe('2');
    expect(await state.get('rate:per-ip:ip-1')).toBe('2');
    // The app runs out: the refused call gives back what it counted against the new IP.
    await limiter.consumeAll([
      [perIp, 'ip-2'],
      [perApp, 'app'],
    ]);
    await expect(
      limiter.consumeAll([
        [perIp, 'ip-3'],
        [perApp, 'app'],
      ]),
    ).rejects.toMatchObject({ code: 'rate_limited' });
    expect(await state.get('rate:per-ip:ip-3')).toBe('0');
    expect(await state.get('rate:per-app:app')).toBe('3');
  });

  it.skipIf(redisUrl === undefined)('count one allowance across two instances sharing Redis', async () => {
    const prefix = `test:${randomUUID()}:`;
    const a = new RedisSharedState({ url: redisUrl ?? '', prefix });
    const b = new RedisSharedState({ url: redisUrl ?? '', prefix });
    opened.push(a, b);
    await Promise.all([a.connect(), b.connect()]);
    const [one, two] = [new RateLimiter(a), new RateLimiter(b)];
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? one : two).consume(rule, 'appid-x')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
  });

  it('a refused request is a 429 problem with Retry-After', async () => {
    const sqlite = databaseBackends.find((b) => b.name === 'sqlite');
    if (sqlite === undefined) throw new Error('no sqlite');
    const database = await sqlite.open();
    const state = new MemorySharedState();
    const limiter = new RateLimiter(state);
    const app = await buildApp(
      { config: loadConfig({}), database, state },
      {
        logger: pino({ level: 'silent' }),
        plugins: [
          async (instance) => {
            instance.get('/limited', async (request) => {
              await limiter.consume({ name: 'limited', limit: 1, windowMs: 60_000 }, request.ip);
              return { ok: true };
            });
          },
        ],
      },
    );
    try {
      expect((await app.inject({ method: 'GET', url: '/limited' })).statusCode).toBe(200);
      const refused = await app.inject({ method: 'GET', url: '/limited' });
      expect(refused.statusCode).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.json()).toMatchObject({ code: 'rate_limited' });
    } finally {
      await app.close();
      await database.dispose();
    }
  });
});

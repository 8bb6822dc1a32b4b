/**
 * Rate limits of the app logins, over HTTP: per client IP before anything else, and per openid once
 * WeChat has named the person — a refused call is a 429 with Retry-After and reaches no WeChat API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { APP_LOGIN_LIMITS } from './limits.ts';
import { DEMO_MINI_PROGRAM, storageModes, TestWorld } from './test-world.ts';

const embedded = storageModes.find((m) => m.name === 'embedded');

describe.skipIf(embedded === undefined)('app-login rate limits', () => {
  let world: TestWorld;
  beforeAll(async () => {
    if (embedded === undefined) throw new Error('no embedded mode');
    world = await TestWorld.start(embedded);
  });
  afterAll(async () => {
    await world?.close();
  });

  async function jscode2sessionCalls(): Promise<number> {
    const stats = z.object({ calls: z.record(z.string(), z.record(z.string(), z.number())) }).parse(await world.sandbox('GET', '/stats'));
    return stats.calls['sns/jscode2session']?.[DEMO_MINI_PROGRAM.appid] ?? 0;
  }

  it('one person logging in too often is refused with 429 and Retry-After', async () => {
    const person = await world.person();
    const { appid } = DEMO_MINI_PROGRAM;
    // The limit is 20 a minute in fixed windows: 41 tries exceed it in some window even when the
    // run straddles a minute boundary, so this does not depend on the clock.
    let response: Response | undefined;
    for (let i = 0; i < 41; i++) {
      response = await fetch(`${world.url}/api/mp/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appid, code: await world.jsLogin(person, appid) }),
      });
      if (response.status !== 200) break;
    }
    expect(response?.status).toBe(429);
    expect(Number(response?.headers.get('retry-after'))).toBeGreaterThan(0);
    // Someone else is not held back by it.
    await world.ok('POST', '/api/mp/login', { appid, code: await world.jsLogin(await world.person(), appid) });
  });

  it('one client IP calling too often is refused before WeChat is called', async () => {
    const { appid } = DEMO_MINI_PROGRAM;
    let refused = 0;
    // Twice the limit and one: over it in some fixed window wherever the minute boundary falls.
    for (let i = 0; i <= 2 * APP_LOGIN_LIMITS.perIp.limit && refused === 0; i++) {
      const answer = await world.call('POST', '/api/mp/login', { appid, code: `bogus${i}` });
      if (answer.status === 429) refused++;
    }
    expect(refused).toBeGreaterThan(0);
    const before = await jscode2sessionCalls();
    const answer = await world.call('POST', '/api/mp/login', { appid, code: 'bogus' });
    expect(answer.status).toBe(429);
    expect(answer.body.code).toBe('rate_limited');
    expect(await jscode2sessionCalls()).toBe(before);
  });
});

/**
 * The login history from real logins through the WeChat sandbox over HTTP (browser S2, app S5, a
 * refused app login, a redirect flow ending on the error page): each lands once, with its person,
 * scenario, app, IP and user agent, readable overall and per person through the management API.
 * Then, on both storage backends: the retention sweep deletes only old rows, in bounded batches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdminKey } from '../admin-keys/store.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';
import { listLoginEvents, recordLoginEvent, SWEEP_BATCH, sweepLoginHistory } from './history.ts';
import { Browser, demo, LoginWorld, loginWithS2, storageModes } from './test-harness.ts';

const eventSchema = z.object({
  id: z.string(),
  at: z.number(),
  outcome: z.enum(['succeeded', 'failed']),
  userId: z.string().nullable(),
  scenario: z.string().nullable(),
  appid: z.string().nullable(),
  clientId: z.string().nullable(),
  reason: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
});
const pageSchema = z.object({ events: z.array(eventSchema), nextCursor: z.string().nullable() });

for (const mode of storageModes.filter((m) => m.name === 'embedded')) {
  describe.skipIf(mode.skip)(`login history from real logins (${mode.name})`, () => {
    let world: LoginWorld;
    let key: string;
    beforeAll(async () => {
      world = await LoginWorld.start(mode);
      key = (await createAdminKey(world.database.db, 'history tests', SYSTEM_ACTOR)).key;
    });
    afterAll(async () => {
      await world?.close();
    });

    const read = async (path: string) => {
      const response = await fetch(`${world.first.url}/api/v1${path}`, { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(200);
      return pageSchema.parse(await response.json());
    };
    const miniProgramLogin = async (person: string, userAgent: string) => {
      const appid = demo('miniProgram').appid;
      const code = z.string().parse((await world.sandbox('POST', '/actions/js-login', { personId: person, appid })).code);
      return fetch(`${world.first.url}/api/mp/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': userAgent },
        body: JSON.stringify({ appid, code }),
      });
    };

    it('records a browser login and an app login with person, scenario, app, IP and user agent', async () => {
      const person = await world.person('Historic');
      expect(await loginWithS2(world, world.first, new Browser(), person)).toBe('/app');
      const app = await miniProgramLogin(person, 'MicroMessenger/8.0.50 history-test');
      expect(app.status).toBe(200);
      const userId = z.object({ userId: z.string() }).parse(await app.json()).userId;

      const mine = await read(`/users/${userId}/login-events`);
      expect(mine.events.map((e) => [e.outcome, e.scenario, e.appid])).toEqual([
        ['succeeded', 's5', demo('miniProgram').appid],
        ['succeeded', 's2', demo('website').appid],
      ]);
      expect(mine.events[0]?.userAgent).toBe('MicroMessenger/8.0.50 history-test');
      for (const event of mine.events) {
        expect(event.userId).toBe(userId);
        expect(event.ip).toMatch(/127\.0\.0\.1|::1/);
      }
      const overall = await read('/login-events?outcome=succeeded&scenario=s5&limit=200');
      expect(overall.events.some((e) => e.id === mine.events[0]?.id)).toBe(true);
      expect(overall.events.every((e) => e.scenario === 's5' && e.outcome === 'succeeded')).toBe(true);
    });

    it('records a login WeChat refuses, and a redirect flow ending on the error page, with the reason', async () => {
      const appid = demo('miniProgram').appid;
      const person = await world.person();
      await world.sandbox('PUT', '/faults', { appid, quota: 'daily' });
      try {
        const refused = await miniProgramLogin(person, 'refused-agent');
        expect(refused.status).toBeGreaterThanOrEqual(400);
      } finally {
        await world.sandbox('DELETE', '/faults');
      }
      const browser = new Browser();
      const start = await browser.fetch(`${world.first.url}/login/s2?returnTo=%2Fapp`);
      const state = z.string().parse(new URL(z.string().parse(start.headers.get('location'))).searchParams.get('state'));
      await browser.fetch(`${world.first.url}/login/s2/callback?code=not-a-real-code&state=${state}`);

      const failures = await read('/login-events?outcome=failed&limit=20');
      const quota = failures.events.find((e) => e.userAgent === 'refused-agent');
      expect(quota).toMatchObject({ outcome: 'failed', scenario: 's5', appid, reason: 'wechat_quota_exceeded', userId: null });
      expect(failures.events.some((e) => e.scenario === 's2' && e.reason !== null)).toBe(true);
    });

    it('pages overall history by cursor without repeats', async () => {
      const first = await read('/login-events?limit=2');
      expect(first.events).toHaveLength(2);
      expect(first.nextCursor).not.toBeNull();
      const second = await read(`/login-events?limit=2&cursor=${first.nextCursor}`);
      const ids = [...first.events, ...second.events].map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort().reverse()).toEqual(ids);
    });
  });
}

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`login history storage: ${backend.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await backend.open();
    });
    afterAll(async () => {
      await database?.dispose();
    });

    it('the retention sweep deletes only rows older than the cut-off, a bounded batch at a time', async () => {
      const old = Date.UTC(2025, 0, 1);
      const recent = Date.UTC(2026, 5, 1);
      const rows = SWEEP_BATCH + 5;
      await database.db
        .insertInto('login_events')
        .values(
          Array.from({ length: rows }, (_, i) => ({
            id: `lge_0${i.toString().padStart(22, '0')}`,
            at: old + i,
            outcome: 'failed' as const,
          })),
        )
        .execute();
      await recordLoginEvent(database.db, { outcome: 'succeeded', userId: 'usr_kept', at: recent });
      expect(await sweepLoginHistory(database.db, recent - 1, 1)).toBe(SWEEP_BATCH);
      expect(await sweepLoginHistory(database.db, recent - 1)).toBe(5);
      const left = await listLoginEvents(database.db, { limit: 10 });
      expect(left.events.map((e) => e.userId)).toEqual(['usr_kept']);
      const kept = await listLoginEvents(database.db, { userId: 'usr_kept', from: recent, to: recent + 1, limit: 10 });
      expect(kept.events).toHaveLength(1);
      expect((await listLoginEvents(database.db, { userId: 'usr_kept', from: recent + 1, limit: 10 })).events).toHaveLength(0);
    });
  });
}

/**
 * Login statistics from real logins through the WeChat sandbox over HTTP (browser S2, app S5):
 * each completed login lands in its scenario's and app's bucket, a new user counts once, and a
 * login WeChat refuses counts as a failure under the problem code the person got. Then the
 * endpoint's bucketing: zero-filled, aligned to the viewer's offset, at most 400 buckets. Both
 * storage backends for the counters themselves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdminKey } from '../admin-keys/store.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { Browser, demo, LoginWorld, loginWithS2, storageModes } from '../login/test-harness.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';
import { incrementLoginStat, readLoginStats } from './login-stats.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const statsSchema = z.object({
  buckets: z.array(z.number()),
  logins: z.object({
    total: z.array(z.number()),
    byScenario: z.record(z.string(), z.array(z.number())),
    byApp: z.record(z.string(), z.array(z.number())),
    byApplication: z.record(z.string(), z.array(z.number())),
  }),
  newUsers: z.array(z.number()),
  failures: z.object({ total: z.array(z.number()), byReason: z.record(z.string(), z.array(z.number())) }),
});
const sum = (values: number[] | undefined) => (values ?? []).reduce((a, b) => a + b, 0);

for (const mode of storageModes.filter((m) => m.name === 'embedded')) {
  describe.skipIf(mode.skip)(`login statistics from real logins (${mode.name})`, () => {
    let world: LoginWorld;
    let key: string;
    beforeAll(async () => {
      world = await LoginWorld.start(mode);
      key = (await createAdminKey(world.database.db, 'stats tests', SYSTEM_ACTOR)).key;
    });
    afterAll(async () => {
      await world?.close();
    });

    const stats = async (query = 'bucket=hour') => {
      const response = await fetch(`${world.first.url}/api/v1/stats/logins?${query}`, { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(200);
      return statsSchema.parse(await response.json());
    };

    it('counts each completed login by scenario and app, and a new user once', async () => {
      const person = await world.person('Counted');
      const before = await stats();
      expect(await loginWithS2(world, world.first, new Browser(), person)).toBe('/app');
      expect(await loginWithS2(world, world.first, new Browser(), person)).toBe('/app');
      const code = z
        .string()
        .parse((await world.sandbox('POST', '/actions/js-login', { personId: person, appid: demo('miniProgram').appid })).code);
      const app = await fetch(`${world.first.url}/api/mp/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appid: demo('miniProgram').appid, code }),
      });
      expect(app.status).toBe(200);

      const after = await stats();
      expect(sum(after.logins.total) - sum(before.logins.total)).toBe(3);
      expect(sum(after.logins.byScenario.s2) - sum(before.logins.byScenario.s2)).toBe(2);
      expect(sum(after.logins.byScenario.s5) - sum(before.logins.byScenario.s5)).toBe(1);
      expect(sum(after.logins.byApp[demo('website').appid]) - sum(before.logins.byApp[demo('website').appid])).toBe(2);
      expect(sum(after.logins.byApp[demo('miniProgram').appid]) - sum(before.logins.byApp[demo('miniProgram').appid])).toBe(1);
      // The same person through two apps of one Open Platform account: one user, created once.
      expect(sum(after.newUsers) - sum(before.newUsers)).toBe(1);
    });

    it('counts a login WeChat refuses under the problem code the person got', async () => {
      const before = await stats();
      const appid = demo('miniProgram').appid;
      const person = await world.person();
      await world.sandbox('PUT', '/faults', { appid, quota: 'daily' });
      try {
        const code = z.string().parse((await world.sandbox('POST', '/actions/js-login', { personId: person, appid })).code);
        const refused = await fetch(`${world.first.url}/api/mp/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ appid, code }),
        });
        expect(z.object({ code: z.string() }).parse(await refused.json()).code).toBe('wechat_quota_exceeded');
      } finally {
        await world.sandbox('DELETE', '/faults');
      }
      const after = await stats();
      expect(sum(after.failures.byReason.wechat_quota_exceeded) - sum(before.failures.byReason.wechat_quota_exceeded)).toBe(1);
      expect(sum(after.failures.total) - sum(before.failures.total)).toBe(1);
      expect(sum(after.logins.total)).toBe(sum(before.logins.total));
    });

    it('counts a redirect flow that ends on the error page under its code', async () => {
      const before = await stats();
      const browser = new Browser();
      const start = await browser.fetch(`${world.first.url}/login/s2?returnTo=%2Fapp`);
      const qrconnect = z.string().parse(start.headers.get('location'));
      const state = z.string().parse(new URL(qrconnect).searchParams.get('state'));
      const back = await browser.fetch(`${world.first.url}/login/s2/callback?code=not-a-real-code&state=${state}`);
      const errorPage = new URL(z.string().parse(back.headers.get('location')), world.first.url);
      const reason = z.string().parse(errorPage.searchParams.get('code'));
      const after = await stats();
      expect(sum(after.failures.byReason[reason]) - sum(before.failures.byReason[reason])).toBe(1);
    });

    it('refuses more than 400 buckets with a 400 problem', async () => {
      const response = await fetch(`${world.first.url}/api/v1/stats/logins?bucket=hour&from=0&to=${401 * HOUR}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(response.status).toBe(400);
      expect(z.object({ code: z.string() }).parse(await response.json()).code).toBe('bad_request');
    });
  });
}

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`login statistics counters: ${backend.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await backend.open();
    });
    afterAll(async () => {
      await database?.dispose();
    });

    it('concurrent increments of one counter all count', async () => {
      const at = Date.UTC(2026, 0, 5, 10, 30);
      await Promise.all(
        Array.from({ length: 20 }, () => incrementLoginStat(database.db, { metric: 'login', scenario: 's4', appid: 'wxa', at })),
      );
      const stats = await readLoginStats(database.db, {
        from: Date.UTC(2026, 0, 5),
        to: Date.UTC(2026, 0, 6),
        bucket: 'day',
        tzOffsetMinutes: 0,
      });
      expect(stats.logins.total).toEqual([20]);
      expect(stats.logins.byScenario).toEqual({ s4: [20] });
      expect(stats.logins.byApplication).toEqual({});
    });

    it('buckets days from the viewer’s midnight, every bucket present and zero-filled', async () => {
      // 2026-02-01 23:30 UTC is 2026-02-02 07:30 in China (UTC+8).
      await incrementLoginStat(database.db, { metric: 'login', clientId: 'app-1', at: Date.UTC(2026, 1, 1, 23, 30) });
      await incrementLoginStat(database.db, { metric: 'failure', reason: 'login_expired', at: Date.UTC(2026, 1, 3, 1) });
      const china = 480;
      const from = Date.UTC(2026, 1, 1) - china * 60_000;
      const stats = await readLoginStats(database.db, { from, to: from + 4 * DAY, bucket: 'day', tzOffsetMinutes: china });
      expect(stats.buckets).toEqual([0, 1, 2, 3].map((i) => from + i * DAY));
      expect(stats.logins.total).toEqual([0, 1, 0, 0]);
      expect(stats.logins.byApplication).toEqual({ 'app-1': [0, 1, 0, 0] });
      expect(stats.failures.byReason).toEqual({ login_expired: [0, 0, 1, 0] });
      expect(stats.newUsers).toEqual([0, 0, 0, 0]);
      const utc = await readLoginStats(database.db, {
        from: Date.UTC(2026, 1, 1),
        to: Date.UTC(2026, 1, 3),
        bucket: 'day',
        tzOffsetMinutes: 0,
      });
      expect(utc.logins.total).toEqual([1, 0]);
    });
  });
}

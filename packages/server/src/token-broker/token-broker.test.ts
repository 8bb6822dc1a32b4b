/**
 * The WeChat token broker over real HTTP against the sandbox, on embedded and scale-out storage:
 * a backend gets the very token weunion's own client holds (no second WeChat fetch), a refresh
 * happens only for the token that is still current, token-reader keys reach nothing else, and
 * reads are rate-limited per key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdminKey } from '../admin-keys/store.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { demo, LoginWorld, storageModes } from '../login/test-harness.ts';
import { TOKEN_READS_PER_KEY } from './routes.ts';

const OA = demo('officialAccount');
const MP = demo('miniProgram');
const statsSchema = z.object({ calls: z.record(z.string(), z.record(z.string(), z.number())) });
const tokenSchema = z.object({ access_token: z.string().min(1), expires_in: z.number().int().positive() }).strict();

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`token broker: ${mode.name}`, () => {
    let world: LoginWorld;
    let oaId: string;
    let mpId: string;
    let webId: string;
    let full: string;
    let reader: string;

    beforeAll(async () => {
      world = await LoginWorld.start(mode);
      const rows = await world.database.db.selectFrom('connections').select(['id', 'appid', 'app_type']).execute();
      const idOf = (appid: string) => rows.find((r) => r.appid === appid)?.id ?? '';
      oaId = idOf(OA.appid);
      mpId = idOf(MP.appid);
      webId = rows.find((r) => r.app_type === 'website')?.id ?? '';
      full = (await createAdminKey(world.database.db, 'full', SYSTEM_ACTOR)).key;
      reader = (await createAdminKey(world.database.db, 'sender', SYSTEM_ACTOR, [oaId])).key;
    });
    afterAll(async () => {
      await world?.close();
    });

    const api = async (key: string, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${world.first.url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as unknown };
    };
    const tokenFetches = async (appid: string) =>
      statsSchema.parse(await world.sandbox('GET', '/stats')).calls['cgi-bin/token']?.[appid] ?? 0;

    it("hands out the token weunion's own client holds; a second read costs WeChat nothing", async () => {
      const before = await tokenFetches(OA.appid);
      const first = tokenSchema.parse((await api(reader, 'GET', `/connections/${oaId}/access-token`)).body);
      const second = tokenSchema.parse((await api(reader, 'GET', `/connections/${oaId}/access-token`)).body);
      expect(second.access_token).toBe(first.access_token);
      expect(await tokenFetches(OA.appid)).toBe(before + 1);
      expect((await world.first.app.ctx.wechat.tokens.peek(OA.appid))?.accessToken).toBe(first.access_token);
      expect(JSON.stringify(first)).not.toContain('secret');

      const ticket = await api(reader, 'GET', `/connections/${oaId}/jsapi-ticket`);
      expect(ticket.status).toBe(200);
      expect(z.object({ ticket: z.string().min(1), expires_in: z.number().int().positive() }).parse(ticket.body).ticket).not.toBe('');
      expect(await tokenFetches(OA.appid)).toBe(before + 1);

      const mp = await api(full, 'GET', `/connections/${mpId}/access-token`);
      expect(mp.status).toBe(200);
      expect(tokenSchema.parse(mp.body).access_token).not.toBe(first.access_token);
    });

    it('refreshes only while the reported token is the current one, once for many reports', async () => {
      const current = tokenSchema.parse((await api(reader, 'GET', `/connections/${oaId}/access-token`)).body).access_token;
      const stale = await api(reader, 'POST', `/connections/${oaId}/access-token/refresh`, { invalidToken: 'some-older-token' });
      expect(tokenSchema.parse(stale.body).access_token).toBe(current);
      const before = await tokenFetches(OA.appid);
      const reports = await Promise.all(
        Array.from({ length: 4 }, () => api(reader, 'POST', `/connections/${oaId}/access-token/refresh`, { invalidToken: current })),
      );
      const fresh = new Set(reports.map((r) => tokenSchema.parse(r.body).access_token));
      expect(fresh.size).toBe(1);
      expect(fresh.has(current)).toBe(false);
      expect(await tokenFetches(OA.appid)).toBe(before + 1);
      expect((await world.first.app.ctx.wechat.tokens.peek(OA.appid))?.accessToken).toBe([...fresh][0]);
    });

    it('keeps a token-reader key to its connections and refuses everything else; bad requests are clear problems', async () => {
      expect((await api(reader, 'GET', `/connections/${mpId}/access-token`)).status).toBe(403);
      expect((await api(reader, 'GET', '/users')).status).toBe(403);
      expect((await api(reader, 'GET', `/connections/${oaId}`)).status).toBe(403);
      expect((await api(reader, 'POST', '/admin-keys', { name: 'escalate' })).status).toBe(403);
      const wrongType = await api(full, 'GET', `/connections/${mpId}/jsapi-ticket`);
      expect(wrongType.status).toBe(400);
      expect(wrongType.type).toMatch(/^application\/problem\+json/);
      expect((await api(full, 'GET', `/connections/${webId}/access-token`)).status).toBe(400);
      expect((await api(full, 'GET', '/connections/nope/access-token')).status).toBe(404);
      const bare = await api(full, 'POST', '/connections', {
        id: 'oa-no-secret',
        name: 'No secret',
        appType: 'official_account',
        appid: 'wx0000000000abcdef',
        scenarios: ['s1'],
      });
      expect(bare.status).toBe(201);
      const noSecret = await api(full, 'GET', '/connections/oa-no-secret/access-token');
      expect(noSecret.status).toBe(409);
      expect(noSecret.body).toMatchObject({ code: 'conflict' });
      // An app WeChat does not know (40013): the WeChat problem, and the secret goes nowhere.
      const secret = 'b'.repeat(32);
      expect(
        (
          await api(full, 'POST', '/connections', {
            id: 'oa-unknown',
            name: 'Unknown to WeChat',
            appType: 'official_account',
            appid: 'wx0000000000fedcba',
            secret,
            scenarios: ['s1'],
          })
        ).status,
      ).toBe(201);
      const refused = await api(full, 'GET', '/connections/oa-unknown/access-token');
      expect(refused.status).toBe(502);
      expect(refused.type).toMatch(/^application\/problem\+json/);
      expect(refused.body).toMatchObject({ code: 'wechat_credentials_invalid' });
      expect(JSON.stringify(refused.body)).not.toContain(secret);
      expect((await api(full, 'POST', `/connections/${oaId}/access-token/refresh`, {})).status).toBe(400);

      const created = await api(full, 'POST', '/admin-keys', { name: 'mp sender', scope: 'tokens:read', connections: [mpId] });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ adminKey: { scope: 'tokens:read', connections: [mpId] } });
      expect((await api(full, 'POST', '/admin-keys', { name: 'x', scope: 'tokens:read' })).status).toBe(400);
      expect((await api(full, 'POST', '/admin-keys', { name: 'x', scope: 'tokens:read', connections: ['nope'] })).status).toBe(400);
      const listed = z.object({
        adminKeys: z.array(
          z.looseObject({ name: z.string(), scope: z.string(), lastUsedAt: z.number().nullable(), tokenReads: z.array(z.unknown()) }),
        ),
      });
      const keys = listed.parse((await api(full, 'GET', '/admin-keys')).body).adminKeys;
      expect(keys.find((k) => k.name === 'sender')).toMatchObject({ scope: 'tokens:read', lastUsedAt: expect.any(Number) });
      // 2 reads + 1 ticket in the first test, 1 read + 5 refresh reports in the second; refused reads do not count.
      expect(keys.find((k) => k.name === 'sender')?.tokenReads).toEqual([{ connectionId: oaId, count: 9, lastReadAt: expect.any(Number) }]);
      expect(keys.find((k) => k.name === 'full')?.scope).toBe('full');
    });

    it(`answers 429 past ${TOKEN_READS_PER_KEY.limit} reads a window for one key, without touching other keys`, async () => {
      const busy = (await createAdminKey(world.database.db, 'busy', SYSTEM_ACTOR, [oaId])).key;
      const statuses: number[] = [];
      for (let i = 0; i < TOKEN_READS_PER_KEY.limit; i += 1)
        statuses.push((await api(busy, 'GET', `/connections/${oaId}/access-token`)).status);
      expect(statuses.every((s) => s === 200)).toBe(true);
      const refused = await api(busy, 'GET', `/connections/${oaId}/access-token`);
      expect(refused.status).toBe(429);
      expect((await api(reader, 'GET', `/connections/${oaId}/access-token`)).status).toBe(200);
    });
  });
}

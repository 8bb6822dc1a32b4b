/**
 * One person across the app logins, against the sandbox in both storage modes: through S5 (mini
 * program), S6 (mobile app) and S3's mini program confirm — apps on one Open Platform account —
 * they are one user. A mini program not yet bound to the Open Platform account signs in on the
 * openid alone; once bound, the unionid arrives and the two accounts are reconciled per policy.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { upsertConnection } from '../connections/store.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { DEFAULT_POLICY, type IdentityPolicy } from '../identity/policy.ts';
import { DEMO_MINI_PROGRAM, DEMO_MOBILE_APP, storageModes, TestWorld } from '../mp/test-world.ts';
import { parseTicketLoginResult } from '../mp/ticket-result.ts';

const signedIn = z.object({ outcome: z.literal('signed_in'), userId: z.string(), tokens: z.object({ refresh_token: z.string() }) });

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`one person across S5, S6 and S3 (${mode.name})`, () => {
    let world: TestWorld;
    beforeAll(async () => {
      world = await TestWorld.start(mode);
    });
    afterAll(async () => {
      await world?.close();
    });

    async function s5(person: string, appid: string = DEMO_MINI_PROGRAM.appid) {
      return signedIn.parse(await world.ok('POST', '/api/mp/login', { appid, code: await world.jsLogin(person, appid) }));
    }
    async function s6(person: string) {
      const { code } = await world.sandbox('POST', '/actions/app-login', { personId: person, appid: DEMO_MOBILE_APP.appid });
      return signedIn.parse(await world.ok('POST', '/api/app/login', { appid: DEMO_MOBILE_APP.appid, code }));
    }
    async function s3(person: string) {
      const appid = DEMO_MINI_PROGRAM.appid;
      const { ticket, secret } = await world.app.tickets.create({ kind: 's3', context: { connectionId: DEMO_MINI_PROGRAM.id, appid } });
      await world.ok('POST', `/api/mp/tickets/${ticket.id}/scan`, { appid, code: await world.jsLogin(person, appid) });
      await world.ok('POST', `/api/mp/tickets/${ticket.id}/confirm`, { appid, code: await world.jsLogin(person, appid) });
      const login = parseTicketLoginResult((await world.app.tickets.redeem(ticket.id, secret)).result);
      if (login.outcome !== 'signed_in') throw new Error(`S3 answered ${login.outcome}`);
      return login.userId;
    }

    /** A mini program the sandbox does not bind to any Open Platform account, and its connection. */
    async function unboundMiniProgram(id: string, policy: Partial<IdentityPolicy> = {}) {
      const app = await world.sandbox('POST', '/apps', { type: 'mini_program', openPlatformId: null });
      const appid = z.string().parse(app.appid);
      const input = {
        id,
        name: id,
        appType: 'mini_program' as const,
        appid,
        secret: z.string().parse(app.secret),
        openPlatformId: null,
        scenarios: ['s5' as const],
        policy: { ...DEFAULT_POLICY, ...policy },
        settings: { phoneNumber: 'optional' as const, reusePhone: true, webAuthScope: 'auto' as const, revealScanner: false },
      };
      await upsertConnection(world.database.db, world.app.ctx.secrets, input, { source: 'api', actor: SYSTEM_ACTOR });
      const bindInWechat = () => world.sandbox('POST', `/apps/${appid}/bind`, { openPlatformId: 'op_demo' });
      const bindConnection = () =>
        upsertConnection(
          world.database.db,
          world.app.ctx.secrets,
          { ...input, openPlatformId: 'op_demo' },
          { source: 'api', actor: SYSTEM_ACTOR },
        );
      const bind = async () => {
        await bindInWechat();
        await bindConnection();
      };
      return { appid, bind, bindInWechat, bindConnection };
    }

    it('S5, S6 and the S3 mini program confirm sign the same person in as one user', async () => {
      const person = await world.person();
      const viaMiniProgram = await s5(person);
      const viaApp = await s6(person);
      const viaPc = await s3(person);
      expect(viaApp.userId).toBe(viaMiniProgram.userId);
      expect(viaPc).toBe(viaMiniProgram.userId);
      const identities = await world.database.db
        .selectFrom('wechat_identities')
        .select(['appid', 'unionid'])
        .where('user_id', '=', viaMiniProgram.userId)
        .execute();
      expect(identities.map((i) => i.appid).sort()).toEqual([DEMO_MINI_PROGRAM.appid, DEMO_MOBILE_APP.appid].sort());
      expect(new Set(identities.map((i) => i.unionid)).size).toBe(1);
    });

    const selection = z.object({
      outcome: z.literal('select'),
      pendingId: z.string(),
      candidates: z.array(z.object({ userId: z.string(), via: z.array(z.string()) })),
    });

    for (const choice of ['the app account', 'the mini program account'] as const) {
      it(`bound later, the person is asked which account is theirs; after choosing ${choice}, S5, S6 and S3 all reach it`, async () => {
        const person = await world.person();
        const viaApp = await s6(person);
        const unbound = await unboundMiniProgram(`late-bound-${choice === 'the app account' ? 'app' : 'mp'}`);
        const first = await s5(person, unbound.appid);
        expect(first.userId).not.toBe(viaApp.userId);
        const row = await world.database.db
          .selectFrom('wechat_identities')
          .selectAll()
          .where('appid', '=', unbound.appid)
          .executeTakeFirstOrThrow();
        expect(row.unionid).toBeNull();
        await unbound.bind();
        // At the next login through either side, the person selects.
        const asked = selection.parse(
          await world.ok('POST', '/api/mp/login', { appid: unbound.appid, code: await world.jsLogin(person, unbound.appid) }),
        );
        expect(asked.candidates.map((c) => c.userId).sort()).toEqual([first.userId, viaApp.userId].sort());
        // An admin suggestion stays for people who never come back.
        const suggestion = await world.database.db
          .selectFrom('merge_suggestions')
          .selectAll()
          .where('appid', '=', unbound.appid)
          .executeTakeFirstOrThrow();
        expect(suggestion.status).toBe('open');
        expect([suggestion.user_id, suggestion.other_user_id].sort()).toEqual([first.userId, viaApp.userId].sort());
        const { code } = await world.sandbox('POST', '/actions/app-login', { personId: person, appid: DEMO_MOBILE_APP.appid });
        const askedToo = selection.parse(await world.ok('POST', '/api/app/login', { appid: DEMO_MOBILE_APP.appid, code }));
        expect(askedToo.candidates.map((c) => c.userId).sort()).toEqual([first.userId, viaApp.userId].sort());
        const chosen = choice === 'the app account' ? viaApp.userId : first.userId;
        const done = signedIn.parse(await world.ok('POST', `/api/app/pending/${asked.pendingId}/select`, { userId: chosen }));
        expect(done.userId).toBe(chosen);
        expect((await s5(person, unbound.appid)).userId).toBe(chosen);
        expect((await s6(person)).userId).toBe(chosen);
        expect(await s3(person)).toBe(chosen);
        expect((await s5(person)).userId).toBe(chosen);
        // The choice is recorded and undoable.
        const record = await world.database.db
          .selectFrom('merge_records')
          .selectAll()
          .where('target_user_id', '=', chosen)
          .executeTakeFirstOrThrow();
        expect(record.actor_kind).toBe('user');
      });
    }

    it('bound in WeChat only: the first unionid is surfaced (connection, /readyz, audit) with the Open Platform account it belongs to; binding the connection reconciles the person', async () => {
      const person = await world.person();
      const viaApp = await s6(person);
      const late = await unboundMiniProgram('wechat-only-bound');
      await late.bindInWechat();
      const split = await s5(person, late.appid);
      expect(split.userId).not.toBe(viaApp.userId);
      const connection = await world.database.db
        .selectFrom('connections')
        .select(['unionid_seen_at', 'detected_open_platform_id'])
        .where('appid', '=', late.appid)
        .executeTakeFirstOrThrow();
      expect(connection).toEqual({ unionid_seen_at: expect.any(Number), detected_open_platform_id: 'op_demo' });
      const ready = await world.ok('GET', '/readyz');
      expect(ready.warnings).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ code: 'unbound_unionid', appid: late.appid, connectionId: 'wechat-only-bound' }),
        ]),
      );
      const audit = await world.database.db
        .selectFrom('audit_log')
        .select('after')
        .where('action', '=', 'connection.unionid_unbound')
        .execute();
      expect(audit.some((a) => JSON.parse(a.after ?? '{}').appid === late.appid)).toBe(true);
      // The admin binds the connection: the person seen meanwhile is reconciled.
      await late.bindConnection();
      const suggestion = await world.database.db
        .selectFrom('merge_suggestions')
        .select(['user_id', 'other_user_id', 'status'])
        .where('appid', '=', late.appid)
        .executeTakeFirstOrThrow();
      expect(suggestion).toEqual({ user_id: split.userId, other_user_id: viaApp.userId, status: 'open' });
      expect(((await world.ok('GET', '/readyz')).warnings as { appid: string }[]).some((w) => w.appid === late.appid)).toBe(false);
      // The person's next login through the app that was never split asks them too.
      const { code } = await world.sandbox('POST', '/actions/app-login', { personId: person, appid: DEMO_MOBILE_APP.appid });
      const asked = selection.parse(await world.ok('POST', '/api/app/login', { appid: DEMO_MOBILE_APP.appid, code }));
      expect(asked.candidates.map((c) => c.userId).sort()).toEqual([split.userId, viaApp.userId].sort());
    });

    it('with autoMergeOnUnionid the late unionid merges the accounts, and the old refresh token follows to the merged account', async () => {
      const person = await world.person();
      const viaApp = await s6(person);
      const unbound = await unboundMiniProgram('late-bound-auto', { autoMergeOnUnionid: true });
      const first = await s5(person, unbound.appid);
      expect(first.userId).not.toBe(viaApp.userId);
      await unbound.bind();
      const later = await s5(person, unbound.appid);
      expect(later.userId).toBe(viaApp.userId);
      const refreshed = z
        .object({ id_token: z.string() })
        .parse(await world.ok('POST', '/api/token/refresh', { refresh_token: first.tokens.refresh_token }));
      const id = await jwtVerify(refreshed.id_token, createRemoteJWKSet(new URL(`${world.url}/jwks`)));
      expect(id.payload.sub).toBe(viaApp.userId);
    });
  });
}

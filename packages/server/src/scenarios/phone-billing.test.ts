/**
 * WeChat charges for every phone number it hands over (`getuserphonenumber`), so weunion buys one
 * only when it can change something (issue #13 item 10). Counted by the sandbox's billing stats,
 * over real HTTP, in both storage modes: never for a login resolution will refuse; never when the
 * person's account (by openid, or by unionid through another mini program) already has one; once
 * for a person's concurrent first logins; once when the number belongs to another account.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { upsertConnection } from '../connections/store.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { DEFAULT_POLICY, type IdentityPolicy } from '../identity/policy.ts';
import { storageModes, TestWorld } from '../mp/test-world.ts';

const answerSchema = z.object({ outcome: z.string(), userId: z.string().optional(), phoneSource: z.string().optional() });
let sequence = 0;

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`paying WeChat for phone numbers (${mode.name})`, () => {
    let world: TestWorld;
    beforeAll(async () => {
      world = await TestWorld.start(mode);
    });
    afterAll(async () => {
      await world?.close();
    });

    /** A mini program of the demo Open Platform account, with its own connection and policy. */
    async function miniProgram(policy: Partial<IdentityPolicy> = {}, openPlatformId: string | null = 'op_demo') {
      sequence += 1;
      const app = await world.sandbox('POST', '/apps', { type: 'mini_program', openPlatformId });
      const appid = z.string().parse(app.appid);
      await upsertConnection(
        world.database.db,
        world.app.ctx.secrets,
        {
          id: `billing-mp-${sequence}`,
          name: `billing ${sequence}`,
          appType: 'mini_program',
          appid,
          secret: z.string().parse(app.secret),
          openPlatformId,
          scenarios: ['s5'],
          policy: { ...DEFAULT_POLICY, ...policy },
          settings: { phoneNumber: 'optional', reusePhone: true, webAuthScope: 'auto', revealScanner: false },
        },
        { source: 'api', actor: SYSTEM_ACTOR },
      );
      return appid;
    }

    async function s5WithPhone(person: string, appid: string) {
      const answer = await world.call('POST', '/api/mp/login', {
        appid,
        code: await world.jsLogin(person, appid),
        phoneCode: await world.phoneCode(person, appid),
      });
      return { status: answer.status, body: answer.body, parsed: answerSchema.safeParse(answer.body).data };
    }

    it('a login resolution will refuse buys nothing: registration closed without phone matching, and a blocked account', async () => {
      const closed = await miniProgram({ registration: 'deny' });
      const stranger = await world.person();
      const refused = await s5WithPhone(stranger, closed);
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ code: 'login_refused' });
      expect(await world.billablePhoneCalls(closed)).toBe(0);

      const open = await miniProgram();
      const person = await world.person();
      const first = await s5WithPhone(person, open);
      expect(first.parsed).toMatchObject({ outcome: 'signed_in', phoneSource: 'wechat_code' });
      expect(await world.billablePhoneCalls(open)).toBe(1);
      await world.database.db.updateTable('users').set({ status: 'blocked' }).where('id', '=', String(first.parsed?.userId)).execute();
      await world.database.db.deleteFrom('user_identifiers').where('user_id', '=', String(first.parsed?.userId)).execute();
      await world.database.db
        .updateTable('wechat_identities')
        .set({ phone: null })
        .where('user_id', '=', String(first.parsed?.userId))
        .execute();
      const blocked = await s5WithPhone(person, open);
      expect(blocked.status).toBe(403);
      expect(await world.billablePhoneCalls(open)).toBe(1);
    });

    it('registration closed but phone matching on: the phone can find the account, so it is bought', async () => {
      const matching = await miniProgram({ registration: 'deny', fieldMatching: ['phone'] });
      const stranger = await world.person();
      await s5WithPhone(stranger, matching);
      expect(await world.billablePhoneCalls(matching)).toBe(1);
    });

    it('a second mini program of the same Open Platform account does not buy again: the account reached by unionid has it', async () => {
      const first = await miniProgram();
      const second = await miniProgram();
      const person = await world.person();
      const a = await s5WithPhone(person, first);
      const b = await s5WithPhone(person, second);
      expect(b.parsed).toMatchObject({ outcome: 'signed_in', userId: a.parsed?.userId, phoneSource: 'on_file' });
      expect(await world.billablePhoneCalls(first)).toBe(1);
      expect(await world.billablePhoneCalls(second)).toBe(0);
    });

    it('ten concurrent first logins of one person buy the phone once and make one account', async () => {
      const appid = await miniProgram();
      const person = await world.person();
      const answers = await Promise.all(Array.from({ length: 10 }, () => s5WithPhone(person, appid)));
      const users = new Set(answers.map((a) => a.parsed?.userId));
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(users.size).toBe(1);
      expect(await world.billablePhoneCalls(appid)).toBe(1);
    });

    it('a number another account holds (field matching off) is bought once, then kept on the WeChat identity', async () => {
      const appid = await miniProgram({}, null);
      const holder = await world.person({ phone: '+8613812340000' });
      await s5WithPhone(holder, await miniProgram({}, null));
      const newcomer = await world.person({ phone: '+8613812340000' });
      const first = await s5WithPhone(newcomer, appid);
      expect(first.parsed).toMatchObject({ outcome: 'signed_in', phoneSource: 'wechat_code' });
      const again = await s5WithPhone(newcomer, appid);
      expect(again.parsed).toMatchObject({ outcome: 'signed_in', userId: first.parsed?.userId, phoneSource: 'on_file' });
      expect(await world.billablePhoneCalls(appid)).toBe(1);
    });
  });
}

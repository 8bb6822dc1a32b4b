/**
 * Completing app logins that need the person (S5, S6, S7), over real HTTP against the sandbox, in
 * both storage modes: every binding method a policy offers works in every app channel; cancel
 * ends the pending sign-in; a `select` answer describes each candidate so its owner recognises it
 * (masked); failed binding attempts are limited across sign-ins, instances and client addresses;
 * and S7 applies the policy of the mobile app the person is logging in to.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { updateConnection } from '../connections/store.ts';
import { watchSentCodes } from '../hosted/pending-flows.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { BINDING_ATTEMPT_RULES } from '../identity/binding-attempts.ts';
import { DEFAULT_POLICY, type IdentityPolicy } from '../identity/policy.ts';
import { createUser } from '../identity/users.ts';
import { TICKET_SECRET_HEADER } from '../tickets/routes.ts';
import { type Answer, DEMO_MINI_PROGRAM, DEMO_MOBILE_APP, storageModes, TestWorld } from './test-world.ts';

const MP = DEMO_MINI_PROGRAM;
const MOBILE = DEMO_MOBILE_APP;
type AppScenario = 's5' | 's6' | 's7';
/** The connection whose policy governs each app login (S7: the mobile app that opened the mini program). */
const GOVERNING: Record<AppScenario, string> = { s5: MP.id, s6: MOBILE.id, s7: MOBILE.id };
/** The client the tokens are for. */
const CLIENT: Record<AppScenario, string> = { s5: MP.id, s6: MOBILE.id, s7: MOBILE.id };

let sequence = 0;
/** A client address of its own for each call site, so no test runs into another's per-IP limits. */
const newIp = () => {
  sequence += 1;
  return `10.${Math.floor(sequence / 250) % 250}.${sequence % 250}.${Math.floor(Math.random() * 250) + 1}`;
};
const randomPhone = () => `+86136${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
const randomEmail = () => `owner.${Math.floor(Math.random() * 1e9)}@example.com`;

const ticketSchema = z.object({ ticket: z.string(), secret: z.string() });
const candidateSchema = z
  .object({
    userId: z.string(),
    via: z.array(z.string()),
    nickname: z.string().nullable(),
    picture: z.string().nullable(),
    maskedPhone: z.string().nullable(),
    maskedEmail: z.string().nullable(),
    lastLoginAt: z.number().nullable(),
    lastLoginApp: z.string().nullable(),
  })
  .strict();
const selectSchema = z.object({ outcome: z.literal('select'), pendingId: z.string(), candidates: z.array(candidateSchema) });
const bindSchema = z.object({
  outcome: z.literal('bind'),
  pendingId: z.string(),
  methods: z.array(z.string()),
  mayCreateInstead: z.boolean(),
});

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`app logins that need the person (${mode.name})`, () => {
    let world: TestWorld;
    let codes: ReturnType<typeof watchSentCodes>;
    beforeAll(async () => {
      // Behind a "proxy", so each test can come from its own address (and one test from many).
      world = await TestWorld.start(mode, { TRUST_PROXY: 'loopback' });
      codes = watchSentCodes(world.app);
    });
    afterAll(async () => {
      await world?.close();
    });

    const from = (ip: string) => ({ 'x-forwarded-for': ip });

    async function setPolicy(connectionId: string, policy: Partial<IdentityPolicy>): Promise<void> {
      await updateConnection(
        world.database.db,
        world.app.ctx.secrets,
        connectionId,
        { policy: { ...DEFAULT_POLICY, ...policy } },
        SYSTEM_ACTOR,
      );
    }

    /** Runs `body` with these policies, then puts the defaults back. */
    async function withPolicies(policies: Record<string, Partial<IdentityPolicy>>, body: () => Promise<void>): Promise<void> {
      for (const [id, policy] of Object.entries(policies)) await setPolicy(id, policy);
      try {
        await body();
      } finally {
        for (const id of Object.keys(policies)) await setPolicy(id, {});
      }
    }

    /** An account made before any WeChat login: verified phone and email, a password. */
    async function existingAccount(extra: { nickname?: string; picture?: string } = {}) {
      const phone = randomPhone();
      const email = randomEmail();
      const password = `pw ${Math.random()}`;
      const user = await createUser(
        world.database.db,
        { phoneNumber: phone, phoneNumberVerified: true, email, emailVerified: true, password, ...extra },
        SYSTEM_ACTOR,
      );
      return { userId: user.id, phone, email, password };
    }

    /** One app login of `person` in `scenario` (S5 and S7 share their phone), as the app receives it. */
    async function appLogin(scenario: AppScenario, person: string, ip = newIp(), withPhone = true): Promise<Answer> {
      const headers = from(ip);
      if (scenario === 's5') {
        const phone = withPhone ? { phoneCode: await world.phoneCode(person, MP.appid) } : {};
        return world.call('POST', '/api/mp/login', { appid: MP.appid, code: await world.jsLogin(person, MP.appid), ...phone }, headers);
      }
      if (scenario === 's6') {
        const code = z.string().parse((await world.sandbox('POST', '/actions/app-login', { personId: person, appid: MOBILE.appid })).code);
        return world.call('POST', '/api/app/login', { appid: MOBILE.appid, code }, headers);
      }
      const { ticket, secret } = ticketSchema.parse(await world.ok('POST', '/api/app/s7/tickets', { appid: MOBILE.appid }, headers));
      await world.ok('POST', `/api/mp/tickets/${ticket}/scan`, { appid: MP.appid, code: await world.jsLogin(person, MP.appid) }, headers);
      const phone = withPhone ? { phoneCode: await world.phoneCode(person, MP.appid) } : {};
      await world.ok(
        'POST',
        `/api/mp/tickets/${ticket}/confirm`,
        { appid: MP.appid, code: await world.jsLogin(person, MP.appid), ...phone },
        headers,
      );
      return world.call('POST', `/api/app/s7/tickets/${ticket}/redeem`, undefined, { [TICKET_SECRET_HEADER]: secret, ...headers });
    }

    async function pendingBind(scenario: AppScenario, person: string, ip = newIp()) {
      const answer = await appLogin(scenario, person, ip, false);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return bindSchema.parse(answer.body);
    }

    /** The tokens of a signed-in answer verify, for the right client, as `userId`. */
    async function expectSignedIn(answer: Answer, scenario: AppScenario, userId: string): Promise<void> {
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body).toMatchObject({ outcome: 'signed_in', userId });
      const tokens = z.object({ id_token: z.string() }).parse(answer.body.tokens);
      const id = await jwtVerify(tokens.id_token, createRemoteJWKSet(new URL(`${world.url}/jwks`)), { audience: CLIENT[scenario] });
      expect(id.payload).toMatchObject({ sub: userId, amr: [scenario] });
    }

    const pending = (pendingId: string, action: string) => `/api/app/pending/${pendingId}/${action}`;

    for (const scenario of ['s5', 's6', 's7'] as const) {
      for (const method of ['sms', 'email', 'password'] as const) {
        it(`${scenario}: binding offered only by ${method} completes in the app, with tokens for the account proved`, async () => {
          await withPolicies({ [GOVERNING[scenario]]: { queryBinding: 'require', bindingMethods: [method] } }, async () => {
            const account = await existingAccount();
            const ip = newIp();
            const bind = await pendingBind(scenario, await world.person({ phone: null }), ip);
            expect(bind).toMatchObject({ methods: [method], mayCreateInstead: false });
            const users = await world.userCount();
            let answer: Answer;
            if (method === 'password') {
              answer = await world.call(
                'POST',
                pending(bind.pendingId, 'bind/password'),
                { login: account.email, password: account.password },
                from(ip),
              );
            } else {
              const destination = method === 'sms' ? account.phone : account.email;
              const other = method === 'sms' ? 'email' : 'sms';
              // A method the policy does not offer is refused, and sends nothing.
              const offered = await world.call(
                'POST',
                pending(bind.pendingId, 'bind/code/send'),
                { channel: other, destination: other === 'sms' ? account.phone : account.email },
                from(ip),
              );
              expect(offered).toMatchObject({ status: 400, body: { code: 'bad_request' } });
              const sent = await world.call('POST', pending(bind.pendingId, 'bind/code/send'), { channel: method, destination }, from(ip));
              expect(sent).toMatchObject({ status: 200, body: { expiresInMs: expect.any(Number) } });
              const code = codes.codeFor(destination);
              const wrong = await world.call(
                'POST',
                pending(bind.pendingId, 'bind/code'),
                { channel: method, destination, code: code === '000000' ? '111111' : '000000' },
                from(ip),
              );
              expect(wrong).toMatchObject({ status: 400, body: { code: 'verification_failed', attemptsLeft: 4 } });
              answer = await world.call('POST', pending(bind.pendingId, 'bind/code'), { channel: method, destination, code }, from(ip));
            }
            await expectSignedIn(answer, scenario, account.userId);
            expect(await world.userCount()).toBe(users);
            // Completed once: the pending id is dead.
            const again = await world.call('GET', `/api/app/pending/${bind.pendingId}`);
            expect(again.body.code).toBe('login_expired');
          });
        });
      }
    }

    it('cancel ends the pending sign-in: nothing is linked or created, and the id completes nothing afterwards', async () => {
      await withPolicies({ [MOBILE.id]: { queryBinding: 'offer' } }, async () => {
        const account = await existingAccount();
        const ip = newIp();
        const bind = await pendingBind('s6', await world.person({ phone: null }), ip);
        const users = await world.userCount();
        expect(await world.ok('POST', pending(bind.pendingId, 'cancel'), undefined, from(ip))).toEqual({ outcome: 'cancelled' });
        for (const [action, body] of [
          ['create', undefined],
          ['bind/password', { login: account.phone, password: account.password }],
          ['cancel', undefined],
        ] as const) {
          const after = await world.call('POST', pending(bind.pendingId, action), body, from(ip));
          expect(after).toMatchObject({ status: 410, body: { code: 'login_expired' } });
        }
        expect(await world.userCount()).toBe(users);
        const links = await world.database.db.selectFrom('wechat_identities').select('id').where('user_id', '=', account.userId).execute();
        expect(links).toHaveLength(0);
      });
    });

    for (const scenario of ['s5', 's7'] as const) {
      it(`${scenario}: a select answer describes each candidate recognisably and masked; only a candidate can be chosen`, async () => {
        // The person's account through the mobile app (unionid), and an admin-made one with their phone.
        const phone = randomPhone();
        const person = z.string().parse((await world.sandbox('POST', '/people', { nickname: 'Ivy', phone })).id);
        const viaApp = await appLogin('s6', person);
        expect(viaApp.status).toBe(200);
        const byUnionid = z.string().parse(viaApp.body.userId);
        const email = randomEmail();
        const byPhone = (
          await createUser(
            world.database.db,
            {
              phoneNumber: phone,
              phoneNumberVerified: true,
              email,
              emailVerified: true,
              nickname: 'Ivy at work',
              picture: 'https://example.com/ivy.png',
            },
            SYSTEM_ACTOR,
          )
        ).id;
        const outsider = await existingAccount();
        await withPolicies({ [GOVERNING[scenario]]: { fieldMatching: ['phone'] } }, async () => {
          const ip = newIp();
          const answer = await appLogin(scenario, person, ip);
          expect(answer.status, JSON.stringify(answer.body)).toBe(200);
          const select = selectSchema.parse(answer.body);
          expect(select.candidates.map((c) => c.userId).sort()).toEqual([byPhone, byUnionid].sort());
          const work = select.candidates.find((c) => c.userId === byPhone);
          expect(work).toMatchObject({
            via: ['phone'],
            nickname: 'Ivy at work',
            picture: 'https://example.com/ivy.png',
            maskedPhone: `${phone.slice(0, -8)}****${phone.slice(-4)}`,
            maskedEmail: `o***@example.com`,
            lastLoginAt: null,
            lastLoginApp: null,
          });
          const home = select.candidates.find((c) => c.userId === byUnionid);
          expect(home).toMatchObject({
            via: ['unionid'],
            nickname: 'Ivy',
            lastLoginAt: expect.any(Number),
            lastLoginApp: expect.any(String),
          });
          // Nothing of an account beyond the masked hints: no full phone or email anywhere.
          expect(JSON.stringify(answer.body)).not.toContain(phone);
          expect(JSON.stringify(answer.body)).not.toContain(email);
          expect(await world.ok('GET', `/api/app/pending/${select.pendingId}`)).toMatchObject({
            kind: 'select',
            candidates: select.candidates,
          });

          for (const userId of [outsider.userId, 'usr_made_up']) {
            const refused = await world.call('POST', pending(select.pendingId, 'select'), { userId }, from(ip));
            expect(refused).toMatchObject({ status: 400, body: { code: 'bad_request' } });
          }
          const outsiderLinks = await world.database.db
            .selectFrom('wechat_identities')
            .select('id')
            .where('user_id', '=', outsider.userId)
            .execute();
          expect(outsiderLinks).toHaveLength(0);
          const chosen = await world.call('POST', pending(select.pendingId, 'select'), { userId: byPhone }, from(ip));
          await expectSignedIn(chosen, scenario, byPhone);
        });
      });
    }

    it('password guesses are limited per account across restarted sign-ins and client addresses; a missing account answers the same', async () => {
      await withPolicies({ [MOBILE.id]: { queryBinding: 'require', bindingMethods: ['password'] } }, async () => {
        const limit = BINDING_ATTEMPT_RULES.failures;
        /**
         * `limit + 2` wrong guesses against `login` by one person, each from a new address,
         * restarting S6 after every three and whenever a sign-in has ended.
         */
        async function guess(login: string) {
          const person = await world.person({ phone: null });
          const answers: { status: number; code: unknown; attemptsLeft: unknown; detail: unknown }[] = [];
          let bind = await pendingBind('s6', person);
          for (let i = 0; i < limit + 2; i++) {
            if (i > 0 && (i % 3 === 0 || answers.at(-1)?.code === 'binding_locked')) bind = await pendingBind('s6', person);
            const answer = await world.call(
              'POST',
              pending(bind.pendingId, 'bind/password'),
              { login, password: `guess ${i}` },
              from(newIp()),
            );
            answers.push({
              status: answer.status,
              code: answer.body.code,
              attemptsLeft: answer.body.attemptsLeft,
              detail: answer.body.detail,
            });
          }
          return { person, answers };
        }
        const account = await existingAccount();
        const existing = await guess(account.phone);
        const missing = await guess(randomPhone());
        expect(existing.answers).toEqual(missing.answers);
        expect(existing.answers.map((a) => a.code)).toEqual([
          ...Array.from({ length: limit - 1 }, () => 'binding_failed'),
          'binding_locked',
          'binding_locked',
          'binding_locked',
        ]);
        expect(existing.answers[limit - 1]).toMatchObject({ status: 429, detail: expect.stringMatching(/try again in 15 minutes/) });

        // Locked: even the right password, from a new sign-in of someone else, gets the same answer.
        const bind = await pendingBind('s6', await world.person({ phone: null }));
        const right = await world.call(
          'POST',
          pending(bind.pendingId, 'bind/password'),
          { login: account.phone, password: account.password },
          from(newIp()),
        );
        expect(right).toMatchObject({ status: 429, body: { code: 'binding_locked', retryAfterSeconds: expect.any(Number) } });
        const links = await world.database.db.selectFrom('wechat_identities').select('id').where('user_id', '=', account.userId).execute();
        expect(links).toHaveLength(0);

        const audit = await world.database.db
          .selectFrom('audit_log')
          .select(['subject_id', 'after'])
          .where('action', '=', 'binding.locked')
          .where('subject_id', '=', account.userId)
          .execute();
        expect(audit).toHaveLength(1);
        expect(JSON.parse(audit[0]?.after ?? '{}')).toMatchObject({
          locked: 'target',
          method: 'password',
          lockedForSeconds: 900,
          level: 1,
        });
        expect(audit[0]?.after).not.toContain(account.phone);
      });
    });

    it('one WeChat identity guessing at many accounts is locked too, for SMS codes as for passwords, across instances', async () => {
      const other = await world.sibling();
      const instances = [world.url, other.url];
      const call = async (index: number, path: string, body: unknown) => {
        const response = await fetch(`${instances[index % 2]}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...from(newIp()) },
          body: JSON.stringify(body),
        });
        return { status: response.status, body: z.record(z.string(), z.unknown()).parse(await response.json()) };
      };
      await withPolicies({ [MOBILE.id]: { queryBinding: 'require', bindingMethods: ['password', 'sms'] } }, async () => {
        const person = await world.person({ phone: null });
        const seen: unknown[] = [];
        let bind = await pendingBind('s6', person);
        for (let i = 0; i < BINDING_ATTEMPT_RULES.failures; i++) {
          if (i === 3) bind = await pendingBind('s6', person);
          // A different account each time: only the per-identity count can stop this.
          const answer = await call(i, pending(bind.pendingId, 'bind/password'), { login: randomPhone(), password: 'guess' });
          seen.push(answer.body.code);
        }
        expect(seen.at(-1)).toBe('binding_locked');
        const account = await existingAccount();
        const next = await pendingBind('s6', person);
        // No code is even sent while the identity is locked, on either instance.
        for (let i = 0; i < 2; i++) {
          const send = await call(i, pending(next.pendingId, 'bind/code/send'), { channel: 'sms', destination: account.phone });
          expect(send).toMatchObject({ status: 429, body: { code: 'binding_locked' } });
        }
        expect(() => codes.codeFor(account.phone)).toThrow();
        const password = await call(1, pending(next.pendingId, 'bind/password'), { login: account.phone, password: account.password });
        expect(password.body.code).toBe('binding_locked');
        // Someone else can still bind that account.
        const stranger = await pendingBind('s6', await world.person({ phone: null }));
        const fine = await call(0, pending(stranger.pendingId, 'bind/password'), { login: account.phone, password: account.password });
        await expectSignedIn(fine, 's6', account.userId);
      });
    });

    it('wrong SMS codes count towards the same lock across restarted sign-ins and people', async () => {
      await withPolicies({ [MOBILE.id]: { queryBinding: 'require', bindingMethods: ['sms'] } }, async () => {
        const account = await existingAccount();
        const seen: unknown[] = [];
        // Three people (or one WeChat account each time) take 3, 2 and 1 guesses at one phone's code.
        for (const [round, guesses] of [3, 2, 1].entries()) {
          const bind = await pendingBind('s6', await world.person({ phone: null }));
          if (round === 0) {
            const sent = await world.call('POST', pending(bind.pendingId, 'bind/code/send'), {
              channel: 'sms',
              destination: account.phone,
            });
            expect(sent.status).toBe(200);
          }
          const code = codes.codeFor(account.phone);
          for (let i = 0; i < guesses; i++) {
            const wrong = `00000${i}` === code ? '999999' : `00000${i}`;
            const answer = await world.call(
              'POST',
              pending(bind.pendingId, 'bind/code'),
              { channel: 'sms', destination: account.phone, code: wrong },
              from(newIp()),
            );
            seen.push(answer.body.code);
          }
        }
        expect(seen).toEqual([...Array.from({ length: 4 }, () => 'verification_failed'), 'binding_locked', 'binding_locked']);
        // Locked: the right code is refused too.
        const bind = await pendingBind('s6', await world.person({ phone: null }));
        const right = await world.call('POST', pending(bind.pendingId, 'bind/code'), {
          channel: 'sms',
          destination: account.phone,
          code: codes.codeFor(account.phone),
        });
        expect(right.body.code).toBe('binding_locked');
      });
    });

    describe('S7 applies the policy of the mobile app the person is logging in to', () => {
      it('registration closed on the mobile app: S6 and S7 from that app are both refused, and no account is made', async () => {
        await withPolicies({ [MOBILE.id]: { registration: 'deny' } }, async () => {
          const users = await world.userCount();
          for (const scenario of ['s6', 's7'] as const) {
            const refused = await appLogin(scenario, await world.person());
            expect(refused, scenario).toMatchObject({ status: 403, body: { code: 'login_refused', reason: 'registration_closed' } });
          }
          expect(await world.userCount()).toBe(users);
        });
      });

      it('registration closed on the mini program only: S5 is refused, S7 from the open mobile app creates the account', async () => {
        await withPolicies({ [MP.id]: { registration: 'deny' } }, async () => {
          const users = await world.userCount();
          const s5 = await appLogin('s5', await world.person());
          expect(s5).toMatchObject({ status: 403, body: { reason: 'registration_closed' } });
          const s7 = await appLogin('s7', await world.person());
          expect(s7.status).toBe(200);
          expect(s7.body.outcome).toBe('signed_in');
          expect(await world.userCount()).toBe(users + 1);
        });
      });

      it("the mobile app's binding rules apply to S7, not the mini program's", async () => {
        await withPolicies(
          { [MOBILE.id]: { queryBinding: 'require', bindingMethods: ['email'] }, [MP.id]: { queryBinding: 'off' } },
          async () => {
            const bind = await pendingBind('s7', await world.person());
            expect(bind).toMatchObject({ methods: ['email'], mayCreateInstead: false });
          },
        );
      });
    });
  });
}

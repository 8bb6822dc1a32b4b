/**
 * S5 end to end over real HTTP against the sandbox, in both storage modes: login, tokens that
 * verify through `/jwks`, refresh rotation with replay detection, logout, phone numbers paid for
 * once, the connection's policy, and WeChat's refusals (no account change).
 */
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ConnectionSettings } from '../connections/schema.ts';
import { updateConnection } from '../connections/store.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { DEFAULT_POLICY, type IdentityPolicy } from '../identity/policy.ts';
import { DEMO_MINI_PROGRAM, storageModes, TestWorld } from '../mp/test-world.ts';

const { appid } = DEMO_MINI_PROGRAM;
const ISSUER = 'https://id.example.test';

const tokensSchema = z.object({
  token_type: z.literal('Bearer'),
  access_token: z.string(),
  id_token: z.string(),
  refresh_token: z.string(),
  expires_in: z.number(),
  scope: z.string(),
});
const signedInSchema = z.object({ outcome: z.literal('signed_in'), userId: z.string(), tokens: tokensSchema, phoneSource: z.string() });

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`S5 mini program login (${mode.name})`, () => {
    let world: TestWorld;
    beforeAll(async () => {
      world = await TestWorld.start(mode);
    });
    afterAll(async () => {
      await world?.close();
    });

    async function login(person: string, extra: Record<string, unknown> = {}) {
      return world.call('POST', '/api/mp/login', { appid, code: await world.jsLogin(person, appid), ...extra });
    }
    async function signedIn(person: string, extra: Record<string, unknown> = {}) {
      const answer = await login(person, extra);
      if (answer.status !== 200) throw new Error(`login answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      return signedInSchema.parse(answer.body);
    }
    async function setSettings(settings: Partial<ConnectionSettings>, policy: Partial<IdentityPolicy> = {}) {
      await updateConnection(
        world.database.db,
        world.app.ctx.secrets,
        DEMO_MINI_PROGRAM.id,
        {
          settings: { phoneNumber: 'optional', reusePhone: true, webAuthScope: 'auto', revealScanner: false, ...settings },
          policy: { ...DEFAULT_POLICY, ...policy },
        },
        SYSTEM_ACTOR,
      );
    }

    it('a wx.login code signs a new person in and answers tokens that verify with the JWKS at /jwks', async () => {
      const person = await world.person();
      const answer = await signedIn(person);
      const jwks = createRemoteJWKSet(new URL(`${world.url}/jwks`));
      const id = await jwtVerify(answer.tokens.id_token, jwks, { issuer: ISSUER, audience: DEMO_MINI_PROGRAM.id });
      expect(id.payload).toMatchObject({ sub: answer.userId, amr: ['s5'], azp: DEMO_MINI_PROGRAM.id });
      expect(typeof id.payload.auth_time).toBe('number');
      expect(decodeProtectedHeader(answer.tokens.id_token).alg).toBe('ES256');
      const access = await jwtVerify(answer.tokens.access_token, jwks, { issuer: ISSUER, audience: DEMO_MINI_PROGRAM.id, typ: 'at+jwt' });
      expect(access.payload).toMatchObject({ sub: answer.userId, client_id: DEMO_MINI_PROGRAM.id, scope: answer.tokens.scope });
      expect(access.payload.jti).toEqual(expect.any(String));
      expect(JSON.stringify(answer)).not.toMatch(/session_?key/i);
      // The app's backend gets the openid it needs for WeChat APIs, from the account's record.
      const identities = z.array(z.object({ appid: z.string(), openid: z.string() })).parse(id.payload.wechat_identities);
      expect(identities.map((i) => i.appid)).toEqual([appid]);
    });

    it('the same person logging in again is the same user', async () => {
      const person = await world.person();
      const first = await signedIn(person);
      const second = await signedIn(person);
      expect(second.userId).toBe(first.userId);
    });

    it('a phone code verifies the number into the ID token; the next login pays WeChat nothing for it', async () => {
      const person = await world.person({ phone: '+8613911112222' });
      const before = await world.billablePhoneCalls(appid);
      const first = await signedIn(person, { phoneCode: await world.phoneCode(person, appid) });
      expect(first.phoneSource).toBe('wechat_code');
      const id = await jwtVerify(first.tokens.id_token, createRemoteJWKSet(new URL(`${world.url}/jwks`)));
      expect(id.payload).toMatchObject({ phone_number: '+8613911112222', phone_number_verified: true });
      expect(await world.billablePhoneCalls(appid)).toBe(before + 1);
      const second = await signedIn(person, { phoneCode: await world.phoneCode(person, appid) });
      expect(second.phoneSource).toBe('on_file');
      expect(second.userId).toBe(first.userId);
      expect(await world.billablePhoneCalls(appid)).toBe(before + 1);
      // An operator who turns reuse off pays again, by choice; the login needs no phone either way.
      await setSettings({ reusePhone: false, phoneNumber: 'required' });
      try {
        const third = await signedIn(person, { phoneCode: await world.phoneCode(person, appid) });
        expect(third.phoneSource).toBe('wechat_code');
        expect(await world.billablePhoneCalls(appid)).toBe(before + 2);
        expect((await signedIn(person)).userId).toBe(first.userId);
      } finally {
        await setSettings({});
      }
    });

    it('the legacy encryptedData + iv path verifies the phone, even after a new wx.login rotated the session_key', async () => {
      const person3 = await world.person({ phone: '+8613977778888' });
      await signedIn(person3); // session_key K1 on file
      const data = await world.sandbox('POST', '/actions/encrypted-phone', { personId: person3, appid }); // under K1
      const answer = await signedIn(person3, { encryptedData: data.encryptedData, iv: data.iv }); // new code: K2
      expect(answer.phoneSource).toBe('encrypted_data');
      const user = await world.database.db.selectFrom('users').selectAll().where('id', '=', answer.userId).executeTakeFirstOrThrow();
      expect(user.phone_number).toBe('+8613977778888');
    });

    it('a phone added later with the access token lands on the account; legacy data uses the stored session_key', async () => {
      const person = await world.person({ phone: '+8613922223333' });
      const answer = await signedIn(person);
      const data = await world.sandbox('POST', '/actions/encrypted-phone', { personId: person, appid });
      const auth = { authorization: `Bearer ${answer.tokens.access_token}` };
      const added = await world.ok('POST', '/api/mp/phone', { encryptedData: data.encryptedData, iv: data.iv }, auth);
      expect(added).toEqual({ phoneNumber: '+8613922223333', attached: true });
      const refreshed = tokensSchema.parse(await world.ok('POST', '/api/token/refresh', { refresh_token: answer.tokens.refresh_token }));
      const id = await jwtVerify(refreshed.id_token, createRemoteJWKSet(new URL(`${world.url}/jwks`)));
      expect(id.payload.phone_number).toBe('+8613922223333');
      expect((await world.call('POST', '/api/mp/phone', { phoneCode: 'x' })).status).toBe(401);
    });

    it('refresh rotates; replaying a used refresh token is refused and ends the whole session', async () => {
      const person = await world.person();
      const answer = await signedIn(person);
      const second = tokensSchema.parse(await world.ok('POST', '/api/token/refresh', { refresh_token: answer.tokens.refresh_token }));
      expect(second.refresh_token).not.toBe(answer.tokens.refresh_token);
      const third = tokensSchema.parse(await world.ok('POST', '/api/token/refresh', { refresh_token: second.refresh_token }));
      const replay = await world.call('POST', '/api/token/refresh', { refresh_token: answer.tokens.refresh_token });
      expect(replay.status).toBe(401);
      expect(replay.body.code).toBe('refresh_token_reused');
      const afterReplay = await world.call('POST', '/api/token/refresh', { refresh_token: third.refresh_token });
      expect(afterReplay.status).toBe(401);
      expect(afterReplay.body.code).toBe('token_invalid');
      const phone = await world.call('POST', '/api/mp/phone', { phoneCode: 'x' }, { authorization: `Bearer ${third.access_token}` });
      expect(phone.body.code).toBe('token_invalid');
    });

    it('logout (revoke) ends the session: its refresh and access tokens stop working', async () => {
      const person = await world.person();
      const answer = await signedIn(person);
      expect((await world.call('POST', '/api/token/revoke', { token: answer.tokens.refresh_token })).status).toBe(200);
      const refresh = await world.call('POST', '/api/token/refresh', { refresh_token: answer.tokens.refresh_token });
      expect(refresh.body.code).toBe('token_invalid');
      const other = await signedIn(person);
      expect((await world.call('POST', '/api/token/revoke', { token: other.tokens.access_token })).status).toBe(200);
      expect((await world.call('POST', '/api/token/refresh', { refresh_token: other.tokens.refresh_token })).body.code).toBe(
        'token_invalid',
      );
      expect((await world.call('POST', '/api/token/revoke', { token: 'not-a-token' })).status).toBe(200);
    });

    it('phoneNumber required: no phone → phone_required and nobody is created; off: the paid call is never made', async () => {
      await setSettings({ phoneNumber: 'required' });
      try {
        const person = await world.person();
        const users = await world.userCount();
        const refused = await login(person);
        expect(refused.status).toBe(400);
        expect(refused.body.code).toBe('phone_required');
        expect(await world.userCount()).toBe(users);
        await setSettings({ phoneNumber: 'off' });
        const before = await world.billablePhoneCalls(appid);
        const answer = await signedIn(person, { phoneCode: await world.phoneCode(person, appid) });
        expect(answer.phoneSource).toBe('none');
        expect(await world.billablePhoneCalls(appid)).toBe(before);
      } finally {
        await setSettings({});
      }
    });

    it('a mini program that refuses unknown people refuses them and creates nothing', async () => {
      await setSettings({}, { registration: 'deny' });
      try {
        const person = await world.person();
        const users = await world.userCount();
        const refused = await login(person);
        expect(refused.status).toBe(403);
        expect(refused.body).toMatchObject({ code: 'login_refused', reason: 'registration_closed' });
        expect(await world.userCount()).toBe(users);
      } finally {
        await setSettings({});
      }
    });

    it('a recycled phone number never joins a stranger to the old holder; binding asks for a password', async () => {
      const owner = await world.person({ phone: '+8613944445555' });
      const first = await signedIn(owner, { phoneCode: await world.phoneCode(owner, appid) });
      // Another WeChat person now holds the same number, in the same mini program: the account
      // already has its own openid here, so the phone is not theirs to join.
      const twin = await world.person({ phone: '+8613944445555' });
      await setSettings({ reusePhone: true }, { fieldMatching: ['phone'] });
      try {
        const stranger = await signedIn(twin, { phoneCode: await world.phoneCode(twin, appid) });
        expect(stranger.userId).not.toBe(first.userId);
        const rows = await world.database.db.selectFrom('wechat_identities').select('phone').where('user_id', '=', first.userId).execute();
        expect(rows).toHaveLength(1);
        // The new holder's ledger row keeps the number WeChat verified; admins see the conflict.
        const strangerRows = await world.database.db
          .selectFrom('wechat_identities')
          .select('phone')
          .where('user_id', '=', stranger.userId)
          .execute();
        expect(strangerRows).toEqual([{ phone: '+8613944445555' }]);
        const suggestion = await world.database.db
          .selectFrom('merge_suggestions')
          .select(['user_id', 'other_user_id'])
          .where('reason', '=', 'phone_conflict')
          .where('other_user_id', '=', first.userId)
          .execute();
        expect(suggestion).toEqual([{ user_id: stranger.userId, other_user_id: first.userId }]);
      } finally {
        await setSettings({});
      }
      await setSettings({}, { queryBinding: 'offer' });
      try {
        const stranger = await world.person();
        const bind = await login(stranger);
        expect(bind.status).toBe(200);
        expect(bind.body).toMatchObject({ outcome: 'bind', mayCreateInstead: true });
        const pendingId = String(bind.body.pendingId);
        expect(await world.ok('GET', `/api/app/pending/${pendingId}`)).toMatchObject({ kind: 'bind' });
        const created = await world.ok('POST', `/api/app/pending/${pendingId}/create`);
        expect(created.outcome).toBe('signed_in');
        tokensSchema.parse(created.tokens);
        const again = await world.call('POST', `/api/app/pending/${pendingId}/create`);
        expect(again.body.code).toBe('login_expired');
      } finally {
        await setSettings({});
      }
    });

    it('WeChat refusals are clear errors and change no account: reused code, other appid, high-risk, quota', async () => {
      const person = await world.person();
      const code = await world.jsLogin(person, appid);
      await world.ok('POST', '/api/mp/login', { appid, code });
      const users = await world.userCount();
      const reused = await world.call('POST', '/api/mp/login', { appid, code });
      expect(reused.body.code).toBe('wechat_code_invalid');
      const other = await world.sandbox('POST', '/apps', { type: 'mini_program' });
      const foreign = await world.call('POST', '/api/mp/login', { appid, code: await world.jsLogin(person, String(other.appid)) });
      expect(foreign.body.code).toBe('wechat_code_invalid');
      const risky = await world.person();
      await world.sandbox('PUT', '/faults', { appid, highRiskPersonIds: [risky] });
      const highRisk = await login(risky);
      expect(highRisk.status).toBe(403);
      expect(highRisk.body.code).toBe('wechat_high_risk_user');
      for (const [quota, expected] of [
        ['daily', 'wechat_quota_exceeded'],
        ['minute', 'wechat_rate_limited'],
      ] as const) {
        await world.sandbox('PUT', '/faults', { appid, quota });
        const newcomer = await world.person();
        const answer = await login(newcomer);
        expect(answer.body.code).toBe(expected);
      }
      await world.sandbox('DELETE', '/faults');
      expect(await world.userCount()).toBe(users);
    });

    it('an unknown appid, or one that is not a mini program, is refused before WeChat is called', async () => {
      expect((await world.call('POST', '/api/mp/login', { appid: 'wx0000000000000000', code: 'x' })).status).toBe(404);
      expect((await world.call('POST', '/api/mp/login', { appid: 'wxd00000000000d004', code: 'x' })).status).toBe(400);
      expect((await world.call('POST', '/api/mp/login', { appid, code: 'x', extra: 1 })).body.code).toBe('validation_failed');
    });
  });
}

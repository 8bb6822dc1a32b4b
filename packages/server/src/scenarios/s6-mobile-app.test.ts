/**
 * S6 end to end over real HTTP against the sandbox, in both storage modes: an OpenSDK code becomes
 * tokens for the mobile app's connection; WeChat's refusals are clear errors that change nothing.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEMO_MOBILE_APP, storageModes, TestWorld } from '../mp/test-world.ts';

const { appid } = DEMO_MOBILE_APP;

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`S6 mobile app login (${mode.name})`, () => {
    let world: TestWorld;
    beforeAll(async () => {
      world = await TestWorld.start(mode);
    });
    afterAll(async () => {
      await world?.close();
    });

    async function sendAuth(person: string, app: string = appid, state = 'xyz123'): Promise<{ code: string; state: string }> {
      const answer = await world.sandbox('POST', '/actions/app-login', { personId: person, appid: app, state });
      return { code: z.string().parse(answer.code), state: z.string().parse(answer.state) };
    }

    it('an OpenSDK code signs the person in with their WeChat nickname; tokens are for the mobile app, state is echoed', async () => {
      const person = await world.person();
      const { code, state } = await sendAuth(person);
      const answer = await world.ok('POST', '/api/app/login', { appid, code, state });
      expect(answer).toMatchObject({ outcome: 'signed_in', state: 'xyz123' });
      const tokens = z.object({ id_token: z.string(), access_token: z.string() }).parse(answer.tokens);
      const jwks = createRemoteJWKSet(new URL(`${world.url}/jwks`));
      const id = await jwtVerify(tokens.id_token, jwks, { issuer: 'https://id.example.test', audience: DEMO_MOBILE_APP.id });
      expect(id.payload).toMatchObject({ sub: answer.userId, amr: ['s6'], nickname: 'Tester' });
      const access = await jwtVerify(tokens.access_token, jwks, { typ: 'at+jwt', audience: DEMO_MOBILE_APP.id });
      expect(access.payload.client_id).toBe(DEMO_MOBILE_APP.id);
      const again = await world.ok('POST', '/api/app/login', { appid, code: (await sendAuth(person)).code });
      expect(again.userId).toBe(answer.userId);
    });

    it('a reused code, a code of another app, a bad state and quota errors are clear and change no account', async () => {
      const person = await world.person();
      const { code } = await sendAuth(person);
      await world.ok('POST', '/api/app/login', { appid, code });
      const users = await world.userCount();
      expect((await world.call('POST', '/api/app/login', { appid, code })).body.code).toBe('wechat_code_invalid');
      const other = await world.sandbox('POST', '/apps', { type: 'mobile_app' });
      const foreign = await sendAuth(await world.person(), String(other.appid));
      expect((await world.call('POST', '/api/app/login', { appid, code: foreign.code })).body.code).toBe('wechat_code_invalid');
      const badState = await world.call('POST', '/api/app/login', { appid, code: 'x', state: 'has spaces' });
      expect(badState.body.code).toBe('validation_failed');
      await world.sandbox('PUT', '/faults', { appid, quota: 'daily' });
      const quota = await world.call('POST', '/api/app/login', { appid, code: (await sendAuth(await world.person())).code });
      expect(quota.body.code).toBe('wechat_quota_exceeded');
      await world.sandbox('DELETE', '/faults');
      expect(await world.userCount()).toBe(users);
    });

    it('a mini program appid is not a mobile app', async () => {
      const answer = await world.call('POST', '/api/app/login', { appid: 'wxd00000000000b002', code: 'x' });
      expect(answer.status).toBe(400);
    });
  });
}

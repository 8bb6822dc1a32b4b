/**
 * The browser SDK's SMS login, run in Node against a real weunion and the sandbox: the code is
 * texted through the sandbox's SMS emulator and read from the number's inbox, `loginWithSmsCode`
 * makes the session that `session()` then shows, and weunion's refusals arrive as `WeunionError`s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Browser, LoginWorld, storageModes } from '../../server/src/login/test-harness.ts';
import { createWeunion, WeunionError } from '../src/index.ts';
import { browserFetch } from './shims.ts';

const embedded = storageModes.find((m) => m.name === 'embedded');

describe.skipIf(embedded === undefined || embedded.skip)('sdk-browser SMS login', () => {
  let world: LoginWorld;
  beforeAll(async () => {
    if (embedded === undefined) throw new Error('no embedded storage');
    world = await LoginWorld.start(embedded);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('sendSmsCode then loginWithSmsCode signs in; session() shows the verified number', async () => {
    const weunion = createWeunion({ baseUrl: world.first.url, fetch: browserFetch(new Browser()) });
    const phone = `+86133${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const sent = await weunion.sendSmsCode(phone.slice(3), { returnTo: '/after', language: 'en' });
    expect(sent).toEqual({ phone, expiresInSeconds: 600, resendAfterSeconds: 60 });
    const inbox = z.array(z.object({ text: z.string() })).parse(await world.sandboxAny('GET', `/sms?to=${encodeURIComponent(phone)}`));
    const code = /(\d{6})/.exec(inbox.at(-1)?.text ?? '')?.[1] ?? '';
    const result = await weunion.loginWithSmsCode(phone, code, { returnTo: '/after' });
    expect(result).toMatchObject({ created: true, returnTo: '/after' });
    const session = await weunion.session();
    expect(session).toMatchObject({ sub: result.userId, phone_number: phone, phone_number_verified: true, session: { methods: ['sms'] } });
  });

  it('refusals are WeunionErrors with weunion’s codes', async () => {
    const weunion = createWeunion({ baseUrl: world.first.url, fetch: browserFetch(new Browser()) });
    const refused = await weunion.sendSmsCode('+12025550123').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(WeunionError);
    expect(refused).toMatchObject({ code: 'phone_country_not_allowed', status: 400 });
    const wrong = await weunion.loginWithSmsCode('+8613300000000', '123456').catch((error: unknown) => error);
    expect(wrong).toMatchObject({ code: 'verification_failed', status: 400 });
  });
});

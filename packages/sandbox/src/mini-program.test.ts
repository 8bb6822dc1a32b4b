import { checkSessionSignature, decryptUserData } from '@weunion/wechat';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TestSandbox } from './test-support.ts';

const jsQR = jsQRModule.default;

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await TestSandbox.start({ seedDemoWorld: false });
});
afterAll(async () => {
  await sandbox.close();
});

async function miniProgram(bound = true) {
  const openPlatformId = bound ? await sandbox.openPlatform() : null;
  return sandbox.app('mini_program', { openPlatformId });
}

async function jsLogin(personId: string, appid: string): Promise<string> {
  return z.string().parse((await sandbox.ok('POST', '/_sandbox/actions/js-login', { personId, appid })).code);
}

async function session(app: { appid: string; secret: string }, code: string) {
  return sandbox.wechatGet('/sns/jscode2session', {
    appid: app.appid,
    secret: app.secret,
    js_code: code,
    grant_type: 'authorization_code',
  });
}

describe('jscode2session', () => {
  it('answers openid, session_key and the unionid of a bound mini program', async () => {
    const app = await miniProgram(true);
    const person = await sandbox.person();
    const answer = await session(app, await jsLogin(person, app.appid));
    expect(answer.openid).toMatch(/^o[A-Za-z0-9_-]{27}$/);
    expect(Buffer.from(z.string().parse(answer.session_key), 'base64')).toHaveLength(16);
    expect(typeof answer.unionid).toBe('string');
  });

  it('gives no unionid when unbound', async () => {
    const app = await miniProgram(false);
    const person = await sandbox.person();
    const answer = await session(app, await jsLogin(person, app.appid));
    expect(answer).not.toHaveProperty('unionid');
  });

  it('refuses a used code with 40163, an unknown one with 40029 and an expired one (5 min) with 40029', async () => {
    const app = await miniProgram();
    const person = await sandbox.person();
    const code = await jsLogin(person, app.appid);
    const late = await jsLogin(person, app.appid);
    await session(app, code);
    expect((await session(app, code)).errcode).toBe(40163);
    expect((await session(app, 'unknown')).errcode).toBe(40029);
    await sandbox.advance(5 * 60 + 1);
    expect((await session(app, late)).errcode).toBe(40029);
  });

  it('refuses a high-risk person with 40226', async () => {
    const app = await miniProgram();
    const person = await sandbox.person();
    await sandbox.ok('PUT', '/_sandbox/faults', { appid: app.appid, highRiskPersonIds: [person] });
    expect((await session(app, await jsLogin(person, app.appid))).errcode).toBe(40226);
    await sandbox.ok('DELETE', `/_sandbox/faults?appid=${app.appid}`);
    expect((await session(app, await jsLogin(person, app.appid))).openid).toBeDefined();
  });

  it('limits one person to 100 logins a minute with 45011', async () => {
    const app = await miniProgram();
    const person = await sandbox.person();
    // Start at the top of a virtual minute so all 101 calls fall into the same one.
    const now = Date.parse(z.string().parse((await sandbox.ok('GET', '/_sandbox/clock')).now));
    await sandbox.advance(60 - ((now / 1000) % 60) + 0.01);
    let last = {};
    for (let i = 0; i < 101; i++) last = await session(app, await jsLogin(person, app.appid));
    expect(last).toMatchObject({ errcode: 45011 });
  });
});

describe('wxa/checksession', () => {
  it('accepts the signature of the current session_key and refuses it once wx.login rotated the key', async () => {
    const app = await miniProgram();
    const person = await sandbox.person();
    const answer = await session(app, await jsLogin(person, app.appid));
    const token = await sandbox.appToken(app.appid, app.secret);
    const sessionKey = z.string().parse(answer.session_key);
    const query = {
      access_token: token,
      openid: z.string().parse(answer.openid),
      signature: checkSessionSignature(sessionKey),
      sig_method: 'hmac_sha256',
    };
    expect(await sandbox.wechatGet('/wxa/checksession', query)).toEqual({ errcode: 0, errmsg: 'ok' });
    await jsLogin(person, app.appid);
    expect((await sandbox.wechatGet('/wxa/checksession', query)).errcode).toBe(87009);
  });
});

describe('POST bodies signed with the session_key (wxa/set_user_storage, wxa/remove_user_storage)', () => {
  it('accepts the HMAC of the body exactly as sent, and refuses another body, the empty-body signature and a rotated key', async () => {
    const app = await miniProgram();
    const person = await sandbox.person();
    const answer = await session(app, await jsLogin(person, app.appid));
    const sessionKey = z.string().parse(answer.session_key);
    const openid = z.string().parse(answer.openid);
    const token = await sandbox.appToken(app.appid, app.secret);
    // Spacing kept on purpose: the signature covers these bytes, not a re-serialization.
    const body = '{ "kv_list": [{"key": "score", "value": "100"}, {"key": "level", "value": "3"}] }';
    const post = (path: string, text: string, signature: string) =>
      fetch(`${sandbox.url}${path}?${new URLSearchParams({ access_token: token, openid, signature, sig_method: 'hmac_sha256' })}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: text,
      }).then(async (response) => z.looseObject({ errcode: z.number() }).parse(await response.json()));
    expect(await post('/wxa/set_user_storage', body, checkSessionSignature(sessionKey, body))).toEqual({ errcode: 0, errmsg: 'ok' });
    const stored = async () => (await sandbox.ok('GET', `/_sandbox/people/${person}/user-storage/${app.appid}`)).kv;
    expect(await stored()).toEqual({ score: '100', level: '3' });
    const other = '{"kv_list": [{"key": "score", "value": "999"}]}';
    expect((await post('/wxa/set_user_storage', other, checkSessionSignature(sessionKey, body))).errcode).toBe(87009);
    expect((await post('/wxa/set_user_storage', other, checkSessionSignature(sessionKey))).errcode).toBe(87009);
    const remove = '{"key": ["level"]}';
    expect((await post('/wxa/remove_user_storage', remove, checkSessionSignature(sessionKey, remove))).errcode).toBe(0);
    expect(await stored()).toEqual({ score: '100' });
    await jsLogin(person, app.appid);
    expect((await post('/wxa/set_user_storage', other, checkSessionSignature(sessionKey, other))).errcode).toBe(87009);
    expect(await stored()).toEqual({ score: '100' });
  });
});

describe('phone number', () => {
  it('redeems a phone code once, with phone_info and a watermark, and bills only the success', async () => {
    const app = await miniProgram();
    const person = await sandbox.person({ phone: '+8613912345678' });
    const token = await sandbox.appToken(app.appid, app.secret);
    const code = z.string().parse((await sandbox.ok('POST', '/_sandbox/actions/phone-code', { personId: person, appid: app.appid })).code);
    const answer = await sandbox.wechatPostJson('/wxa/business/getuserphonenumber', { access_token: token }, { code });
    expect(answer).toMatchObject({
      errcode: 0,
      phone_info: { phoneNumber: '13912345678', purePhoneNumber: '13912345678', countryCode: '86', watermark: { appid: app.appid } },
    });
    expect((await sandbox.wechatPostJson('/wxa/business/getuserphonenumber', { access_token: token }, { code })).errcode).toBe(40163);
    const table = z.record(z.string(), z.record(z.string(), z.number()));
    const stats = z.object({ billable: table, billableByPerson: table }).parse(await sandbox.ok('GET', '/_sandbox/stats'));
    expect(stats.billable['wxa/business/getuserphonenumber']?.[app.appid]).toBe(1);
    expect(stats.billableByPerson['wxa/business/getuserphonenumber']).toEqual({ [person]: 1 });
    expect(await sandbox.calls('wxa/business/getuserphonenumber', app.appid)).toBe(2);
  });

  it('shows a foreign number with its country code and expires codes after 5 minutes', async () => {
    const app = await miniProgram();
    const person = await sandbox.person({ phone: '+12025550123' });
    const token = await sandbox.appToken(app.appid, app.secret);
    const code = async () =>
      z.string().parse((await sandbox.ok('POST', '/_sandbox/actions/phone-code', { personId: person, appid: app.appid })).code);
    const answer = await sandbox.wechatPostJson('/wxa/business/getuserphonenumber', { access_token: token }, { code: await code() });
    expect(answer).toMatchObject({ phone_info: { phoneNumber: '+12025550123', purePhoneNumber: '2025550123', countryCode: '1' } });
    const late = await code();
    await sandbox.advance(301);
    const fresh = await sandbox.appToken(app.appid, app.secret);
    expect((await sandbox.wechatPostJson('/wxa/business/getuserphonenumber', { access_token: fresh }, { code: late })).errcode).toBe(40029);
  });

  it('refuses a person without a phone number', async () => {
    const app = await miniProgram();
    const person = await sandbox.person();
    expect((await sandbox.control('POST', '/_sandbox/actions/phone-code', { personId: person, appid: app.appid })).status).toBe(409);
  });

  it('gives legacy encryptedData under the current session_key, watermarked for the app', async () => {
    const app = await miniProgram();
    const person = await sandbox.person({ phone: '+8613900000000' });
    const answer = await session(app, await jsLogin(person, app.appid));
    const encrypted = z
      .object({ encryptedData: z.string(), iv: z.string() })
      .parse(await sandbox.ok('POST', '/_sandbox/actions/encrypted-phone', { personId: person, appid: app.appid }));
    const data = decryptUserData({ sessionKey: z.string().parse(answer.session_key), ...encrypted, appid: app.appid });
    expect(data).toMatchObject({ purePhoneNumber: '13900000000', countryCode: '86' });
  });
});

describe('wxa/getwxacodeunlimit', () => {
  function decode(png: Buffer): string | undefined {
    const image = PNG.sync.read(png);
    return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data;
  }

  it('returns a PNG whose QR the virtual phone reads back as appid, page and scene', async () => {
    const app = await miniProgram();
    const token = await sandbox.appToken(app.appid, app.secret);
    const scene = "a=1&b=Z~!#$'()*+,/:;=?@-._";
    const response = await sandbox.wechatPost(
      '/wxa/getwxacodeunlimit',
      { access_token: token },
      { scene, page: 'pages/login/login', width: 430 },
    );
    expect(response.headers.get('content-type')).toBe('image/png');
    const png = Buffer.from(await response.arrayBuffer());
    const content = z.string().parse(decode(png));
    const person = await sandbox.person();
    const scanned = await sandbox.ok('POST', '/_sandbox/actions/scan', { personId: person, imageBase64: png.toString('base64') });
    expect(scanned).toMatchObject({ kind: 'mini_program_code', appid: app.appid, page: 'pages/login/login', scene });
    expect(await sandbox.ok('POST', '/_sandbox/actions/scan', { personId: person, content })).toMatchObject({ scene });
  });

  it.each([
    ['a scene longer than 32 characters', { scene: 'x'.repeat(33) }, 40169],
    ['an empty scene', { scene: '' }, 40169],
    ['a scene with a character outside the allowed set', { scene: 'a b' }, 40129],
    ['a scene with Chinese characters', { scene: '中文' }, 40129],
    ['a page that does not exist', { scene: 'ok', page: 'pages/nope/nope' }, 41030],
    ['a page with a leading slash', { scene: 'ok', page: '/pages/index/index' }, 41030],
    ['a width below 280', { scene: 'ok', width: 279 }, 40097],
    ['a width above 1280', { scene: 'ok', width: 1281 }, 40097],
  ])('refuses %s with JSON errcode %i', async (_name, body, errcode) => {
    const app = await miniProgram();
    const token = await sandbox.appToken(app.appid, app.secret);
    const response = await sandbox.wechatPost('/wxa/getwxacodeunlimit', { access_token: token }, body);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(z.object({ errcode: z.number() }).parse(await response.json()).errcode).toBe(errcode);
  });

  it('accepts a page that does not exist when check_path is false', async () => {
    const app = await miniProgram();
    const token = await sandbox.appToken(app.appid, app.secret);
    const response = await sandbox.wechatPost(
      '/wxa/getwxacodeunlimit',
      { access_token: token },
      { scene: 's', page: 'pages/new/new', check_path: false },
    );
    expect(response.headers.get('content-type')).toBe('image/png');
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rejection, SandboxHarness } from './sandbox-harness.ts';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await SandboxHarness.start();
});
afterEach(async () => {
  await sandbox.clearFaults();
});
afterAll(async () => {
  await sandbox.close();
});

describe('mini program login (jscode2session)', () => {
  it('exchanges a wx.login code for openid, session_key and unionid', async () => {
    const wechat = sandbox.client();
    const openPlatformId = await sandbox.openPlatform();
    const app = await sandbox.app('mini_program', { openPlatformId });
    const person = await sandbox.person();
    const session = await wechat.miniProgram.codeToSession(app, await sandbox.jsLogin(person, app.appid));
    expect(session.openid).not.toBe('');
    expect(Buffer.from(session.sessionKey, 'base64')).toHaveLength(16);
    expect(session.unionid).toBeDefined();
  });

  it('refuses a reused code (40163) and a made-up code (40029) without echoing them', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('mini_program');
    const person = await sandbox.person();
    const code = await sandbox.jsLogin(person, app.appid);
    await wechat.miniProgram.codeToSession(app, code);
    const reused = await rejection(wechat.miniProgram.codeToSession(app, code));
    expect(reused).toMatchObject({ code: 'wechat_code_invalid', details: { errcode: 40163 } });
    expect(JSON.stringify(reused)).not.toContain(code);
    expect(await rejection(wechat.miniProgram.codeToSession(app, 'made-up-code'))).toMatchObject({
      code: 'wechat_code_invalid',
      details: { errcode: 40029 },
    });
  });

  it('refuses a high-risk person (40226) with a clear reason', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('mini_program');
    const person = await sandbox.person();
    await sandbox.faults({ appid: app.appid, highRiskPersonIds: [person] });
    const error = await rejection(wechat.miniProgram.codeToSession(app, await sandbox.jsLogin(person, app.appid)));
    expect(error).toMatchObject({ code: 'wechat_high_risk_user', details: { errcode: 40226 } });
  });

  it('surfaces the per-minute limit (45011) as rate_limited without retrying', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('mini_program');
    const person = await sandbox.person();
    const code = await sandbox.jsLogin(person, app.appid);
    await sandbox.faults({ appid: app.appid, quota: 'minute' });
    const before = await sandbox.calls('sns/jscode2session', app.appid);
    expect(await rejection(wechat.miniProgram.codeToSession(app, code))).toMatchObject({
      code: 'wechat_rate_limited',
      details: { errcode: 45011 },
    });
    expect((await sandbox.calls('sns/jscode2session', app.appid)) - before).toBe(1);
  });
});

describe('mini program phone number (getuserphonenumber)', () => {
  it('exchanges the button code for the number, watermarked for this app', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('mini_program');
    const person = await sandbox.person({ phone: '+8613912345678' });
    const phone = await wechat.miniProgram.getPhoneNumber(app, await sandbox.phoneCode(person, app.appid));
    expect(phone.purePhoneNumber).toBe('13912345678');
    expect(phone.countryCode).toBe('86');
    expect(phone.watermark.appid).toBe(app.appid);
  });

  it('refuses a phone code used twice', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('mini_program');
    const person = await sandbox.person({ phone: '+8613912345678' });
    const code = await sandbox.phoneCode(person, app.appid);
    await wechat.miniProgram.getPhoneNumber(app, code);
    expect((await rejection(wechat.miniProgram.getPhoneNumber(app, code))).code).toBe('wechat_code_invalid');
  });

  it('surfaces the daily quota (45009) as quota_exceeded', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('mini_program');
    const person = await sandbox.person({ phone: '+8613912345678' });
    const code = await sandbox.phoneCode(person, app.appid);
    await wechat.tokens.get(app);
    await sandbox.faults({ appid: app.appid, quota: 'daily' });
    expect(await rejection(wechat.miniProgram.getPhoneNumber(app, code))).toMatchObject({
      code: 'wechat_quota_exceeded',
      details: { errcode: 45009 },
    });
  });
});

describe('mini program code (getwxacodeunlimit)', () => {
  it('returns PNG bytes for a valid scene', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('mini_program');
    const image = await wechat.miniProgram.getUnlimitedCode(app, { scene: 'ticket=abc123', page: 'pages/index/index', width: 430 });
    expect(image.contentType).toBe('image/png');
    expect(Buffer.from(image.bytes.subarray(1, 4)).toString('latin1')).toBe('PNG');
  });

  it('turns the JSON error for a page that does not exist into invalid_argument (41030)', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('mini_program');
    const error = await rejection(wechat.miniProgram.getUnlimitedCode(app, { scene: 'x', page: 'pages/missing/missing', checkPath: true }));
    expect(error).toMatchObject({ code: 'wechat_invalid_argument', details: { errcode: 41030 } });
  });
});

describe('session_key check (wxa/checksession)', () => {
  it('confirms the current session_key and rejects it once a new wx.login rotated it', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('mini_program');
    const person = await sandbox.person();
    const session = await wechat.miniProgram.codeToSession(app, await sandbox.jsLogin(person, app.appid));
    expect(await wechat.miniProgram.checkSession(app, session.openid, session.sessionKey)).toBe(true);
    await wechat.miniProgram.codeToSession(app, await sandbox.jsLogin(person, app.appid));
    expect(await wechat.miniProgram.checkSession(app, session.openid, session.sessionKey)).toBe(false);
  });
});

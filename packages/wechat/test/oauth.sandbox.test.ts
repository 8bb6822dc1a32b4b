import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection, SandboxHarness } from './sandbox-harness.ts';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await SandboxHarness.start();
});
afterAll(async () => {
  await sandbox.close();
});

describe('website app QR login (sns/oauth2)', () => {
  it('exchanges the code from a confirmed scan for tokens, openid and unionid, then reads the profile', async () => {
    const wechat = sandbox.client();
    const openPlatformId = await sandbox.openPlatform();
    const app = await sandbox.app('website', { openPlatformId });
    const person = await sandbox.person();
    const url = wechat.oauth.qrConnectUrl({ appid: app.appid, redirectUri: 'https://id.example.com/cb', state: 'st4te' });
    const { code, state } = await sandbox.authorize(person, url);
    expect(state).toBe('st4te');
    const token = await wechat.oauth.exchangeCode(app, code ?? '');
    expect(token.openid).not.toBe('');
    expect(token.unionid).toBeDefined();
    expect(token.scopes).toContain('snsapi_login');
    expect(token.isSnapshotUser).toBe(false);

    const profile = await wechat.oauth.getUserInfo(token.accessToken, token.openid);
    expect(profile.openid).toBe(token.openid);
    expect(profile.unionid).toBe(token.unionid);
    expect(profile.nickname).not.toBe('');
    expect(await wechat.oauth.checkAccessToken(token.accessToken, token.openid)).toBe(true);
  });

  it('refuses a code used twice (40163) and a made-up code (40029) as wechat_code_invalid', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('website');
    const person = await sandbox.person();
    const code = await sandbox.authorizedCode(
      person,
      wechat.oauth.qrConnectUrl({ appid: app.appid, redirectUri: 'https://id.example.com/cb', state: 's' }),
    );
    await wechat.oauth.exchangeCode(app, code);
    const reused = await rejection(wechat.oauth.exchangeCode(app, code));
    expect(reused).toMatchObject({ code: 'wechat_code_invalid', details: { errcode: 40163 } });
    const madeUp = await rejection(wechat.oauth.exchangeCode(app, 'not-a-real-code'));
    expect(madeUp).toMatchObject({ code: 'wechat_code_invalid', details: { errcode: 40029 } });
  });

  it('refuses a wrong AppSecret (40125) as a configuration error that does not echo the secret', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('website');
    const wrongSecret = 'this-secret-is-wrong-0123456789';
    const error = await rejection(wechat.oauth.exchangeCode({ ...app, secret: wrongSecret }, 'any-code-value'));
    expect(error).toMatchObject({ code: 'wechat_credentials_invalid', details: { errcode: 40125 } });
    expect(JSON.stringify(error)).not.toContain(wrongSecret);
    expect(error.message).not.toContain('any-code-value');
  });

  it('refuses an unknown appid (40013) as a configuration error', async () => {
    const wechat = sandbox.client();
    const error = await rejection(wechat.oauth.exchangeCode({ appid: 'wx0000000000000000', secret: 'whatever' }, 'code'));
    expect(error).toMatchObject({ code: 'wechat_credentials_invalid', details: { errcode: 40013 } });
  });

  it('refuses an empty code (41008) as a missing code', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('website');
    expect(await rejection(wechat.oauth.exchangeCode(app, ''))).toMatchObject({ code: 'wechat_code_missing', details: { errcode: 41008 } });
  });

  it('renews the user token with the refresh_token, and refuses a bad refresh_token (40030)', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('website');
    const person = await sandbox.person();
    const code = await sandbox.authorizedCode(
      person,
      wechat.oauth.qrConnectUrl({ appid: app.appid, redirectUri: 'https://id.example.com/cb', state: 's' }),
    );
    const token = await wechat.oauth.exchangeCode(app, code);
    const renewed = await wechat.oauth.refreshAccessToken(app.appid, token.refreshToken);
    expect(renewed.openid).toBe(token.openid);
    expect(await wechat.oauth.checkAccessToken(renewed.accessToken, renewed.openid)).toBe(true);
    const error = await rejection(wechat.oauth.refreshAccessToken(app.appid, 'not-a-refresh-token'));
    expect(error).toMatchObject({ code: 'wechat_refresh_token_invalid', details: { errcode: 40030 } });
  });

  it('answers false from sns/auth for a token WeChat never issued', async () => {
    const wechat = sandbox.client();
    expect(await wechat.oauth.checkAccessToken('not-a-token', 'oNobody')).toBe(false);
  });

  it('gives no unionid for an app not bound to an Open Platform account', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('website', { openPlatformId: null });
    const person = await sandbox.person();
    const code = await sandbox.authorizedCode(
      person,
      wechat.oauth.qrConnectUrl({ appid: app.appid, redirectUri: 'https://id.example.com/cb', state: 's' }),
    );
    const token = await wechat.oauth.exchangeCode(app, code);
    expect(token.unionid).toBeUndefined();
  });
});

describe('mobile app login (SendAuth code)', () => {
  it('exchanges the OpenSDK code with the mobile app’s own credentials; the unionid matches the website’s', async () => {
    const wechat = sandbox.client();
    const openPlatformId = await sandbox.openPlatform();
    const mobile = await sandbox.app('mobile_app', { openPlatformId });
    const website = await sandbox.app('website', { openPlatformId });
    const person = await sandbox.person();
    const mobileToken = await wechat.oauth.exchangeCode(mobile, await sandbox.appLogin(person, mobile.appid));
    const webCode = await sandbox.authorizedCode(
      person,
      wechat.oauth.qrConnectUrl({ appid: website.appid, redirectUri: 'https://id.example.com/cb', state: 's' }),
    );
    const webToken = await wechat.oauth.exchangeCode(website, webCode);
    expect(mobileToken.openid).not.toBe(webToken.openid);
    expect(mobileToken.unionid).toBe(webToken.unionid);
  });
});

describe('official account web authorization', () => {
  it('snsapi_base gives the openid only, and userinfo with that token is scope_unauthorized (48001)', async () => {
    const wechat = sandbox.client();
    const openPlatformId = await sandbox.openPlatform();
    const app = await sandbox.app('official_account', { openPlatformId });
    const person = await sandbox.person();
    const url = wechat.oauth.authorizeUrl({
      appid: app.appid,
      redirectUri: 'https://id.example.com/cb',
      state: 'abc',
      scope: 'snsapi_base',
    });
    const token = await wechat.oauth.exchangeCode(app, await sandbox.authorizedCode(person, url));
    expect(token.unionid).toBeUndefined();
    const error = await rejection(wechat.oauth.getUserInfo(token.accessToken, token.openid));
    expect(error).toMatchObject({ code: 'wechat_scope_unauthorized', details: { errcode: 48001 } });
  });

  it('snsapi_userinfo gives the unionid and the profile', async () => {
    const wechat = sandbox.client();
    const openPlatformId = await sandbox.openPlatform();
    const app = await sandbox.app('official_account', { openPlatformId });
    const person = await sandbox.person();
    const url = wechat.oauth.authorizeUrl({
      appid: app.appid,
      redirectUri: 'https://id.example.com/cb',
      state: 'abc',
      scope: 'snsapi_userinfo',
    });
    const token = await wechat.oauth.exchangeCode(app, await sandbox.authorizedCode(person, url));
    expect(token.unionid).toBeDefined();
    const profile = await wechat.oauth.getUserInfo(token.accessToken, token.openid, { lang: 'en' });
    expect(profile.unionid).toBe(token.unionid);
  });

  it('marks a snapshot-page user so the scenario can refuse it', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('official_account');
    const person = await sandbox.person({ snapshot: true });
    const url = wechat.oauth.authorizeUrl({
      appid: app.appid,
      redirectUri: 'https://id.example.com/cb',
      state: 'abc',
      scope: 'snsapi_base',
    });
    const token = await wechat.oauth.exchangeCode(app, await sandbox.authorizedCode(person, url));
    expect(token.isSnapshotUser).toBe(true);
  });
});

describe('sns/auth', () => {
  it('answers false for a valid token asked about another openid', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('website');
    const person = await sandbox.person();
    const code = await sandbox.authorizedCode(
      person,
      wechat.oauth.qrConnectUrl({ appid: app.appid, redirectUri: 'https://id.example.com/cb', state: 's' }),
    );
    const token = await wechat.oauth.exchangeCode(app, code);
    expect(await wechat.oauth.checkAccessToken(token.accessToken, 'oSomeoneElse')).toBe(false);
  });
});

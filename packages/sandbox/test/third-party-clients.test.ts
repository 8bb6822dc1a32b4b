/**
 * Fidelity checked by code nobody here wrote: two widely used WeChat client libraries from the npm
 * registry (node-webot's `co-wechat-oauth` for web authorization and `co-wechat-api` for the
 * official account / mini program server APIs) driven against the sandbox, as their users drive
 * them against WeChat. If the sandbox drifts from what these libraries expect of WeChat (answer
 * shapes, errcodes their retry logic reacts to, the JS-SDK signature), these tests fail.
 *
 * The only thing changed in the libraries is where they send requests: co-wechat-api's documented
 * URL prefixes, and for co-wechat-oauth (whose URLs are fixed) its `request` hook, rewriting the
 * host as an egress proxy would.
 */
import WechatAPI from 'co-wechat-api';
import OAuth from 'co-wechat-oauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TestSandbox } from '../src/test-support.ts';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await TestSandbox.start({ seedDemoWorld: false });
});
afterAll(async () => {
  await sandbox.close();
});

function oauthClient(appid: string, secret: string): OAuth {
  const client = new OAuth(appid, secret);
  const send = client.request.bind(client);
  client.request = (url, options) => send(url.replace('https://api.weixin.qq.com', sandbox.url), options);
  return client;
}

function apiClient(appid: string, secret: string): WechatAPI {
  const api = new WechatAPI(appid, secret);
  api.prefix = `${sandbox.url}/cgi-bin/`;
  api.snsPrefix = `${sandbox.url}/sns/`;
  api.mpPrefix = `${sandbox.url}/cgi-bin/`;
  api.wxaPrefix = `${sandbox.url}/wxa/`;
  return api;
}

const libraryError = z.looseObject({ name: z.string(), code: z.number() });

async function rejectionOf(promise: Promise<unknown>): Promise<z.output<typeof libraryError>> {
  try {
    await promise;
  } catch (error) {
    return libraryError.parse(error);
  }
  throw new Error('expected the library to throw');
}

const tokenData = z.looseObject({
  access_token: z.string(),
  refresh_token: z.string(),
  openid: z.string(),
  scope: z.string(),
  unionid: z.string().optional(),
});

describe('co-wechat-oauth (web authorization)', () => {
  it('official account: the authorize URL it builds is accepted, the code exchanged, the profile read, the token refreshed', async () => {
    const openPlatformId = await sandbox.openPlatform();
    const app = await sandbox.app('official_account', { openPlatformId });
    const person = await sandbox.person({ nickname: 'Lib User' });
    const oauth = oauthClient(app.appid, app.secret);
    const url = oauth.getAuthorizeURL('https://rp.example/wechat/cb', 'st8te', 'snsapi_userinfo');
    const code = z.string().parse(await sandbox.authorize(person, url));
    const token = tokenData.parse((await oauth.getAccessToken(code)).data);
    expect(token.scope).toBe('snsapi_userinfo');
    expect(token.unionid).toMatch(/^o/);
    const profile = z.looseObject({ openid: z.string(), nickname: z.string() }).parse(await oauth.getUser(token.openid));
    expect(profile).toMatchObject({ openid: token.openid, nickname: 'Lib User' });
    expect(await oauth.verifyToken(token.openid, token.access_token)).toMatchObject({ errcode: 0, errmsg: 'ok' });
    const refreshed = tokenData.parse((await oauth.refreshAccessToken(token.refresh_token)).data);
    expect(refreshed.refresh_token).toBe(token.refresh_token);
    expect(refreshed.access_token).not.toBe(token.access_token);
    expect((await rejectionOf(oauth.getAccessToken(code))).code).toBe(40163);
  });

  it('website app: the qrconnect URL it builds logs in; a redirect outside the app’s domain is refused by WeChat', async () => {
    const app = await sandbox.app('website');
    const oauth = oauthClient(app.appid, app.secret);
    const person = await sandbox.person();
    const code = z.string().parse(await sandbox.authorize(person, oauth.getAuthorizeURLForWebsite('https://rp.example/cb', 'x')));
    expect(tokenData.parse((await oauth.getAccessToken(code)).data).scope).toBe('snsapi_login');
    const refused = await sandbox.control('POST', '/_sandbox/actions/authorize', {
      personId: person,
      url: oauth.getAuthorizeURLForWebsite('https://elsewhere.example/cb', 'x'),
      decision: 'allow',
    });
    expect(refused.status).toBe(400);
    expect((await rejectionOf(oauth.getAccessToken('made-up'))).code).toBe(40029);
  });
});

describe('co-wechat-api (official account and mini program server APIs)', () => {
  it('parametric QR, follow by scanning, user/info and user/info/batchget', async () => {
    const app = await sandbox.app('official_account');
    const api = apiClient(app.appid, app.secret);
    const qr = z
      .looseObject({ ticket: z.string(), url: z.string(), expire_seconds: z.number() })
      .parse(await api.createTmpQRCode('login_7', 300));
    const image = await fetch(api.showQRCodeURL(encodeURIComponent(qr.ticket)));
    expect(image.headers.get('content-type')).toBe('image/png');
    const person = await sandbox.person();
    const scanned = await sandbox.ok('POST', '/_sandbox/actions/scan', { personId: person, content: qr.url });
    const openid = z.string().parse(scanned.openid);
    expect(await api.getUser({ openid, lang: 'zh_CN' })).toMatchObject({ subscribe: 1, openid, qr_scene_str: 'login_7' });
    const batch = z
      .object({ user_info_list: z.array(z.looseObject({ openid: z.string(), subscribe: z.number() })) })
      .parse(await api.batchGetUsers([openid]));
    expect(batch.user_info_list).toMatchObject([{ openid, subscribe: 1 }]);
  });

  it('a token replaced by another process is refused as 40001 after the overlap, and the library’s own retry recovers', async () => {
    const app = await sandbox.app('official_account');
    const person = await sandbox.person();
    const openid = z.string().parse((await sandbox.ok('POST', '/_sandbox/actions/follow', { personId: person, appid: app.appid })).openid);
    const first = apiClient(app.appid, app.secret);
    const second = apiClient(app.appid, app.secret);
    await first.getUser({ openid, lang: 'zh_CN' });
    await second.getUser({ openid, lang: 'zh_CN' });
    expect(await sandbox.calls('cgi-bin/token', app.appid)).toBe(2);
    await sandbox.advance(301);
    // co-wechat-api refetches on 40001/42001 and retries: the call succeeds with a third token.
    expect(await first.getUser({ openid, lang: 'zh_CN' })).toMatchObject({ subscribe: 1, openid });
    expect(await sandbox.calls('cgi-bin/token', app.appid)).toBe(3);
  });

  it('its JS-SDK config (its own jsapi ticket and signature) is accepted by the WeChat client', async () => {
    const app = await sandbox.app('official_account');
    const api = apiClient(app.appid, app.secret);
    const page = 'https://rp.example/share?id=42';
    const config = z
      .object({ appId: z.string(), timestamp: z.string(), nonceStr: z.string(), signature: z.string() })
      .parse(await api.getJsConfig({ url: page, jsApiList: ['updateAppMessageShareData'] }));
    expect(
      await sandbox.ok('POST', '/_sandbox/actions/wx-config', { appid: config.appId, url: page, ...config, appId: undefined }),
    ).toEqual({
      errMsg: 'config:ok',
    });
  });

  it('mini program: code2Session with a wx.login code, and a mini program code image', async () => {
    const openPlatformId = await sandbox.openPlatform();
    const app = await sandbox.app('mini_program', { openPlatformId });
    const api = apiClient(app.appid, app.secret);
    const person = await sandbox.person();
    const { code } = z
      .object({ code: z.string() })
      .parse(await sandbox.ok('POST', '/_sandbox/actions/js-login', { personId: person, appid: app.appid }));
    const session = z.object({ openid: z.string(), session_key: z.string(), unionid: z.string() }).parse(await api.code2Session(code));
    expect(session.openid).toMatch(/^o/);
    expect((await rejectionOf(api.code2Session(code))).code).toBe(40163);
    const png = await api.getWXACodeUnlimit('t=1', 'pages/login/login');
    expect(Buffer.isBuffer(png) && png.subarray(1, 4).toString('latin1')).toBe('PNG');
  });
});

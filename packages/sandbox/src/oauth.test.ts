import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errcodeOf, TestSandbox } from './test-support.ts';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await TestSandbox.start({ seedDemoWorld: false });
});
afterAll(async () => {
  await sandbox.close();
});

async function exchange(appid: string, secret: string, code: string) {
  return sandbox.wechatGet('/sns/oauth2/access_token', { appid, secret, code, grant_type: 'authorization_code' });
}

async function websiteLogin(bound: boolean) {
  const openPlatformId = bound ? await sandbox.openPlatform() : null;
  const app = await sandbox.app('website', { openPlatformId });
  const person = await sandbox.person({ nickname: 'Nick' });
  const code = z.string().parse(await sandbox.authorize(person, sandbox.qrconnectUrl(app.appid)));
  return { app, person, code, openPlatformId };
}

describe('website QR login (sns/oauth2)', () => {
  it('exchanges a confirmed code for a token with openid, scope and unionid of the bound Open Platform account', async () => {
    const { app, person, code } = await websiteLogin(true);
    const answer = await exchange(app.appid, app.secret, code);
    expect(answer).toMatchObject({ expires_in: 7200, scope: 'snsapi_login' });
    expect(answer.openid).toMatch(/^o[A-Za-z0-9_-]{27}$/);
    const identities = z.array(z.object({ appid: z.string(), openid: z.string(), unionid: z.string().nullable() }));
    const mine = identities
      .parse((await sandbox.control('GET', `/_sandbox/people/${person}/identities`)).body)
      .find((i) => i.appid === app.appid);
    expect(answer.openid).toBe(mine?.openid);
    expect(answer.unionid).toBe(mine?.unionid);
    expect(typeof answer.unionid).toBe('string');
  });

  it('gives no unionid for an app not bound to an Open Platform account', async () => {
    const { app, code } = await websiteLogin(false);
    const answer = await exchange(app.appid, app.secret, code);
    expect(typeof answer.openid).toBe('string');
    expect(answer).not.toHaveProperty('unionid');
  });

  it('starts giving a unionid once the app is bound later, the same as other apps of that account', async () => {
    const { app, person } = await websiteLogin(false);
    const op = await sandbox.openPlatform();
    const other = await sandbox.app('mobile_app', { openPlatformId: op });
    await sandbox.ok('POST', `/_sandbox/apps/${app.appid}/bind`, { openPlatformId: op });
    const code = z.string().parse(await sandbox.authorize(person, sandbox.qrconnectUrl(app.appid)));
    const answer = await exchange(app.appid, app.secret, code);
    const mobileCode = z
      .string()
      .parse((await sandbox.ok('POST', '/_sandbox/actions/app-login', { personId: person, appid: other.appid })).code);
    const mobile = await exchange(other.appid, other.secret, mobileCode);
    expect(answer.unionid).toBeDefined();
    expect(answer.unionid).toBe(mobile.unionid);
    expect(answer.openid).not.toBe(mobile.openid);
  });

  it('refuses a code the second time with 40163', async () => {
    const { app, code } = await websiteLogin(true);
    expect(errcodeOf(await exchange(app.appid, app.secret, code))).toBe(0);
    const again = await exchange(app.appid, app.secret, code);
    expect(again.errcode).toBe(40163);
    expect(again.errmsg).toMatch(/rid: [0-9a-f-]+$/);
  });

  it('refuses a website code after 10 minutes with 42003 but accepts it just before', async () => {
    const first = await websiteLogin(true);
    const second = await websiteLogin(true);
    await sandbox.advance(9 * 60 + 50);
    expect(errcodeOf(await exchange(first.app.appid, first.app.secret, first.code))).toBe(0);
    await sandbox.advance(20);
    expect((await exchange(second.app.appid, second.app.secret, second.code)).errcode).toBe(42003);
  });

  it('refuses a code issued to another app with 40029, and unknown codes too', async () => {
    const { code } = await websiteLogin(true);
    const other = await sandbox.app('website');
    expect((await exchange(other.appid, other.secret, code)).errcode).toBe(40029);
    expect((await exchange(other.appid, other.secret, 'nonsense')).errcode).toBe(40029);
  });

  it('answers credential and parameter mistakes with WeChat errcodes', async () => {
    const { app, code } = await websiteLogin(true);
    expect((await exchange('wx0000000000000000', app.secret, code)).errcode).toBe(40013);
    expect((await exchange(app.appid, 'wrong', code)).errcode).toBe(40125);
    expect(
      (await sandbox.wechatGet('/sns/oauth2/access_token', { appid: app.appid, secret: app.secret, grant_type: 'authorization_code' }))
        .errcode,
    ).toBe(41008);
    expect(
      (await sandbox.wechatGet('/sns/oauth2/access_token', { appid: app.appid, secret: app.secret, code, grant_type: 'x' })).errcode,
    ).toBe(40002);
    expect((await sandbox.wechatGet('/sns/oauth2/access_token', { secret: app.secret, code })).errcode).toBe(41002);
  });

  it('sends nothing back on deny', async () => {
    const app = await sandbox.app('website');
    const person = await sandbox.person();
    const answer = await sandbox.ok('POST', '/_sandbox/actions/authorize', {
      personId: person,
      url: sandbox.qrconnectUrl(app.appid),
      decision: 'deny',
    });
    expect(answer.redirect).toBeNull();
  });

  it('redirects to redirect_uri with code and state', async () => {
    const app = await sandbox.app('website');
    const person = await sandbox.person();
    const answer = await sandbox.ok('POST', '/_sandbox/actions/authorize', {
      personId: person,
      url: sandbox.qrconnectUrl(app.appid, 'S1'),
      decision: 'allow',
    });
    const redirect = new URL(z.string().parse(answer.redirect));
    expect(redirect.origin + redirect.pathname).toBe('https://rp.example/cb');
    expect(redirect.searchParams.get('state')).toBe('S1');
    expect(redirect.searchParams.get('code')).toMatch(/^[A-Za-z0-9]{32}$/);
  });
});

describe('user tokens', () => {
  it('refresh gives a new access token, keeps the refresh token, and the old refresh token expires after 30 days', async () => {
    const { app, code } = await websiteLogin(true);
    const first = await exchange(app.appid, app.secret, code);
    const refresh = z.string().parse(first.refresh_token);
    const refreshed = await sandbox.wechatGet('/sns/oauth2/refresh_token', {
      appid: app.appid,
      grant_type: 'refresh_token',
      refresh_token: refresh,
    });
    expect(refreshed).toMatchObject({ refresh_token: refresh, openid: first.openid, expires_in: 7200 });
    expect(refreshed.access_token).not.toBe(first.access_token);
    expect(
      (await sandbox.wechatGet('/sns/oauth2/refresh_token', { appid: app.appid, grant_type: 'refresh_token', refresh_token: 'bad' }))
        .errcode,
    ).toBe(40030);
    await sandbox.advance(30 * 24 * 3600 + 1);
    expect(
      (await sandbox.wechatGet('/sns/oauth2/refresh_token', { appid: app.appid, grant_type: 'refresh_token', refresh_token: refresh }))
        .errcode,
    ).toBe(42002);
  });

  it('userinfo answers the profile and sns/auth says ok until the token expires after 7200 s', async () => {
    const { app, code } = await websiteLogin(true);
    const token = await exchange(app.appid, app.secret, code);
    const query = { access_token: z.string().parse(token.access_token), openid: z.string().parse(token.openid) };
    const info = await sandbox.wechatGet('/sns/userinfo', { ...query, lang: 'zh_CN' });
    expect(info).toMatchObject({ openid: token.openid, nickname: 'Nick', sex: 0, privilege: [], unionid: token.unionid });
    expect(info.headimgurl).toMatch(/\/132$/);
    expect(await sandbox.wechatGet('/sns/auth', query)).toEqual({ errcode: 0, errmsg: 'ok' });
    expect((await sandbox.wechatGet('/sns/auth', { ...query, openid: 'oSomeoneElse' })).errcode).toBe(40003);
    expect((await sandbox.wechatGet('/sns/auth', { ...query, access_token: 'bad' })).errcode).toBe(40001);
    await sandbox.advance(7201);
    expect((await sandbox.wechatGet('/sns/userinfo', query)).errcode).toBe(42001);
  });

  it('serves the avatar headimgurl points at', async () => {
    const { app, code } = await websiteLogin(false);
    const token = await exchange(app.appid, app.secret, code);
    const info = await sandbox.wechatGet('/sns/userinfo', {
      access_token: z.string().parse(token.access_token),
      openid: z.string().parse(token.openid),
    });
    const avatar = await fetch(z.string().parse(info.headimgurl));
    expect(avatar.status).toBe(200);
    expect(avatar.headers.get('content-type')).toContain('image/');
  });
});

describe('official account web authorization (connect/oauth2/authorize)', () => {
  async function officialAccount(bound: boolean) {
    const openPlatformId = bound ? await sandbox.openPlatform() : null;
    return sandbox.app('official_account', { openPlatformId });
  }

  it('snsapi_base gives an openid only, even for a bound account, and userinfo is refused with 48001', async () => {
    const app = await officialAccount(true);
    const person = await sandbox.person();
    const code = z.string().parse(await sandbox.authorize(person, sandbox.oauth2Url(app.appid, 'snsapi_base')));
    const token = await exchange(app.appid, app.secret, code);
    expect(token).toMatchObject({ scope: 'snsapi_base' });
    expect(token).not.toHaveProperty('unionid');
    const info = await sandbox.wechatGet('/sns/userinfo', {
      access_token: z.string().parse(token.access_token),
      openid: z.string().parse(token.openid),
    });
    expect(info.errcode).toBe(48001);
  });

  it('snsapi_userinfo gives the unionid of a bound account', async () => {
    const app = await officialAccount(true);
    const person = await sandbox.person();
    const code = z.string().parse(await sandbox.authorize(person, sandbox.oauth2Url(app.appid, 'snsapi_userinfo')));
    const token = await exchange(app.appid, app.secret, code);
    expect(token.scope).toBe('snsapi_userinfo');
    expect(typeof token.unionid).toBe('string');
  });

  it('expires official-account codes after 5 minutes', async () => {
    const app = await officialAccount(false);
    const person = await sandbox.person();
    const code = z.string().parse(await sandbox.authorize(person, sandbox.oauth2Url(app.appid, 'snsapi_base')));
    await sandbox.advance(5 * 60 + 1);
    expect((await exchange(app.appid, app.secret, code)).errcode).toBe(42003);
  });

  it('marks a snapshot-page user with is_snapshotuser and a stand-in openid', async () => {
    const app = await officialAccount(true);
    const person = await sandbox.person({ snapshot: true });
    const code = z.string().parse(await sandbox.authorize(person, sandbox.oauth2Url(app.appid, 'snsapi_userinfo')));
    const token = await exchange(app.appid, app.secret, code);
    expect(token.is_snapshotuser).toBe(1);
    const identities = z
      .array(z.object({ appid: z.string(), openid: z.string() }))
      .parse((await sandbox.control('GET', `/_sandbox/people/${person}/identities`)).body);
    expect(token.openid).not.toBe(identities.find((i) => i.appid === app.appid)?.openid);
  });

  it('shows a snapshot-page user as 微信用户 in userinfo', async () => {
    const app = await officialAccount(false);
    const person = await sandbox.person({ nickname: 'Real Name', snapshot: true });
    const code = z.string().parse(await sandbox.authorize(person, sandbox.oauth2Url(app.appid, 'snsapi_userinfo')));
    const token = await exchange(app.appid, app.secret, code);
    const info = await sandbox.wechatGet('/sns/userinfo', {
      access_token: z.string().parse(token.access_token),
      openid: z.string().parse(token.openid),
    });
    expect(info).toMatchObject({ nickname: '微信用户', is_snapshotuser: 1 });
  });

  it('refuses a redirect_uri outside the app’s authorized redirect domains', async () => {
    const app = await sandbox.app('official_account', { redirectDomains: ['rp.example'] });
    const person = await sandbox.person();
    expect(await sandbox.authorize(person, sandbox.oauth2Url(app.appid, 'snsapi_base'))).not.toBeNull();
    await sandbox.ok('PATCH', `/_sandbox/apps/${app.appid}`, { redirectDomains: ['other.example'] });
    const refused = await sandbox.control('POST', '/_sandbox/actions/authorize', {
      personId: person,
      url: sandbox.oauth2Url(app.appid, 'snsapi_base'),
      decision: 'allow',
    });
    expect(refused.status).toBe(400);
  });

  it('an app created without any redirect domain refuses every redirect with WeChat’s "redirect_uri 参数错误" page', async () => {
    for (const type of ['official_account', 'website'] as const) {
      const app = await sandbox.app(type, { redirectDomains: [] });
      const url = type === 'website' ? sandbox.qrconnectUrl(app.appid) : sandbox.oauth2Url(app.appid, 'snsapi_base');
      const page = await fetch(url, { headers: { cookie: 'sandbox_person=nobody' } });
      expect(page.status).toBe(400);
      const html = await page.text();
      expect(html).toContain('redirect_uri 参数错误');
      expect(html).toContain(`PATCH /_sandbox/apps/${app.appid}`);
      const action = await sandbox.control('POST', '/_sandbox/actions/authorize', {
        personId: await sandbox.person(),
        url,
        decision: 'allow',
      });
      expect(action.status).toBe(400);
    }
  });

  it('matches the domain exactly: no subdomain, and a domain with a port only on that port', async () => {
    const app = await sandbox.app('official_account', { redirectDomains: ['rp.example', 'id.example:8443'] });
    const person = await sandbox.person();
    const attempt = (redirectUri: string) => {
      const url = new URL(sandbox.oauth2Url(app.appid, 'snsapi_base'));
      url.searchParams.set('redirect_uri', redirectUri);
      return sandbox.control('POST', '/_sandbox/actions/authorize', { personId: person, url: url.href, decision: 'allow' });
    };
    expect((await attempt('https://rp.example:444/cb')).status).toBe(200);
    expect((await attempt('https://id.example:8443/cb')).status).toBe(200);
    expect((await attempt('https://id.example/cb')).status).toBe(400);
    expect((await attempt('https://sub.rp.example/cb')).status).toBe(400);
    expect((await attempt('https://rp.example.evil/cb')).status).toBe(400);
  });

  it('refuses a state that is not 1–128 letters or digits', async () => {
    const app = await officialAccount(false);
    const person = await sandbox.person();
    const answer = await sandbox.control('POST', '/_sandbox/actions/authorize', {
      personId: person,
      url: sandbox.oauth2Url(app.appid, 'snsapi_base', 'has-dash'),
      decision: 'allow',
    });
    expect(answer.status).toBe(400);
    const long = await sandbox.control('POST', '/_sandbox/actions/authorize', {
      personId: person,
      url: sandbox.oauth2Url(app.appid, 'snsapi_base', 'a'.repeat(129)),
      decision: 'allow',
    });
    expect(long.status).toBe(400);
  });
});

describe('mobile app login (SendAuth)', () => {
  it('returns code and state, exchangeable with the mobile app credentials', async () => {
    const app = await sandbox.app('mobile_app', { openPlatformId: await sandbox.openPlatform() });
    const person = await sandbox.person();
    const login = await sandbox.ok('POST', '/_sandbox/actions/app-login', { personId: person, appid: app.appid, state: 'st' });
    expect(login.state).toBe('st');
    const token = await exchange(app.appid, app.secret, z.string().parse(login.code));
    expect(token).toMatchObject({ scope: 'snsapi_userinfo' });
    expect(typeof token.unionid).toBe('string');
  });
});

describe('code exchange checks appid, then secret, then the code (what a credential probe relies on)', () => {
  it('answers 40013 for an unknown appid whatever the secret and code, 40125 for a wrong secret, 40029 for an impossible code', async () => {
    for (const type of ['website', 'mobile_app'] as const) {
      const app = await sandbox.app(type);
      expect(errcodeOf(await exchange('wx0000000000unknown', 'wrong', 'no-such-code'))).toBe(40013);
      expect(errcodeOf(await exchange(app.appid, 'wrong', 'no-such-code'))).toBe(40125);
      const probe = await exchange(app.appid, app.secret, 'no-such-code');
      expect(probe).toMatchObject({ errcode: 40029 });
      expect(String(probe.errmsg)).toMatch(/^invalid code/);
    }
  });
});

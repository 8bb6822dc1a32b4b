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

/** A call that needs an app access_token: user/info of some openid (answers 40003, not a token error, when the token is good). */
async function tokenErrcode(token: string): Promise<number> {
  const answer = await sandbox.wechatGet('/cgi-bin/user/info', { access_token: token, openid: 'o-not-a-follower' });
  return z.number().parse(answer.errcode);
}

async function stable(appid: string, secret: string, forceRefresh?: boolean) {
  return sandbox.wechatPostJson(
    '/cgi-bin/stable_token',
    {},
    { grant_type: 'client_credential', appid, secret, force_refresh: forceRefresh },
  );
}

describe('cgi-bin/token', () => {
  it('issues a 7200 s token', async () => {
    const app = await sandbox.app('official_account');
    const answer = await sandbox.wechatGet('/cgi-bin/token', { grant_type: 'client_credential', appid: app.appid, secret: app.secret });
    expect(answer.expires_in).toBe(7200);
    expect(answer.access_token).toMatch(/^[A-Za-z0-9_-]{100,}$/);
  });

  it('keeps the old token working for 5 minutes after a new one is fetched, then refuses it as not latest (40001)', async () => {
    const app = await sandbox.app('official_account');
    const old = await sandbox.appToken(app.appid, app.secret);
    const fresh = await sandbox.appToken(app.appid, app.secret);
    await sandbox.advance(4 * 60 + 50);
    expect(await tokenErrcode(old)).toBe(40003);
    await sandbox.advance(20);
    const refused = await sandbox.wechatGet('/cgi-bin/user/info', { access_token: old, openid: 'o-not-a-follower' });
    expect(refused.errcode).toBe(40001);
    expect(refused.errmsg).toMatch(/^invalid credential, access_token is invalid or not latest, rid: /);
    expect(await tokenErrcode(fresh)).toBe(40003);
  });

  it('expires a token after 7200 s', async () => {
    const app = await sandbox.app('mini_program');
    const token = await sandbox.appToken(app.appid, app.secret);
    await sandbox.advance(7201);
    const answer = await sandbox.wechatPostJson('/wxa/business/getuserphonenumber', { access_token: token }, { code: 'x' });
    expect(answer.errcode).toBe(42001);
  });

  it('answers unknown tokens 40001, a missing token 41001, a wrong secret 40125, an unknown appid 40013, a wrong grant_type 40002', async () => {
    const app = await sandbox.app('official_account');
    expect(await tokenErrcode('not-a-token')).toBe(40001);
    expect((await sandbox.wechatGet('/cgi-bin/user/info', { openid: 'x' })).errcode).toBe(41001);
    expect((await sandbox.wechatGet('/cgi-bin/token', { grant_type: 'client_credential', appid: app.appid, secret: 'nope' })).errcode).toBe(
      40125,
    );
    expect(
      (await sandbox.wechatGet('/cgi-bin/token', { grant_type: 'client_credential', appid: 'wx1111111111111111', secret: 'x' })).errcode,
    ).toBe(40013);
    expect((await sandbox.wechatGet('/cgi-bin/token', { grant_type: 'password', appid: app.appid, secret: app.secret })).errcode).toBe(
      40002,
    );
  });
});

describe('cgi-bin/stable_token', () => {
  it('answers the same token until force_refresh, and is not disturbed by cgi-bin/token', async () => {
    const app = await sandbox.app('official_account');
    const first = await stable(app.appid, app.secret);
    await sandbox.advance(100);
    await sandbox.appToken(app.appid, app.secret);
    await sandbox.appToken(app.appid, app.secret);
    const second = await stable(app.appid, app.secret, false);
    expect(second.access_token).toBe(first.access_token);
    expect(second.expires_in).toBeLessThan(7200);
    await sandbox.advance(600);
    expect(await tokenErrcode(z.string().parse(first.access_token))).toBe(40003);
  });

  it('force_refresh issues a new 7200 s token and invalidates the old one at once (40001)', async () => {
    const app = await sandbox.app('official_account');
    const first = z.string().parse((await stable(app.appid, app.secret)).access_token);
    const second = await stable(app.appid, app.secret, true);
    expect(second.access_token).not.toBe(first);
    expect(second.expires_in).toBe(7200);
    expect(await tokenErrcode(first)).toBe(40001);
    expect(await tokenErrcode(z.string().parse(second.access_token))).toBe(40003);
  });

  it('a second force_refresh within 30 s does not refresh: it answers the current token', async () => {
    const app = await sandbox.app('official_account');
    const first = await stable(app.appid, app.secret, true);
    await sandbox.advance(29);
    const again = await stable(app.appid, app.secret, true);
    expect(again.access_token).toBe(first.access_token);
    // Real milliseconds pass between the calls too: the lifetime is what is left after 29 s, floored.
    expect(again.expires_in).toBeGreaterThanOrEqual(7200 - 30);
    expect(again.expires_in).toBeLessThanOrEqual(7200 - 29);
    expect(await tokenErrcode(z.string().parse(first.access_token))).toBe(40003);
    await sandbox.advance(2);
    const later = await stable(app.appid, app.secret, true);
    expect(later.access_token).not.toBe(first.access_token);
    expect(await tokenErrcode(z.string().parse(first.access_token))).toBe(40001);
  });

  it('force_refresh is limited to 20 a day: the 21st answers 45009, the next day works again', async () => {
    const app = await sandbox.app('official_account');
    for (let index = 0; index < 20; index += 1) {
      expect(errcodeOf(await stable(app.appid, app.secret, true))).toBe(0);
      await sandbox.advance(31);
    }
    const refused = await stable(app.appid, app.secret, true);
    expect(refused.errcode).toBe(45009);
    expect(refused.errmsg).toMatch(/^reach max api daily quota limit, rid: /);
    expect(errcodeOf(await stable(app.appid, app.secret, false))).toBe(0);
    await sandbox.advance(86_400);
    expect(errcodeOf(await stable(app.appid, app.secret, true))).toBe(0);
  });

  it('in normal mode, the last 5 minutes answer a new token with at least 300 s; the old one lives out its time', async () => {
    const app = await sandbox.app('mini_program');
    const first = await stable(app.appid, app.secret);
    await sandbox.advance(7200 - 310);
    // Still more than 300 s left: the same token.
    const still = await stable(app.appid, app.secret);
    expect(still.access_token).toBe(first.access_token);
    expect(still.expires_in).toBeGreaterThan(300);
    expect(still.expires_in).toBeLessThanOrEqual(310);
    await sandbox.advance(11);
    const renewed = await stable(app.appid, app.secret);
    expect(renewed.access_token).not.toBe(first.access_token);
    expect(renewed.expires_in).toBe(7200);
    const old = z.string().parse(first.access_token);
    const phone = (token: string) => sandbox.wechatPostJson('/wxa/business/getuserphonenumber', { access_token: token }, { code: 'x' });
    expect((await phone(old)).errcode).toBe(40029);
    await sandbox.advance(300);
    expect((await phone(old)).errcode).toBe(40001);
  });

  it('GET answers WeChat JSON 43002 "require POST method", not an HTTP 404', async () => {
    const response = await fetch(`${sandbox.url}/cgi-bin/stable_token?grant_type=client_credential`);
    expect(response.status).toBe(200);
    const body = z.object({ errcode: z.number(), errmsg: z.string() }).parse(await response.json());
    expect(body.errcode).toBe(43002);
    expect(body.errmsg).toMatch(/^require POST method, rid: /);
  });

  it('does not cut the life of cgi-bin/token tokens', async () => {
    const app = await sandbox.app('official_account');
    const token = await sandbox.appToken(app.appid, app.secret);
    await stable(app.appid, app.secret, true);
    await stable(app.appid, app.secret, true);
    await sandbox.advance(600);
    expect(await tokenErrcode(token)).toBe(40003);
  });

  it('reads the JSON body whatever the content type says, or when there is none (WeChat does not look)', async () => {
    const app = await sandbox.app('official_account');
    const body = JSON.stringify({ grant_type: 'client_credential', appid: app.appid, secret: app.secret });
    const tokenSchema = z.object({ access_token: z.string(), expires_in: z.number() });
    for (const contentType of [undefined, 'application/x-www-form-urlencoded', 'text/plain', 'application/octet-stream']) {
      const response = await fetch(`${sandbox.url}/cgi-bin/stable_token`, {
        method: 'POST',
        body: new TextEncoder().encode(body),
        ...(contentType === undefined ? {} : { headers: { 'content-type': contentType } }),
      });
      expect(response.status, String(contentType)).toBe(200);
      expect(tokenSchema.safeParse(await response.json()).success, String(contentType)).toBe(true);
    }
  });

  it('refuses a body that is not JSON with 47001', async () => {
    const response = await fetch(`${sandbox.url}/cgi-bin/stable_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(response.status).toBe(200);
    expect(z.object({ errcode: z.number() }).parse(await response.json()).errcode).toBe(47001);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TestSandbox } from './test-support.ts';

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

  it('keeps the old token working for 5 minutes after a new one is fetched, then refuses it with 42001', async () => {
    const app = await sandbox.app('official_account');
    const old = await sandbox.appToken(app.appid, app.secret);
    const fresh = await sandbox.appToken(app.appid, app.secret);
    await sandbox.advance(4 * 60 + 50);
    expect(await tokenErrcode(old)).toBe(40003);
    await sandbox.advance(20);
    expect(await tokenErrcode(old)).toBe(42001);
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

  it('force_refresh issues a new token and the old one overlaps for 5 minutes', async () => {
    const app = await sandbox.app('official_account');
    const first = z.string().parse((await stable(app.appid, app.secret)).access_token);
    const second = await stable(app.appid, app.secret, true);
    expect(second.access_token).not.toBe(first);
    expect(second.expires_in).toBe(7200);
    expect(await tokenErrcode(first)).toBe(40003);
    await sandbox.advance(301);
    expect(await tokenErrcode(first)).toBe(42001);
  });

  it('does not cut the life of cgi-bin/token tokens', async () => {
    const app = await sandbox.app('official_account');
    const token = await sandbox.appToken(app.appid, app.secret);
    await stable(app.appid, app.secret, true);
    await stable(app.appid, app.secret, true);
    await sandbox.advance(600);
    expect(await tokenErrcode(token)).toBe(40003);
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

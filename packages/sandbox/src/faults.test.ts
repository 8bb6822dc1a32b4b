import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errcodeOf, TestSandbox } from './test-support.ts';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await TestSandbox.start({ seedDemoWorld: false });
});
afterEach(async () => {
  await sandbox.ok('DELETE', '/_sandbox/faults');
});
afterAll(async () => {
  await sandbox.close();
});

async function tokenCall(appid: string, secret: string) {
  return sandbox.wechatGet('/cgi-bin/token', { grant_type: 'client_credential', appid, secret });
}

describe('fault injection', () => {
  it('fails exactly the given share of calls with the given errcode, for that app only', async () => {
    const app = await sandbox.app('official_account');
    const other = await sandbox.app('official_account');
    await sandbox.ok('PUT', '/_sandbox/faults', { appid: app.appid, errcode: -1, rate: 0.2 });
    const codes: number[] = [];
    for (let i = 0; i < 10; i++) codes.push(errcodeOf(await tokenCall(app.appid, app.secret)));
    expect(codes.filter((code) => code === -1)).toHaveLength(2);
    expect(codes.filter((code) => code === 0)).toHaveLength(8);
    expect(errcodeOf(await tokenCall(other.appid, other.secret))).toBe(0);
  });

  it('applies a global fault to every app, and `times` limits how many calls fail', async () => {
    const app = await sandbox.app('mini_program');
    await sandbox.ok('PUT', '/_sandbox/faults', { errcode: -1, times: 2 });
    expect(errcodeOf(await tokenCall(app.appid, app.secret))).toBe(-1);
    expect(errcodeOf(await tokenCall(app.appid, app.secret))).toBe(-1);
    expect(errcodeOf(await tokenCall(app.appid, app.secret))).toBe(0);
  });

  it('answers every call with 45009 or 45011 while a quota fault is set', async () => {
    const app = await sandbox.app('official_account');
    await sandbox.ok('PUT', '/_sandbox/faults', { appid: app.appid, quota: 'daily' });
    expect(errcodeOf(await tokenCall(app.appid, app.secret))).toBe(45009);
    await sandbox.ok('PUT', '/_sandbox/faults', { appid: app.appid, quota: 'minute' });
    expect(errcodeOf(await tokenCall(app.appid, app.secret))).toBe(45011);
    await sandbox.ok('DELETE', `/_sandbox/faults?appid=${app.appid}`);
    expect(errcodeOf(await tokenCall(app.appid, app.secret))).toBe(0);
  });

  it('forces current app tokens to expire (42001) or become invalid (40001), while new tokens work', async () => {
    const app = await sandbox.app('official_account');
    const expired = await sandbox.appToken(app.appid, app.secret);
    await sandbox.ok('PUT', '/_sandbox/faults', { appid: app.appid, forceTokenExpiry: true });
    const invalid = await sandbox.appToken(app.appid, app.secret);
    const answer = await sandbox.ok('PUT', '/_sandbox/faults', { appid: app.appid, forceTokenExpiry: 'invalid' });
    expect(answer.revokedTokens).toBe(1);
    const fresh = await sandbox.appToken(app.appid, app.secret);
    const userInfo = (token: string) => sandbox.wechatGet('/cgi-bin/user/info', { access_token: token, openid: 'x' });
    expect((await userInfo(expired)).errcode).toBe(42001);
    expect((await userInfo(invalid)).errcode).toBe(40001);
    expect((await userInfo(fresh)).errcode).toBe(40003);
  });

  it('injects access-token errcodes only into calls that carry an access_token', async () => {
    const app = await sandbox.app('official_account');
    await sandbox.ok('PUT', '/_sandbox/faults', { appid: app.appid, errcode: 40001 });
    const token = await sandbox.appToken(app.appid, app.secret);
    expect((await sandbox.wechatGet('/cgi-bin/user/info', { access_token: token, openid: 'x' })).errcode).toBe(40001);
  });

  it('delays answers by latencyMs', async () => {
    const app = await sandbox.app('website');
    await sandbox.ok('PUT', '/_sandbox/faults', { appid: app.appid, latencyMs: 300 });
    const slow = fetch(`${sandbox.url}/sns/oauth2/access_token?appid=${app.appid}`, { signal: AbortSignal.timeout(50) });
    await expect(slow).rejects.toThrow();
    await sandbox.ok('DELETE', '/_sandbox/faults');
    const fast = await fetch(`${sandbox.url}/sns/oauth2/access_token?appid=${app.appid}`, { signal: AbortSignal.timeout(5000) });
    expect(fast.status).toBe(200);
  });

  it('lists the active faults and refuses an unknown appid or field', async () => {
    const app = await sandbox.app('website');
    await sandbox.ok('PUT', '/_sandbox/faults', { appid: app.appid, errcode: -1, rate: 0.5 });
    const listed = z
      .object({ faults: z.array(z.object({ appid: z.string().nullable() })) })
      .parse(await sandbox.ok('GET', '/_sandbox/faults'));
    expect(listed.faults.map((f) => f.appid)).toEqual([app.appid]);
    expect((await sandbox.control('PUT', '/_sandbox/faults', { appid: 'wx0000000000000000', errcode: -1 })).status).toBe(404);
    const bad = await sandbox.control('PUT', '/_sandbox/faults', { errcode: -1, rate: 2 });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'validation_failed' });
  });

  it('scope=global clears only the every-app fault: a per-app fault stays, its count and rate carrying on', async () => {
    const app = await sandbox.app('official_account');
    const other = await sandbox.app('official_account');
    await sandbox.ok('PUT', '/_sandbox/faults', { appid: app.appid, errcode: 40164, rate: 0.5 });
    await sandbox.ok('PUT', '/_sandbox/faults', { errcode: -1 });
    expect(errcodeOf(await tokenCall(other.appid, other.secret))).toBe(-1);
    // The app's own fault counts its first call (half a failure), the second one fails.
    expect(errcodeOf(await tokenCall(app.appid, app.secret))).toBe(-1);
    expect(errcodeOf(await tokenCall(app.appid, app.secret))).toBe(40164);

    const faultList = z.object({
      faults: z.array(z.object({ appid: z.string().nullable(), settings: z.record(z.string(), z.unknown()), injected: z.number() })),
    });
    const cleared = faultList.parse(await sandbox.ok('DELETE', '/_sandbox/faults?scope=global'));
    expect(cleared.faults).toEqual([{ appid: app.appid, settings: { errcode: 40164, rate: 0.5 }, injected: 1 }]);
    expect(errcodeOf(await tokenCall(other.appid, other.secret))).toBe(0);
    expect(errcodeOf(await tokenCall(app.appid, app.secret))).toBe(0);
    expect(errcodeOf(await tokenCall(app.appid, app.secret))).toBe(40164);

    const both = await sandbox.control('DELETE', `/_sandbox/faults?scope=global&appid=${app.appid}`);
    expect(both.status).toBe(400);
    expect(both.body).toMatchObject({ code: 'validation_failed' });
    expect((await sandbox.control('DELETE', '/_sandbox/faults?scope=app')).status).toBe(400);
  });
});

/**
 * The SDK in a Taro or uni-app mini program: `wxFromTaro(Taro)` / `wxFromUni(uni)` over fakes of
 * their API shapes (backed by real sandbox logins and real HTTP) sign a person in, keep tokens in
 * the framework's storage, report a failed login as a `WeunionError` without leaving an unhandled
 * rejection, and refuse a build target without the mini program API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo, LoginWorld, storageModes } from '../../server/src/login/test-harness.ts';
import { createWeunion, WeunionError, wxFromTaro, wxFromUni } from '../src/index.ts';
import { FakeTaro, FakeUni } from './framework-fakes.ts';
import { WxShim } from './wx-shim.ts';

const MP = demo('miniProgram');
const embedded = storageModes.find((m) => m.name === 'embedded');

async function weunionError(promise: Promise<unknown>): Promise<WeunionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof WeunionError)) throw new Error(`expected a WeunionError, got ${String(error)}`);
  return error;
}

describe('framework adapters without a mini program API', () => {
  it('refuse a Taro H5 or uni-app web build (no login) with invalid_options', () => {
    const h5 = { request: () => undefined, getStorageSync: () => '', setStorageSync: () => undefined, removeStorageSync: () => undefined };
    // @ts-expect-error: Taro's h5 build has no login
    expect(() => wxFromTaro(h5)).toThrowError(expect.objectContaining({ name: 'WeunionError', code: 'invalid_options' }));
    // @ts-expect-error: nor does uni-app's web build
    expect(() => wxFromUni(h5)).toThrowError(/uni has no login: build for a WeChat mini program/);
  });
});

describe.skipIf(embedded === undefined || embedded.skip)('@weunion/sdk-miniprogram in Taro and uni-app', () => {
  let world: LoginWorld;
  beforeAll(async () => {
    if (embedded === undefined) throw new Error('no embedded storage');
    world = await LoginWorld.start(embedded);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('Taro: login() signs in (S5), tokens live in Taro storage, accessToken() answers', async () => {
    const wx = new WxShim(world, MP.appid, await world.person('Tara'));
    const taro = new FakeTaro(wx);
    const weunion = createWeunion({ baseUrl: world.first.url, appid: MP.appid, wx: wxFromTaro(taro) });
    const result = await weunion.login();
    expect(result).toMatchObject({ status: 'signed_in', phoneSource: 'none' });
    expect(wx.storage.size).toBeGreaterThan(0);
    expect(await weunion.accessToken()).toMatch(/^eyJ/);
    const again = createWeunion({ baseUrl: world.first.url, appid: MP.appid, wx: wxFromTaro(taro) });
    expect(again.isLoggedIn()).toBe(true);
  });

  it('Taro: a failed Taro.login is a wx_login_failed WeunionError (its rejected promise is handled)', async () => {
    const taro = new FakeTaro(new WxShim(world, MP.appid, await world.person('Tomas')));
    const weunion = createWeunion({ baseUrl: world.first.url, appid: MP.appid, wx: wxFromTaro(taro) });
    taro.failNextLogin = true;
    expect((await weunionError(weunion.login())).code).toBe('wx_login_failed');
    expect(await weunion.login()).toMatchObject({ status: 'signed_in' });
  });

  it('uni-app: login() signs in (S5) through uni.login with the weixin provider', async () => {
    const uni = new FakeUni(new WxShim(world, MP.appid, await world.person('Uma')));
    const weunion = createWeunion({ baseUrl: world.first.url, appid: MP.appid, wx: wxFromUni(uni) });
    expect(await weunion.login()).toMatchObject({ status: 'signed_in' });
    expect(uni.providers).toEqual(['weixin']);
  });
});

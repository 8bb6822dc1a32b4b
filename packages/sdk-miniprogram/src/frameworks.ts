/**
 * Taro and uni-app: most mini programs are written with one of them, and both wrap `wx` with the
 * same calls — `Taro.login` / `uni.login`, `Taro.request` / `uni.request` (`url`, `method`,
 * `data`, `header`, `success({ statusCode, data })`, `fail({ errMsg })`) and the `*StorageSync`
 * trio — besides returning promises, which the SDK does not need. So `createWeunion({ wx: Taro })`
 * works as it is; these adapters add what the frameworks leave to you:
 *
 * - a clear `invalid_options` error when the build target has no mini program API (Taro's `h5`,
 *   uni-app's `web`), instead of an undefined method deep in a login;
 * - uni-app: `provider: 'weixin'` on `uni.login` (uni-app asks for it outside WeChat; a login code
 *   is only worth something to weunion from a WeChat mini program build, `mp-weixin`).
 *
 * - Taro's calls (and uni-app's when given no callbacks) also return a promise that rejects on
 *   failure; the SDK hears the failure through `fail`, so the adapters catch that rejection
 *   rather than leave an unhandled one behind.
 *
 * Methods are called on the framework object, so they keep their `this`.
 */
import { WeunionError } from './errors.ts';
import type { Wx, WxFail, WxLoginSuccess, WxRequestOptions } from './wx.ts';

/** What Taro (`@tarojs/taro`) and uni-app (`uni`) offer of the `wx` calls the SDK makes. */
export interface WxCompatible {
  login(options: { provider?: string; timeout?: number; success(result: WxLoginSuccess): void; fail(error: WxFail): void }): unknown;
  request(options: WxRequestOptions): unknown;
  getStorageSync(key: string): unknown;
  setStorageSync(key: string, value: unknown): unknown;
  removeStorageSync(key: string): unknown;
}

const CALLS = ['login', 'request', 'getStorageSync', 'setStorageSync', 'removeStorageSync'] as const;

function checked(api: WxCompatible | undefined, name: string, target: string): WxCompatible {
  const missing = CALLS.filter((call) => typeof api?.[call] !== 'function');
  if (api === undefined || missing.length > 0) {
    throw new WeunionError('invalid_options', `${name} has no ${missing.join(', ')}: build for a WeChat mini program (${target})`);
  }
  return api;
}

/** A promise the framework returned besides calling `fail`: its rejection is already handled. */
function settled(result: unknown): void {
  if (typeof result === 'object' && result !== null && 'then' in result && typeof result.then === 'function') {
    result.then(undefined, () => {});
  }
}

/** The `wx` for `createWeunion` in a Taro app: `createWeunion({ baseUrl, appid, wx: wxFromTaro(Taro) })`. */
export function wxFromTaro(taro: WxCompatible): Wx {
  const api = checked(taro, 'Taro', 'taro build --type weapp');
  return {
    login: (options) => settled(api.login(options)),
    request: (options) => {
      const task = api.request(options);
      settled(task);
      return task;
    },
    getStorageSync: (key) => api.getStorageSync(key),
    setStorageSync: (key, value) => void api.setStorageSync(key, value),
    removeStorageSync: (key) => void api.removeStorageSync(key),
  };
}

/** The `wx` for `createWeunion` in a uni-app app: `createWeunion({ baseUrl, appid, wx: wxFromUni(uni) })`. */
export function wxFromUni(uni: WxCompatible): Wx {
  const api = checked(uni, 'uni', 'the mp-weixin platform');
  return {
    login: (options) => settled(api.login({ provider: 'weixin', ...options })),
    request: (options) => {
      const task = api.request(options);
      settled(task);
      return task;
    },
    getStorageSync: (key) => api.getStorageSync(key),
    setStorageSync: (key, value) => void api.setStorageSync(key, value),
    removeStorageSync: (key) => void api.removeStorageSync(key),
  };
}

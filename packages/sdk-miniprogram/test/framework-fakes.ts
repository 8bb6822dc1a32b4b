/**
 * Fakes of the Taro and uni-app API shapes, over the `wx` shim (so logins are real sandbox codes
 * and requests real HTTP). Taro (`@tarojs/taro`): every call takes `success` / `fail` /
 * `complete` and also returns a promise that rejects on failure; `request` returns a RequestTask
 * (a promise with `abort()`); `*StorageSync` are synchronous. uni-app (`uni`): the same calls with
 * callbacks; `login` takes a `provider`. Calls use private fields, so an unbound call would fail.
 */
import type { WxFail, WxLoginSuccess, WxRequestOptions, WxRequestSuccess } from '../src/index.ts';
import type { WxShim } from './wx-shim.ts';

interface Callbacks<T> {
  success?(result: T): void;
  fail?(error: WxFail): void;
  complete?(result: T | WxFail): void;
}

/** Taro's way: callbacks and a promise. */
function taroCall<T>(options: Callbacks<T>, start: (done: { success(result: T): void; fail(error: WxFail): void }) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start({
      success: (result) => {
        options.success?.(result);
        options.complete?.(result);
        resolve(result);
      },
      fail: (error) => {
        options.fail?.(error);
        options.complete?.(error);
        reject(error);
      },
    });
  });
}

export class FakeTaro {
  readonly #wx: WxShim;
  /** The next `Taro.login` fails (the person's WeChat refused, or no network). */
  failNextLogin = false;

  constructor(wx: WxShim) {
    this.#wx = wx;
  }

  login(options: Callbacks<WxLoginSuccess> & { timeout?: number } = {}): Promise<WxLoginSuccess> {
    const fail = this.failNextLogin;
    this.failNextLogin = false;
    return taroCall(options, (done) => {
      if (fail) done.fail({ errMsg: 'login:fail network error' });
      else this.#wx.login({ success: (result) => done.success({ ...result, errMsg: 'login:ok' }), fail: done.fail });
    });
  }

  request(
    options: Omit<WxRequestOptions, 'success' | 'fail'> & Callbacks<WxRequestSuccess>,
  ): Promise<WxRequestSuccess> & { abort(): void } {
    const task = taroCall(options, (done) => this.#wx.request({ ...options, success: done.success, fail: done.fail }));
    return Object.assign(task, { abort: () => {} });
  }

  getStorageSync(key: string): unknown {
    return this.#wx.getStorageSync(key);
  }

  setStorageSync(key: string, value: unknown): void {
    this.#wx.setStorageSync(key, value);
  }

  removeStorageSync(key: string): void {
    this.#wx.removeStorageSync(key);
  }
}

export class FakeUni {
  readonly #wx: WxShim;
  readonly providers: (string | undefined)[] = [];

  constructor(wx: WxShim) {
    this.#wx = wx;
  }

  login(options: { provider?: string; success(result: WxLoginSuccess): void; fail(error: WxFail): void }): void {
    this.providers.push(options.provider);
    this.#wx.login(options);
  }

  request(options: WxRequestOptions): { abort(): void } {
    this.#wx.request(options);
    return { abort: () => {} };
  }

  getStorageSync(key: string): unknown {
    return this.#wx.getStorageSync(key);
  }

  setStorageSync(key: string, value: unknown): void {
    this.#wx.setStorageSync(key, value);
  }

  removeStorageSync(key: string): void {
    this.#wx.removeStorageSync(key);
  }
}

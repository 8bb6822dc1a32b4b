/**
 * A `wx` for Node: `wx.login` is answered by the WeChat sandbox (`/_sandbox/actions/js-login` for
 * the shim's current person, so codes are real), `wx.request` by `fetch` against weunion (JSON in
 * and out, non-2xx answers to `success` as WeChat does), storage in a Map.
 */
import { z } from 'zod';
import type { LoginWorld } from '../../server/src/login/test-harness.ts';
import type { Wx, WxRequestOptions } from '../src/index.ts';

export class WxShim implements Wx {
  readonly storage = new Map<string, unknown>();
  /** Who holds the phone; change it to hand the phone to someone else. */
  personId: string;
  /** The next `wx.login` answers this code instead of asking the sandbox (a stale or forged code). */
  nextCode: string | undefined;
  logins = 0;
  readonly #world: LoginWorld;
  readonly #appid: string;

  constructor(world: LoginWorld, appid: string, personId: string) {
    this.#world = world;
    this.#appid = appid;
    this.personId = personId;
  }

  login(options: { success(result: { code: string }): void; fail(error: { errMsg: string }): void }): void {
    this.logins += 1;
    const forced = this.nextCode;
    this.nextCode = undefined;
    const code =
      forced !== undefined
        ? Promise.resolve(forced)
        : this.#world
            .sandbox('POST', '/actions/js-login', { personId: this.personId, appid: this.#appid })
            .then((answer) => z.string().parse(answer.code));
    code.then(
      (value) => options.success({ code: value }),
      (error: unknown) => options.fail({ errMsg: `login:fail ${String(error)}` }),
    );
  }

  request(options: WxRequestOptions): void {
    fetch(options.url, {
      method: options.method,
      headers: options.header ?? {},
      ...(options.data === undefined ? {} : { body: JSON.stringify(options.data) }),
    })
      .then(async (response) => {
        const text = await response.text();
        let data: unknown = text;
        try {
          data = text === '' ? '' : JSON.parse(text);
        } catch {}
        options.success({ statusCode: response.status, data });
      })
      .catch((error: unknown) => options.fail({ errMsg: `request:fail ${String(error)}` }));
  }

  getStorageSync(key: string): unknown {
    // WeChat answers '' for a key never set.
    return this.storage.get(key) ?? '';
  }

  setStorageSync(key: string, value: unknown): void {
    // WeChat stores a copy (JSON-serializable values), not the object itself.
    this.storage.set(key, JSON.parse(JSON.stringify(value)));
  }

  removeStorageSync(key: string): void {
    this.storage.delete(key);
  }

  /** What the getPhoneNumber button hands its handler when the person shares their number. */
  async phoneEvent() {
    const answer = await this.#world.sandbox('POST', '/actions/phone-code', { personId: this.personId, appid: this.#appid });
    return { detail: { errMsg: 'getPhoneNumber:ok', code: z.string().parse(answer.code) } };
  }

  /** The legacy button's event: the phone encrypted under the session_key of the latest wx.login. */
  async encryptedPhoneEvent() {
    const answer = await this.#world.sandbox('POST', '/actions/encrypted-phone', { personId: this.personId, appid: this.#appid });
    return {
      detail: { errMsg: 'getPhoneNumber:ok', encryptedData: z.string().parse(answer.encryptedData), iv: z.string().parse(answer.iv) },
    };
  }
}

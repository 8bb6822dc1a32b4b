/**
 * The slice of the mini program `wx` API this SDK uses, declared here so the SDK runs against the
 * real `wx` global in a mini program and against a shim in tests. Shapes follow the WeChat docs
 * (wx.login, wx.request, wx.getStorageSync…); only the fields read here are declared.
 */

export interface WxLoginSuccess {
  code: string;
  errMsg?: string;
}

export interface WxFail {
  errMsg: string;
}

export interface WxRequestSuccess {
  statusCode: number;
  /** Parsed JSON when the answer was JSON (`dataType: 'json'`, the default), otherwise text. */
  data: unknown;
}

export interface WxRequestOptions {
  url: string;
  method: 'GET' | 'POST';
  /** An object is sent as JSON when `content-type` is `application/json`. */
  data?: Record<string, unknown>;
  header?: Record<string, string>;
  dataType?: 'json';
  timeout?: number;
  success(result: WxRequestSuccess): void;
  fail(error: WxFail): void;
}

export interface Wx {
  login(options: { timeout?: number; success(result: WxLoginSuccess): void; fail(error: WxFail): void }): void;
  request(options: WxRequestOptions): unknown;
  getStorageSync(key: string): unknown;
  setStorageSync(key: string, value: unknown): void;
  removeStorageSync(key: string): void;
}

/** What `<button open-type="getPhoneNumber" bindgetphonenumber>` hands its handler. */
export interface PhoneNumberEvent {
  detail: {
    errMsg?: string;
    /** The one-time phone code (current API, paid per successful use). */
    code?: string;
    /** Legacy: the phone encrypted under the session_key of the latest `wx.login`. */
    encryptedData?: string;
    iv?: string;
  };
}

/** The options a page's `onLoad` (or the app's `onLaunch`/`onShow`) receives. */
export interface LaunchOptions {
  /** Page options: the mini program code's `scene`, URL-encoded (S3). App options: a number (the entry scene value). */
  scene?: unknown;
  /** Page options: `ticket` from the page path an app opened (S7). */
  ticket?: unknown;
  /** App options (`onLaunch`/`onShow`): the page's query. */
  query?: unknown;
}

/** Promise form of `wx.login`: a fresh login code. */
export function wxLogin(wx: Wx): Promise<string> {
  return new Promise((resolve, reject) => {
    wx.login({
      success: (result) => resolve(result.code),
      fail: (error) => reject(new Error(error.errMsg)),
    });
  });
}

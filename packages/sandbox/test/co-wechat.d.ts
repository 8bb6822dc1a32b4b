// The slice of the third-party node-webot clients the fidelity tests drive (they ship no types).
// Answers are typed `unknown` on purpose: the tests parse them, as anything from outside is.
declare module 'co-wechat-api' {
  export default class WechatAPI {
    constructor(appid: string, appsecret: string);
    prefix: string;
    snsPrefix: string;
    mpPrefix: string;
    wxaPrefix: string;
    getAccessToken(): Promise<{ accessToken: string; expireTime: number }>;
    getUser(options: { openid: string; lang: string }): Promise<unknown>;
    batchGetUsers(openids: string[], lang?: string): Promise<unknown>;
    createTmpQRCode(scene: string | number, expireSeconds: number): Promise<unknown>;
    showQRCodeURL(ticket: string): string;
    getJsConfig(param: { url: string; jsApiList: string[]; debug?: boolean }): Promise<unknown>;
    code2Session(jsCode: string): Promise<unknown>;
    getWXACodeUnlimit(scene: string, page?: string, width?: number): Promise<unknown>;
  }
}

declare module 'co-wechat-oauth' {
  export default class OAuth {
    constructor(appid: string, appsecret: string);
    request(url: string, options?: Record<string, unknown>): Promise<unknown>;
    getAuthorizeURL(redirect: string, state: string, scope: 'snsapi_base' | 'snsapi_userinfo'): string;
    getAuthorizeURLForWebsite(redirect: string, state?: string, scope?: string): string;
    getAccessToken(code: string): Promise<{ data: unknown }>;
    refreshAccessToken(refreshToken: string): Promise<{ data: unknown }>;
    getUser(options: string | { openid: string; lang?: string }): Promise<unknown>;
    verifyToken(openid: string, accessToken: string): Promise<unknown>;
  }
}

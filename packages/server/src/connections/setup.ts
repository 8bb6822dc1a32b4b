/**
 * What to paste into WeChat's platforms for one connection, worked out from PUBLIC_URL and the
 * routes that really serve it, so the console shows values that cannot drift from the server:
 *
 * - `server_url` (official account, 公众平台 › 设置与开发 › 基本配置 › 服务器地址(URL)): where WeChat
 *   pushes messages and events (the follow event S1 waits for) — `wechat-callback/routes.ts`. The
 *   Token and EncodingAESKey to enter beside it are the ones stored on this connection.
 * - `oauth_domain`: the web authorization domain (official account, 网页授权域名, S4) or the
 *   authorization callback domain (website app, 授权回调域, S2): the host of PUBLIC_URL, where
 *   `/login/s4/callback` and `/login/s2/callback` live.
 * - `js_domain` (official account, JS接口安全域名): pages on this host may use the JS-SDK.
 * - `request_domain` (mini program, 开发管理 › 服务器域名 › request合法域名): the https origin the
 *   mini program calls with `wx.request` (S3 confirm, S5 login).
 * A mobile app has nothing to paste: its SDK talks to WeChat, and its backend to weunion.
 */
import type { WechatAppType } from '@weunion/wechat';

export interface SetupValue {
  key: string;
  value: string;
}

// The description of these keys in the OpenAPI document is SETUP_KEYS_DESCRIPTION in @weunion/management-api.
export function connectionSetup(connection: { appType: WechatAppType; appid: string }, publicUrl: string): SetupValue[] {
  const url = new URL(publicUrl);
  const base = publicUrl.replace(/\/+$/, '');
  switch (connection.appType) {
    case 'official_account':
      return [
        { key: 'server_url', value: `${base}/wechat/callback/${encodeURIComponent(connection.appid)}` },
        { key: 'oauth_domain', value: url.host },
        { key: 'js_domain', value: url.host },
      ];
    case 'website':
      return [{ key: 'oauth_domain', value: url.host }];
    case 'mini_program':
      return [{ key: 'request_domain', value: url.origin }];
    case 'mobile_app':
      return [];
  }
}

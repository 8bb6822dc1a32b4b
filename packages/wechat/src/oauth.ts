/**
 * Web OAuth for website apps (QR login, "网站应用微信登录"), mobile apps (OpenSDK SendAuth) and
 * official accounts (web authorization inside the WeChat browser, "网页授权").
 *
 * Quirks handled here:
 * - The authorize URLs need their parameters in WeChat's order and must end in `#wechat_redirect`.
 * - `unionid` is absent for apps not bound to an Open Platform account, and for official accounts
 *   with `snsapi_base`.
 * - `is_snapshotuser: 1` marks a virtual "snapshot page" user whose ids are fake: surfaced as
 *   `isSnapshotUser` so the scenario can refuse it.
 * - `sns/userinfo` with a `snsapi_base` token answers 48001 (`wechat_scope_unauthorized`).
 */
import { AppError } from '@weunion/errors';
import { z } from 'zod';
import { endpointUrl, type WechatEndpoints } from './endpoints.ts';
import { isAccessTokenRejected } from './errcodes.ts';
import { assertWechatState } from './state-param.ts';
import type { WechatAppCredentials } from './tokens.ts';
import type { CallOptions, WechatTransport } from './transport.ts';

const QRCONNECT_PATH = 'connect/qrconnect';
const AUTHORIZE_PATH = 'connect/oauth2/authorize';
const ACCESS_TOKEN_PATH = 'sns/oauth2/access_token';
const REFRESH_TOKEN_PATH = 'sns/oauth2/refresh_token';
const USERINFO_PATH = 'sns/userinfo';
const AUTH_PATH = 'sns/auth';

export type OAuthScope = 'snsapi_base' | 'snsapi_userinfo';
export type UserInfoLang = 'zh_CN' | 'zh_TW' | 'en';

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const oauthTokenSchema = z
  .looseObject({
    access_token: z.string().min(1),
    expires_in: z.number().int().positive(),
    refresh_token: z.string().min(1),
    openid: z.string().min(1),
    scope: z.string(),
    unionid: optionalString,
    is_snapshotuser: z.union([z.number(), z.boolean()]).optional(),
  })
  .transform((answer) => ({
    accessToken: answer.access_token,
    expiresIn: answer.expires_in,
    refreshToken: answer.refresh_token,
    openid: answer.openid,
    /** Comma-separated in WeChat's answer, e.g. `snsapi_userinfo`. */
    scopes: answer.scope.split(',').filter((scope) => scope !== ''),
    unionid: answer.unionid,
    isSnapshotUser: answer.is_snapshotuser === 1 || answer.is_snapshotuser === true,
  }));

/** A user access_token from `sns/oauth2/access_token` or `sns/oauth2/refresh_token`. */
export type OAuthAccessToken = z.output<typeof oauthTokenSchema>;

const snsUserInfoSchema = z
  .looseObject({
    openid: z.string().min(1),
    nickname: z.string().default(''),
    sex: z.number().int().default(0),
    province: z.string().default(''),
    city: z.string().default(''),
    country: z.string().default(''),
    headimgurl: z.string().default(''),
    privilege: z.array(z.string()).default([]),
    unionid: optionalString,
  })
  .transform((answer) => ({
    openid: answer.openid,
    nickname: answer.nickname,
    /** 0 unknown, 1 male, 2 female. */
    sex: answer.sex,
    province: answer.province,
    city: answer.city,
    country: answer.country,
    /** The last path segment is the size (0 = 640px, 46, 64, 96, 132); empty when none. */
    headImgUrl: answer.headimgurl,
    privilege: answer.privilege,
    unionid: answer.unionid,
  }));

/** A person's profile from `sns/userinfo`. */
export type SnsUserInfo = z.output<typeof snsUserInfoSchema>;

const okSchema = z.looseObject({});

export interface QrConnectUrlInput {
  appid: string;
  /** Where WeChat sends the browser back with `code` and `state`. */
  redirectUri: string;
  /** 1–128 characters of `[A-Za-z0-9]`. */
  state: string;
}

export interface AuthorizeUrlInput extends QrConnectUrlInput {
  scope: OAuthScope;
}

export interface OAuthClient {
  /** The website-app QR login page (`connect/qrconnect`, scope `snsapi_login`). */
  qrConnectUrl(input: QrConnectUrlInput): string;
  /** The official-account authorize page opened inside the WeChat browser (`connect/oauth2/authorize`). */
  authorizeUrl(input: AuthorizeUrlInput): string;
  /** Exchanges a single-use code for the person's user access_token, openid and (when bound) unionid. */
  exchangeCode(app: WechatAppCredentials, code: string, options?: CallOptions): Promise<OAuthAccessToken>;
  /** Renews a user access_token with its refresh_token (valid 30 days). */
  refreshAccessToken(appid: string, refreshToken: string, options?: CallOptions): Promise<OAuthAccessToken>;
  /** The person's profile; needs a `snsapi_userinfo` or `snsapi_login` token. */
  getUserInfo(accessToken: string, openid: string, options?: CallOptions & { lang?: UserInfoLang }): Promise<SnsUserInfo>;
  /** Whether a user access_token is still valid for `openid` (`sns/auth`); false also when it belongs to another openid. */
  checkAccessToken(accessToken: string, openid: string, options?: CallOptions): Promise<boolean>;
}

export function createOAuthClient(context: { endpoints: WechatEndpoints; transport: WechatTransport }): OAuthClient {
  const { endpoints, transport } = context;
  return {
    qrConnectUrl(input) {
      assertWechatState(input.state);
      const url = endpointUrl(endpoints.open, QRCONNECT_PATH, [
        ['appid', input.appid],
        ['redirect_uri', input.redirectUri],
        ['response_type', 'code'],
        ['scope', 'snsapi_login'],
        ['state', input.state],
      ]);
      return `${url}#wechat_redirect`;
    },

    authorizeUrl(input) {
      assertWechatState(input.state);
      const url = endpointUrl(endpoints.open, AUTHORIZE_PATH, [
        ['appid', input.appid],
        ['redirect_uri', input.redirectUri],
        ['response_type', 'code'],
        ['scope', input.scope],
        ['state', input.state],
      ]);
      return `${url}#wechat_redirect`;
    },

    exchangeCode(app, code, options = {}) {
      return transport.json(
        {
          endpoint: ACCESS_TOKEN_PATH,
          query: [
            ['appid', app.appid],
            ['secret', app.secret],
            ['code', code],
            ['grant_type', 'authorization_code'],
          ],
          secrets: [app.secret, code],
          signal: options.signal,
        },
        oauthTokenSchema,
      );
    },

    refreshAccessToken(appid, refreshToken, options = {}) {
      return transport.json(
        {
          endpoint: REFRESH_TOKEN_PATH,
          query: [
            ['appid', appid],
            ['grant_type', 'refresh_token'],
            ['refresh_token', refreshToken],
          ],
          secrets: [refreshToken],
          signal: options.signal,
        },
        oauthTokenSchema,
      );
    },

    getUserInfo(accessToken, openid, options = {}) {
      return transport.json(
        {
          endpoint: USERINFO_PATH,
          query: [
            ['access_token', accessToken],
            ['openid', openid],
            ['lang', options.lang ?? 'zh_CN'],
          ],
          secrets: [accessToken],
          signal: options.signal,
        },
        snsUserInfoSchema,
      );
    },

    async checkAccessToken(accessToken, openid, options = {}) {
      try {
        await transport.json(
          {
            endpoint: AUTH_PATH,
            query: [
              ['access_token', accessToken],
              ['openid', openid],
            ],
            secrets: [accessToken],
            signal: options.signal,
          },
          okSchema,
        );
        return true;
      } catch (error) {
        // An invalid or expired token, or one issued for another openid (40003), is the answer to
        // the question, not a failure.
        if (isAccessTokenRejected(error) || (error instanceof AppError && error.code === 'wechat_invalid_argument')) return false;
        throw error;
      }
    },
  };
}

/**
 * Mini program server APIs: login (jscode2session), phone number, the "scan to log in" code, and
 * the session_key check.
 *
 * Quirks handled here:
 * - `session_key` never leaves the server; it is secret like a password and redacted from errors.
 * - `getuserphonenumber` documents `countryCode` as a string but shows the number 86 in examples:
 *   both are accepted and returned as a string. Each successful call is billed to the app's owner.
 * - `getwxacodeunlimit` answers image bytes on success and JSON on failure; `scene` is at most 32
 *   visible characters of `[0-9A-Za-z!#$&'()*+,/:;=?@-._~]`, checked here before WeChat says 40129/40169.
 * - `wxa/checksession` answers 87009 when the signature does not match the current session_key:
 *   that is the "no" answer, not a failure.
 */
import { AppError } from '@weunion/errors';
import { z } from 'zod';
import { checkSessionSignature } from './crypto/user-data.ts';
import { createMiniProgramLinks, type MiniProgramLinks } from './mini-program-links.ts';
import { type AccessTokenCache, type WechatAppCredentials, withAccessToken } from './tokens.ts';
import type { CallOptions, WechatImage, WechatTransport } from './transport.ts';

const JSCODE2SESSION_PATH = 'sns/jscode2session';
const PHONE_NUMBER_PATH = 'wxa/business/getuserphonenumber';
const UNLIMITED_CODE_PATH = 'wxa/getwxacodeunlimit';
const CHECK_SESSION_PATH = 'wxa/checksession';

const SCENE_PATTERN = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$/;

const sessionSchema = z
  .looseObject({
    openid: z.string().min(1),
    session_key: z.string().min(1),
    unionid: z
      .string()
      .optional()
      .transform((value) => (value === '' ? undefined : value)),
  })
  .transform((answer) => ({ openid: answer.openid, sessionKey: answer.session_key, unionid: answer.unionid }));

/** The result of `sns/jscode2session`. `sessionKey` is a secret: keep it on the server. */
export type MiniProgramSession = z.output<typeof sessionSchema>;

const phoneSchema = z
  .looseObject({
    phone_info: z.looseObject({
      phoneNumber: z.string().min(1),
      purePhoneNumber: z.string().min(1),
      countryCode: z.union([z.string(), z.number().int()]).transform(String),
      watermark: z.looseObject({ timestamp: z.number().int(), appid: z.string() }),
    }),
  })
  .transform((answer) => answer.phone_info);

/** The phone number a person shared (`wxa/business/getuserphonenumber`). */
export interface MiniProgramPhoneNumber {
  /** With the country code for non-mainland numbers ("+1…"), often without for mainland ones. */
  phoneNumber: string;
  /** Without the country code. */
  purePhoneNumber: string;
  /** Always a string here, e.g. "86". */
  countryCode: string;
  watermark: { timestamp: number; appid: string };
}

export interface UnlimitedCodeInput {
  /** At most 32 visible characters of `[0-9A-Za-z!#$&'()*+,/:;=?@-._~]`; reaches the page as `options.scene`. */
  scene: string;
  /** A published page, e.g. `pages/login/index`, no leading slash. Default: the home page. */
  page?: string;
  /** Whether WeChat checks that `page` exists (default true, as WeChat). */
  checkPath?: boolean;
  envVersion?: 'release' | 'trial' | 'develop';
  /** 280–1280 px. */
  width?: number;
}

export interface MiniProgramClient extends MiniProgramLinks {
  /** Exchanges a `wx.login()` code for openid, session_key and (when bound) unionid. */
  codeToSession(app: WechatAppCredentials, jsCode: string, options?: CallOptions): Promise<MiniProgramSession>;
  /** Exchanges a getPhoneNumber button code (single use, 5 minutes) for the phone number. */
  getPhoneNumber(app: WechatAppCredentials, code: string, options?: CallOptions): Promise<MiniProgramPhoneNumber>;
  /** A mini program code image (PNG) that opens `page` with `scene`. */
  getUnlimitedCode(app: WechatAppCredentials, input: UnlimitedCodeInput, options?: CallOptions): Promise<WechatImage>;
  /** Whether `sessionKey` is still the person's current session_key. */
  checkSession(app: WechatAppCredentials, openid: string, sessionKey: string, options?: CallOptions): Promise<boolean>;
}

const okSchema = z.looseObject({});

export function createMiniProgramClient(context: { transport: WechatTransport; tokens: AccessTokenCache }): MiniProgramClient {
  const { transport, tokens } = context;
  return {
    ...createMiniProgramLinks({ transport, tokens }),

    codeToSession(app, jsCode, options = {}) {
      return transport.json(
        {
          endpoint: JSCODE2SESSION_PATH,
          query: [
            ['appid', app.appid],
            ['secret', app.secret],
            ['js_code', jsCode],
            ['grant_type', 'authorization_code'],
          ],
          secrets: [app.secret, jsCode],
          signal: options.signal,
        },
        sessionSchema,
      );
    },

    async getPhoneNumber(app, code, options = {}) {
      const phone = await withAccessToken(
        tokens,
        app,
        (accessToken) =>
          transport.json(
            {
              endpoint: PHONE_NUMBER_PATH,
              query: [['access_token', accessToken]],
              body: { code },
              secrets: [accessToken, code],
              signal: options.signal,
            },
            phoneSchema,
          ),
        options.signal,
      );
      if (phone.watermark.appid !== app.appid) {
        throw new AppError('wechat_bad_response', `WeChat ${PHONE_NUMBER_PATH} answered a number watermarked for another app`, {
          details: { endpoint: PHONE_NUMBER_PATH, reason: 'watermark appid mismatch' },
        });
      }
      return {
        phoneNumber: phone.phoneNumber,
        purePhoneNumber: phone.purePhoneNumber,
        countryCode: phone.countryCode,
        watermark: { timestamp: phone.watermark.timestamp, appid: phone.watermark.appid },
      };
    },

    async getUnlimitedCode(app, input, options = {}) {
      if (!SCENE_PATTERN.test(input.scene)) {
        throw new AppError('validation_failed', "scene must be 1 to 32 characters of [0-9A-Za-z!#$&'()*+,/:;=?@-._~]", {
          details: { field: 'scene' },
        });
      }
      if (input.width !== undefined && (!Number.isInteger(input.width) || input.width < 280 || input.width > 1280)) {
        throw new AppError('validation_failed', 'width must be an integer from 280 to 1280', { details: { field: 'width' } });
      }
      const body: Record<string, unknown> = { scene: input.scene };
      if (input.page !== undefined) body.page = input.page;
      if (input.checkPath !== undefined) body.check_path = input.checkPath;
      if (input.envVersion !== undefined) body.env_version = input.envVersion;
      if (input.width !== undefined) body.width = input.width;
      return withAccessToken(
        tokens,
        app,
        (accessToken) =>
          transport.image({
            endpoint: UNLIMITED_CODE_PATH,
            query: [['access_token', accessToken]],
            body,
            secrets: [accessToken],
            signal: options.signal,
          }),
        options.signal,
      );
    },

    async checkSession(app, openid, sessionKey, options = {}) {
      const signature = checkSessionSignature(sessionKey);
      try {
        await withAccessToken(
          tokens,
          app,
          (accessToken) =>
            transport.json(
              {
                endpoint: CHECK_SESSION_PATH,
                query: [
                  ['access_token', accessToken],
                  ['signature', signature],
                  ['openid', openid],
                  ['sig_method', 'hmac_sha256'],
                ],
                secrets: [accessToken, signature, sessionKey],
                signal: options.signal,
              },
              okSchema,
            ),
          options.signal,
        );
        return true;
      } catch (error) {
        if (error instanceof AppError && error.code === 'wechat_signature_invalid') return false;
        throw error;
      }
    },
  };
}

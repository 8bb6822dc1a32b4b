/**
 * Official Account server APIs used by "follow to log in": parametric QR codes and follower info.
 *
 * Quirks handled here:
 * - `QR_STR_SCENE` takes `scene_str` (1–64 chars), `QR_SCENE` a 32-bit `scene_id`; temporary codes
 *   live at most 2,592,000 s; permanent codes (`QR_LIMIT_*`) have no `expire_seconds` in the answer.
 * - The QR image lives on another host (mp.weixin.qq.com) and needs no token, only the ticket, URL-encoded.
 * - `user/info` for a non-follower answers `subscribe: 0` and little else. Since 2021-12-27 it has no
 *   nickname/avatar.
 */
import { AppError } from '@weunion/errors';
import { z } from 'zod';
import { endpointUrl, type WechatEndpoints } from './endpoints.ts';
import { type AccessTokenCache, type WechatAppCredentials, withAccessToken } from './tokens.ts';
import type { CallOptions, WechatTransport } from './transport.ts';

const QRCODE_CREATE_PATH = 'cgi-bin/qrcode/create';
const SHOWQRCODE_PATH = 'cgi-bin/showqrcode';
const USER_INFO_PATH = 'cgi-bin/user/info';
const USER_BATCH_PATH = 'cgi-bin/user/info/batchget';
const BATCH_LIMIT = 100;

const MAX_TEMPORARY_SECONDS = 2_592_000;

const qrCodeSchema = z
  .looseObject({ ticket: z.string().min(1), expire_seconds: z.number().int().positive().optional(), url: z.string() })
  .transform((answer) => ({
    ticket: answer.ticket,
    /** Absent for permanent codes. */
    expireSeconds: answer.expire_seconds,
    /** The content of the QR code (what a phone reads). */
    url: answer.url,
  }));

/** A parametric QR code from `cgi-bin/qrcode/create`, plus where its image is. */
export type OfficialAccountQrCode = z.output<typeof qrCodeSchema> & { imageUrl: string };

const followerSchema = z
  .looseObject({
    subscribe: z.number().int(),
    openid: z.string().min(1),
    unionid: z
      .string()
      .optional()
      .transform((value) => (value === '' ? undefined : value)),
    language: z.string().optional(),
    subscribe_time: z.number().int().optional(),
    remark: z.string().optional(),
    groupid: z.number().int().optional(),
    tagid_list: z.array(z.number().int()).optional(),
    subscribe_scene: z.string().optional(),
    qr_scene: z.number().int().optional(),
    qr_scene_str: z.string().optional(),
  })
  .transform((answer) => ({
    subscribed: answer.subscribe === 1,
    openid: answer.openid,
    unionid: answer.unionid,
    language: answer.language,
    /** Epoch seconds of the (latest) follow. */
    subscribeTime: answer.subscribe_time,
    remark: answer.remark,
    groupid: answer.groupid,
    tagIds: answer.tagid_list ?? [],
    /** How the person followed, e.g. `ADD_SCENE_QR_CODE`. */
    subscribeScene: answer.subscribe_scene,
    qrScene: answer.qr_scene,
    qrSceneStr: answer.qr_scene_str,
  }));

/** A person as the official account sees them (`cgi-bin/user/info`). */
export type OfficialAccountUser = z.output<typeof followerSchema>;

const followersSchema = z.looseObject({ user_info_list: z.array(followerSchema) }).transform((answer) => answer.user_info_list);

export interface CreateQrCodeInput {
  /** A string (1–64 chars, `QR_STR_SCENE`) or a positive 32-bit integer (`QR_SCENE`). */
  scene: string | number;
  /** Temporary codes only; default 300, at most 2,592,000. */
  expireSeconds?: number;
  /** Permanent code (`QR_LIMIT_*`); the number of these is limited, so off by default. */
  permanent?: boolean;
}

export interface OfficialAccountClient {
  /** Creates a parametric QR code that pushes `subscribe`/`SCAN` events carrying the scene. */
  createQrCode(app: WechatAppCredentials, input: CreateQrCodeInput, options?: CallOptions): Promise<OfficialAccountQrCode>;
  /** The image URL for a ticket (mp.weixin.qq.com/cgi-bin/showqrcode). */
  qrCodeImageUrl(ticket: string): string;
  /** Follower info; `subscribed: false` means WeChat returned nothing else. */
  getUser(
    app: WechatAppCredentials,
    openid: string,
    options?: CallOptions & { lang?: 'zh_CN' | 'zh_TW' | 'en' },
  ): Promise<OfficialAccountUser>;
  /** Follower info of 1–100 openids at once (`cgi-bin/user/info/batchget`), in the order given. */
  getUsers(
    app: WechatAppCredentials,
    openids: readonly string[],
    options?: CallOptions & { lang?: 'zh_CN' | 'zh_TW' | 'en' },
  ): Promise<OfficialAccountUser[]>;
}

function qrRequestBody(input: CreateQrCodeInput): Record<string, unknown> {
  const invalid = (message: string) => new AppError('validation_failed', message, { details: { field: 'scene' } });
  let sceneKind: 'STR' | 'ID';
  let scene: Record<string, unknown>;
  if (typeof input.scene === 'string') {
    if (input.scene.length < 1 || input.scene.length > 64) throw invalid('scene_str must be 1 to 64 characters');
    sceneKind = 'STR';
    scene = { scene_str: input.scene };
  } else {
    const max = input.permanent === true ? 100_000 : 0xffff_ffff;
    if (!Number.isInteger(input.scene) || input.scene < 1 || input.scene > max)
      throw invalid(`scene_id must be an integer from 1 to ${max}`);
    sceneKind = 'ID';
    scene = { scene_id: input.scene };
  }
  if (input.permanent === true) {
    return { action_name: sceneKind === 'STR' ? 'QR_LIMIT_STR_SCENE' : 'QR_LIMIT_SCENE', action_info: { scene } };
  }
  const expireSeconds = input.expireSeconds ?? 300;
  if (!Number.isInteger(expireSeconds) || expireSeconds < 1 || expireSeconds > MAX_TEMPORARY_SECONDS) {
    throw new AppError('validation_failed', `expire_seconds must be an integer from 1 to ${MAX_TEMPORARY_SECONDS}`, {
      details: { field: 'expireSeconds' },
    });
  }
  return {
    expire_seconds: expireSeconds,
    action_name: sceneKind === 'STR' ? 'QR_STR_SCENE' : 'QR_SCENE',
    action_info: { scene },
  };
}

export function createOfficialAccountClient(context: {
  endpoints: WechatEndpoints;
  transport: WechatTransport;
  tokens: AccessTokenCache;
}): OfficialAccountClient {
  const { endpoints, transport, tokens } = context;
  const qrCodeImageUrl = (ticket: string) => endpointUrl(endpoints.mp, SHOWQRCODE_PATH, [['ticket', ticket]]);
  return {
    qrCodeImageUrl,

    async createQrCode(app, input, options = {}) {
      const body = qrRequestBody(input);
      const qrCode = await withAccessToken(
        tokens,
        app,
        (accessToken) =>
          transport.json(
            { endpoint: QRCODE_CREATE_PATH, query: [['access_token', accessToken]], body, secrets: [accessToken], signal: options.signal },
            qrCodeSchema,
          ),
        options.signal,
      );
      return { ...qrCode, imageUrl: qrCodeImageUrl(qrCode.ticket) };
    },

    async getUsers(app, openids, options = {}) {
      if (openids.length < 1 || openids.length > BATCH_LIMIT) {
        throw new AppError('validation_failed', `openids must hold 1 to ${BATCH_LIMIT} openids`, { details: { field: 'openids' } });
      }
      const lang = options.lang ?? 'zh_CN';
      return withAccessToken(
        tokens,
        app,
        (accessToken) =>
          transport.json(
            {
              endpoint: USER_BATCH_PATH,
              query: [['access_token', accessToken]],
              body: { user_list: openids.map((openid) => ({ openid, lang })) },
              secrets: [accessToken],
              signal: options.signal,
            },
            followersSchema,
          ),
        options.signal,
      );
    },

    getUser(app, openid, options = {}) {
      return withAccessToken(
        tokens,
        app,
        (accessToken) =>
          transport.json(
            {
              endpoint: USER_INFO_PATH,
              query: [
                ['access_token', accessToken],
                ['openid', openid],
                ['lang', options.lang ?? 'zh_CN'],
              ],
              secrets: [accessToken],
              signal: options.signal,
            },
            followerSchema,
          ),
        options.signal,
      );
    },
  };
}

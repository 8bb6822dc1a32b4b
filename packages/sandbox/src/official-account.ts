/**
 * Official account: parametric QR codes, followers, `cgi-bin/user/info`, and the events a
 * follow or a scan pushes to the callback URL.
 *
 * Rules emulated:
 * - QR_SCENE takes a 32-bit non-zero `scene_id`, QR_STR_SCENE a 1–64 character `scene_str`;
 *   temporary codes default to 60 s and are capped at 2,592,000 s. QR_LIMIT_SCENE takes
 *   `scene_id` 1–100000, QR_LIMIT_STR_SCENE a 1–64 character `scene_str`; they never expire.
 *   Bad action_name: 40052; bad scene: 40053.
 * - Scanning when not following: follow + `subscribe` with `EventKey=qrscene_SCENE` and `Ticket`.
 *   When already following: `SCAN` with `EventKey=SCENE`. Plain follow/unfollow: empty EventKey.
 * - `user/info` of a non-follower is `{subscribe: 0, openid}`; no nickname or avatar since 2021;
 *   unionid only when bound. `user/info/batchget` answers the same for 1–100 openids at once
 *   (40032 for an empty or longer list, 40003 when any openid is unknown).
 */
import { AppError } from '@weunion/errors';
import { type PushResult, pushEvent } from './event-push.ts';
import { newQrTicket, randomAlphanumeric } from './ids.ts';
import { WechatApiError } from './wechat-error.ts';
import { type Follow, LIFETIMES, type QrTicket, type SandboxApp, type World } from './world.ts';

const ACTION_NAMES = ['QR_SCENE', 'QR_STR_SCENE', 'QR_LIMIT_SCENE', 'QR_LIMIT_STR_SCENE'] as const;

export interface QrCreateBody {
  expire_seconds?: unknown;
  action_name?: unknown;
  action_info?: unknown;
}

function sceneOf(actionInfo: unknown): { sceneId: unknown; sceneStr: unknown } {
  if (typeof actionInfo !== 'object' || actionInfo === null || !('scene' in actionInfo)) throw new WechatApiError('invalidActionInfo');
  const scene: unknown = actionInfo.scene;
  if (typeof scene !== 'object' || scene === null) throw new WechatApiError('invalidActionInfo');
  return {
    sceneId: 'scene_id' in scene ? scene.scene_id : undefined,
    sceneStr: 'scene_str' in scene ? scene.scene_str : undefined,
  };
}

/** The QR content for a ticket: a sandbox URL, like WeChat's `http://weixin.qq.com/q/…`. */
export function qrContentUrl(publicUrl: string, code: string): string {
  return `${publicUrl}/q/${code}`;
}

/** `POST /cgi-bin/qrcode/create?access_token`. */
export function createQrCode(
  world: World,
  app: SandboxApp,
  body: QrCreateBody,
  publicUrl: string,
): { ticket: string; expire_seconds?: number; url: string } {
  if (app.type !== 'official_account') throw new WechatApiError('unauthorized');
  const actionName = ACTION_NAMES.find((name) => name === body.action_name);
  if (actionName === undefined) throw new WechatApiError('invalidActionName');
  const { sceneId, sceneStr } = sceneOf(body.action_info);
  let scene: string;
  if (actionName === 'QR_SCENE' || actionName === 'QR_LIMIT_SCENE') {
    const max = actionName === 'QR_SCENE' ? 0xffffffff : 100_000;
    if (typeof sceneId !== 'number' || !Number.isInteger(sceneId) || sceneId < 1 || sceneId > max)
      throw new WechatApiError('invalidActionInfo');
    scene = String(sceneId);
  } else {
    if (typeof sceneStr !== 'string' || sceneStr.length < 1 || sceneStr.length > 64) throw new WechatApiError('invalidActionInfo');
    scene = sceneStr;
  }
  const temporary = actionName === 'QR_SCENE' || actionName === 'QR_STR_SCENE';
  let expireSeconds: number | null = null;
  if (temporary) {
    const asked = body.expire_seconds ?? LIFETIMES.qrDefault;
    if (typeof asked !== 'number' || !Number.isFinite(asked) || asked <= 0) throw new WechatApiError('invalidArgs', 'expire_seconds');
    expireSeconds = Math.min(Math.floor(asked), LIFETIMES.qrMax);
  }
  const qr: QrTicket = {
    ticket: newQrTicket(),
    code: randomAlphanumeric(22),
    appid: app.appid,
    actionName,
    scene,
    expiresAt: expireSeconds === null ? null : world.clock.now() + expireSeconds * 1000,
  };
  world.qrTickets.set(qr.ticket, qr);
  world.qrTicketsByCode.set(qr.code, qr);
  const url = qrContentUrl(publicUrl, qr.code);
  return expireSeconds === null ? { ticket: qr.ticket, url } : { ticket: qr.ticket, expire_seconds: expireSeconds, url };
}

/** The ticket behind a showqrcode request, if it still shows an image. */
export function liveTicket(world: World, ticket: string): QrTicket | undefined {
  const qr = world.qrTickets.get(ticket);
  if (qr === undefined || (qr.expiresAt !== null && qr.expiresAt <= world.clock.now())) return undefined;
  return qr;
}

function requireOfficialAccount(world: World, appid: string): SandboxApp {
  const app = world.requireApp(appid);
  if (app.type !== 'official_account') throw new AppError('bad_request', `${appid} is not an official account`);
  return app;
}

function eventXml(world: World, app: SandboxApp, openid: string, fields: Record<string, string>): Record<string, string | number> {
  return {
    ToUserName: app.originalId ?? app.appid,
    FromUserName: openid,
    CreateTime: world.clock.nowSeconds(),
    MsgType: 'event',
    ...fields,
  };
}

export interface ScanOutcome {
  kind: 'official_account_qr';
  appid: string;
  scene: string;
  event: 'subscribe' | 'SCAN';
  openid: string;
  pushed: PushResult | null;
}

/** The person scanned a parametric QR code of an official account with WeChat. */
export async function scanParametricQr(world: World, personId: string, code: string): Promise<ScanOutcome> {
  world.requirePerson(personId);
  const qr = world.qrTicketsByCode.get(code);
  if (qr === undefined) throw new AppError('not_found', 'This QR code is not one the sandbox issued');
  if (qr.expiresAt !== null && qr.expiresAt <= world.clock.now()) throw new AppError('gone', 'This QR code has expired (二维码已过期)');
  const app = requireOfficialAccount(world, qr.appid);
  const openid = world.openidOf(app.appid, personId);
  const followers = world.followersOf(app.appid);
  const following = followers.has(personId);
  const numericScene = qr.actionName === 'QR_SCENE' || qr.actionName === 'QR_LIMIT_SCENE';
  if (!following) {
    followers.set(personId, {
      subscribeTime: world.clock.nowSeconds(),
      subscribeScene: 'ADD_SCENE_QR_CODE',
      qrScene: numericScene ? Number(qr.scene) : 0,
      qrSceneStr: numericScene ? '' : qr.scene,
    });
  }
  const event = following
    ? eventXml(world, app, openid, { Event: 'SCAN', EventKey: qr.scene, Ticket: qr.ticket })
    : eventXml(world, app, openid, { Event: 'subscribe', EventKey: `qrscene_${qr.scene}`, Ticket: qr.ticket });
  const pushed = await pushEvent(world, app, openid, event);
  return { kind: 'official_account_qr', appid: app.appid, scene: qr.scene, event: following ? 'SCAN' : 'subscribe', openid, pushed };
}

/** Follow (search or profile page) or unfollow; a no-op (nothing pushed) when nothing changes. */
export async function setFollowing(
  world: World,
  personId: string,
  appid: string,
  follow: boolean,
): Promise<{ appid: string; openid: string; following: boolean; changed: boolean; pushed: PushResult | null }> {
  world.requirePerson(personId);
  const app = requireOfficialAccount(world, appid);
  const openid = world.openidOf(appid, personId);
  const followers = world.followersOf(appid);
  if (followers.has(personId) === follow) return { appid, openid, following: follow, changed: false, pushed: null };
  if (follow) {
    const record: Follow = { subscribeTime: world.clock.nowSeconds(), subscribeScene: 'ADD_SCENE_SEARCH', qrScene: 0, qrSceneStr: '' };
    followers.set(personId, record);
  } else {
    followers.delete(personId);
  }
  const pushed = await pushEvent(
    world,
    app,
    openid,
    eventXml(world, app, openid, { Event: follow ? 'subscribe' : 'unsubscribe', EventKey: '' }),
  );
  return { appid, openid, following: follow, changed: true, pushed };
}

/** `GET /cgi-bin/user/info?access_token&openid&lang`. */
export function followerInfo(world: World, app: SandboxApp, openid: string | undefined, lang: string | undefined): Record<string, unknown> {
  if (app.type !== 'official_account') throw new WechatApiError('unauthorized');
  if (openid === undefined || openid === '') throw new WechatApiError('openidMissing');
  const person = world.personByOpenid(app.appid, openid);
  if (person === undefined) throw new WechatApiError('invalidOpenid');
  const follow = world.followersOf(app.appid).get(person.id);
  if (follow === undefined) return { subscribe: 0, openid };
  const info: Record<string, unknown> = {
    subscribe: 1,
    openid,
    language: lang === 'en' || lang === 'zh_TW' ? lang : 'zh_CN',
    subscribe_time: follow.subscribeTime,
  };
  const unionid = world.unionidOf(app, person.id);
  if (unionid !== null) info.unionid = unionid;
  return {
    ...info,
    remark: '',
    groupid: 0,
    tagid_list: [],
    subscribe_scene: follow.subscribeScene,
    qr_scene: follow.qrScene,
    qr_scene_str: follow.qrSceneStr,
  };
}

const BATCH_LIMIT = 100;

/** `POST /cgi-bin/user/info/batchget?access_token {user_list: [{openid, lang?}]}`: up to 100 at once. */
export function batchFollowerInfo(
  world: World,
  app: SandboxApp,
  body: Record<string, unknown>,
): { user_info_list: Record<string, unknown>[] } {
  if (app.type !== 'official_account') throw new WechatApiError('unauthorized');
  const list = body.user_list;
  if (!Array.isArray(list)) throw new WechatApiError('dataFormat');
  if (list.length === 0 || list.length > BATCH_LIMIT) throw new WechatApiError('invalidListSize');
  const wanted = list.map((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null || !('openid' in entry) || typeof entry.openid !== 'string')
      throw new WechatApiError('dataFormat');
    const lang = 'lang' in entry && typeof entry.lang === 'string' ? entry.lang : undefined;
    return { openid: entry.openid, lang };
  });
  return { user_info_list: wanted.map(({ openid, lang }) => followerInfo(world, app, openid, lang)) };
}

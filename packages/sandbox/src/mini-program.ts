/**
 * Mini program login, phone number and mini program codes.
 *
 * Rules emulated:
 * - `wx.login` gives a 5-minute single-use code and rotates the session_key, so data encrypted
 *   under the old key no longer decrypts and `wxa/checksession` refuses the old key (87009).
 * - jscode2session: 40029 unknown/expired/other app's code, 40163 used, 40226 high-risk person,
 *   45011 beyond 100 calls per minute per person; unionid whenever the app is bound.
 * - The getPhoneNumber button gives a 5-minute single-use code; each successful
 *   `getuserphonenumber` is billed to the app (counted in the stats).
 * - Requests signed with the session_key (checksession, set_user_storage, remove_user_storage):
 *   hex HMAC-SHA256 of the POST body (empty for checksession) keyed by the current session_key.
 * - getwxacodeunlimit: `scene` 1–32 visible characters of `[0-9A-Za-z!#$&'()*+,/:;=?@-._~]`
 *   (40169 length, 40129 characters); `page` must exist in the release version unless
 *   `check_path` is false (41030); width 280–1280 (40097).
 */

import { AppError } from '@weunion/errors';
import { checkSessionSignature, encryptUserData, timingSafeEqualString } from '@weunion/wechat';
import { z } from 'zod';
import { authenticateApp } from './credentials.ts';
import { newSessionKey, randomAlphanumeric, randomHex } from './ids.ts';
import { WechatApiError } from './wechat-error.ts';
import { LIFETIMES, type Person, personKey, type SandboxApp, type World } from './world.ts';

const PER_MINUTE_LIMIT = 100;

function requireMiniProgram(world: World, appid: string): SandboxApp {
  const app = world.requireApp(appid);
  if (app.type !== 'mini_program') throw new AppError('bad_request', `${appid} is not a mini program`);
  return app;
}

/** `wx.login()` on the person's phone: a fresh code and a fresh session_key. */
export function jsLogin(world: World, personId: string, appid: string): string {
  world.requirePerson(personId);
  const app = requireMiniProgram(world, appid);
  const sessionKey = newSessionKey();
  world.sessionKeys.set(personKey(app.appid, personId), sessionKey);
  const code = randomAlphanumeric(32);
  world.jsCodes.set(code, { appid, personId, sessionKey, expiresAt: world.clock.now() + LIFETIMES.jsCode * 1000, used: false });
  return code;
}

export interface SessionAnswer {
  openid: string;
  session_key: string;
  unionid?: string;
}

/** `GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code`. */
export function codeToSession(
  world: World,
  request: { appid: string | undefined; secret: string | undefined; jsCode: string | undefined; grantType: string | undefined },
): SessionAnswer {
  const app = authenticateApp(world, request.appid, request.secret, ['mini_program']);
  if (request.jsCode === undefined || request.jsCode === '') throw new WechatApiError('codeMissing');
  if (request.grantType !== undefined && request.grantType !== 'authorization_code') throw new WechatApiError('invalidGrantType');
  const code = world.jsCodes.get(request.jsCode);
  if (code === undefined || code.appid !== app.appid || code.expiresAt <= world.clock.now()) throw new WechatApiError('invalidCode');
  if (code.used) throw new WechatApiError('codeUsed');
  if (world.faults.isHighRisk(app.appid, code.personId)) throw new WechatApiError('highRiskUser');
  const minuteKey = `${personKey(app.appid, code.personId)}\u0000${Math.floor(world.clock.now() / 60_000)}`;
  const calls = (world.jsLoginsPerMinute.get(minuteKey) ?? 0) + 1;
  world.jsLoginsPerMinute.set(minuteKey, calls);
  if (calls > PER_MINUTE_LIMIT) throw new WechatApiError('minuteQuota');
  code.used = true;
  const answer: SessionAnswer = { openid: world.openidOf(app.appid, code.personId), session_key: code.sessionKey };
  const unionid = world.unionidOf(app, code.personId);
  if (unionid !== null) answer.unionid = unionid;
  return answer;
}

export interface SessionSignedRequest {
  openid: string | undefined;
  signature: string | undefined;
  sigMethod: string | undefined;
}

/**
 * The person behind a request signed with their session_key ("用户登录态签名"): `signature` must be
 * hex HMAC-SHA256 of `signed` (the POST body; the empty string for checksession) keyed by the
 * current session_key, so a rotated key no longer matches (87009).
 */
function requireSessionSignature(world: World, app: SandboxApp, request: SessionSignedRequest, signed: string): Person {
  if (app.type !== 'mini_program') throw new WechatApiError('unauthorized');
  if (request.sigMethod !== 'hmac_sha256') throw new WechatApiError('invalidArgs', 'sig_method must be hmac_sha256');
  if (request.openid === undefined || request.openid === '') throw new WechatApiError('openidMissing');
  const person = world.personByOpenid(app.appid, request.openid);
  if (person === undefined) throw new WechatApiError('invalidOpenid');
  const sessionKey = world.sessionKeys.get(personKey(app.appid, person.id));
  if (sessionKey === undefined || request.signature === undefined) throw new WechatApiError('invalidSignature');
  if (!timingSafeEqualString(checkSessionSignature(sessionKey, signed), request.signature.toLowerCase())) {
    throw new WechatApiError('invalidSignature');
  }
  return person;
}

/** `GET /wxa/checksession?access_token&openid&signature&sig_method=hmac_sha256`. */
export function checkSession(world: World, app: SandboxApp, request: SessionSignedRequest): { errcode: 0; errmsg: 'ok' } {
  requireSessionSignature(world, app, request, '');
  return { errcode: 0, errmsg: 'ok' };
}

const storageEntry = z.object({ key: z.string().min(1).max(128), value: z.string().max(1024) });

/**
 * `POST /wxa/set_user_storage?access_token&openid&signature&sig_method {kv_list: [{key, value}]}`
 * (托管数据, setUserStorage): the signature covers the POST body exactly as sent.
 */
export function setUserStorage(
  world: World,
  app: SandboxApp,
  request: SessionSignedRequest,
  rawBody: string,
  body: Record<string, unknown>,
): { errcode: 0; errmsg: 'ok' } {
  const person = requireSessionSignature(world, app, request, rawBody);
  const entries = z.array(storageEntry).min(1).safeParse(body.kv_list);
  if (!entries.success) throw new WechatApiError('dataFormat');
  const key = personKey(app.appid, person.id);
  const stored = world.userStorage.get(key) ?? new Map<string, string>();
  for (const entry of entries.data) stored.set(entry.key, entry.value);
  world.userStorage.set(key, stored);
  return { errcode: 0, errmsg: 'ok' };
}

/** `POST /wxa/remove_user_storage?access_token&openid&signature&sig_method {key: [...]}`. */
export function removeUserStorage(
  world: World,
  app: SandboxApp,
  request: SessionSignedRequest,
  rawBody: string,
  body: Record<string, unknown>,
): { errcode: 0; errmsg: 'ok' } {
  const person = requireSessionSignature(world, app, request, rawBody);
  const keys = z.array(z.string().min(1)).min(1).safeParse(body.key);
  if (!keys.success) throw new WechatApiError('dataFormat');
  const stored = world.userStorage.get(personKey(app.appid, person.id));
  for (const key of keys.data) stored?.delete(key);
  return { errcode: 0, errmsg: 'ok' };
}

/** The person tapped "allow" on `<button open-type="getPhoneNumber">`: a one-time code. */
export function phoneCode(world: World, personId: string, appid: string): string {
  const person = world.requirePerson(personId);
  requireMiniProgram(world, appid);
  if (person.phone === null) throw new AppError('conflict', `${personId} has no phone number bound`);
  const code = randomHex(32);
  world.phoneCodes.set(code, { appid, personId, expiresAt: world.clock.now() + LIFETIMES.phoneCode * 1000, used: false });
  return code;
}

interface PhoneParts {
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
}

const THREE_DIGIT_COUNTRY_CODES = ['852', '853', '886'];

/** WeChat shows mainland numbers without their country code and others with it. */
export function splitPhone(e164: string): PhoneParts {
  const digits = e164.replace(/^\+/, '');
  let countryCode: string;
  if (digits.startsWith('1') || digits.startsWith('7')) countryCode = digits.slice(0, 1);
  else if (THREE_DIGIT_COUNTRY_CODES.some((code) => digits.startsWith(code))) countryCode = digits.slice(0, 3);
  else countryCode = digits.slice(0, 2);
  const pure = digits.slice(countryCode.length);
  return { phoneNumber: countryCode === '86' ? pure : `+${countryCode}${pure}`, purePhoneNumber: pure, countryCode };
}

export interface PhoneAnswer {
  errcode: 0;
  errmsg: 'ok';
  phone_info: PhoneParts & { watermark: { timestamp: number; appid: string } };
}

/** `POST /wxa/business/getuserphonenumber?access_token {code}`. */
export function redeemPhoneCode(world: World, app: SandboxApp, code: string | undefined): PhoneAnswer {
  if (app.type !== 'mini_program') throw new WechatApiError('unauthorized');
  if (code === undefined || code === '') throw new WechatApiError('codeMissing');
  const record = world.phoneCodes.get(code);
  if (record === undefined || record.appid !== app.appid || record.expiresAt <= world.clock.now()) throw new WechatApiError('invalidCode');
  if (record.used) throw new WechatApiError('codeUsed');
  const person = world.requirePerson(record.personId);
  if (person.phone === null) throw new WechatApiError('invalidCode');
  record.used = true;
  world.stats.bill('wxa/business/getuserphonenumber', app.appid, person.id);
  return {
    errcode: 0,
    errmsg: 'ok',
    phone_info: { ...splitPhone(person.phone), watermark: { timestamp: world.clock.nowSeconds(), appid: app.appid } },
  };
}

/** The legacy getPhoneNumber result: encrypted under the current session_key. */
export function encryptedPhone(world: World, personId: string, appid: string): { encryptedData: string; iv: string } {
  const person = world.requirePerson(personId);
  requireMiniProgram(world, appid);
  if (person.phone === null) throw new AppError('conflict', `${personId} has no phone number bound`);
  const sessionKey = world.sessionKeys.get(personKey(appid, personId));
  if (sessionKey === undefined) throw new AppError('conflict', `${personId} has not called wx.login in ${appid}`);
  return encryptUserData({
    sessionKey,
    data: { ...splitPhone(person.phone), watermark: { timestamp: world.clock.nowSeconds(), appid } },
  });
}

const SCENE_CHARACTERS = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]+$/;

export interface WxacodeRequest {
  scene: string;
  page: string;
  envVersion: 'release' | 'trial' | 'develop';
  width: number;
}

/** Validates a getwxacodeunlimit body as WeChat does. */
export function validateWxacode(
  app: SandboxApp,
  body: { scene?: unknown; page?: unknown; check_path?: unknown; env_version?: unknown; width?: unknown },
): WxacodeRequest {
  if (app.type !== 'mini_program') throw new WechatApiError('unauthorized');
  const scene = body.scene;
  if (typeof scene !== 'string' || scene.length === 0 || scene.length > 32) throw new WechatApiError('sceneTooLong');
  if (!SCENE_CHARACTERS.test(scene)) throw new WechatApiError('invalidScene');
  const envVersion = body.env_version ?? 'release';
  if (envVersion !== 'release' && envVersion !== 'trial' && envVersion !== 'develop')
    throw new WechatApiError('invalidArgs', 'env_version');
  const page = body.page ?? app.pages[0] ?? 'pages/index/index';
  if (typeof page !== 'string' || page.startsWith('/') || page === '') throw new WechatApiError('invalidPage');
  const checkPath = body.check_path ?? true;
  if (typeof checkPath !== 'boolean') throw new WechatApiError('invalidArgs', 'check_path');
  if (checkPath && envVersion === 'release' && !app.pages.includes(page)) throw new WechatApiError('invalidPage');
  const width = body.width ?? 430;
  if (typeof width !== 'number' || !Number.isInteger(width) || width < 280 || width > 1280)
    throw new WechatApiError('invalidArgs', 'width');
  return { scene, page, envVersion, width };
}

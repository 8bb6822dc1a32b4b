/**
 * Mini program login (S3 confirm, S5, S7 confirm): from a `wx.login` code, and optionally a phone
 * number, to verified identity facts. WeChat docs: 小程序登录 (`auth.code2Session`,
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html),
 * 手机号快速验证 (`phonenumber.getPhoneNumber`,
 * https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-info/phone-number/getPhoneNumber.html)
 * and 开放数据校验与解密 (legacy `encryptedData`).
 *
 * Quirks handled here:
 * - `session_key` never leaves the server: it is sealed at rest per (appid, openid) and replaced
 *   whenever a newer `wx.login` arrives (see `mini-program-session-keys.ts`).
 * - A `wx.login` inside the phone button's callback rotates the session_key, so legacy
 *   `encryptedData` made just before is under the *previous* key: both are tried.
 * - `getuserphonenumber` is billed per successful call: it is never called when the connection
 *   says `phoneNumber: off`; nor (with `reusePhone`) when the person already has a verified phone
 *   on file — their account's, reached by openid or by unionid through another app of the same
 *   Open Platform account, or the number WeChat verified for this identity before (kept on the
 *   ledger row even when another account holds it); nor when identity resolution will refuse the
 *   login whatever the phone says (a blocked account, registration closed without phone matching);
 *   and one person's concurrent logins buy it once (a lock and a short-lived sealed result in
 *   shared state, so across instances too).
 * - Phone answers come as `+86…` or a local number depending on the region: the number is built
 *   from `countryCode` + `purePhoneNumber` as E.164, whichever shape `phoneNumber` had.
 * - Login codes are single use and limited to 100/min per person by WeChat (45011); weunion
 *   counts per openid before WeChat does, and per openid again before paying for a phone number.
 */
import { AppError } from '@weunion/errors';
import { decryptUserData } from '@weunion/wechat';
import { z } from 'zod';
import { assertionFor, type WechatIdentityFacts } from '../connections/sign-in.ts';
import type { Connection } from '../connections/store.ts';
import { findConnectionByAppid } from '../connections/store.ts';
import type { AppContext } from '../http/context.ts';
import type { RateLimiter, RateRule } from '../http/rate-limit.ts';
import { findKnownFacts, type KnownWechatIdentity, lookupWechatIdentity } from '../identity/facts.ts';
import type { IdentityPolicy } from '../identity/policy.ts';
import { resolveIdentity } from '../identity/resolve.ts';
import { rememberSessionKey } from './mini-program-session-keys.ts';

export type ScenarioContext = Pick<AppContext, 'database' | 'state' | 'secrets' | 'wechat'>;

/** Whether the mini program should show the phone-number button (what `scan` tells it). */
export type PhoneRequest = 'not_needed' | 'optional' | 'required';

/** A phone number from the person, in one of WeChat's two shapes. */
export interface PhoneEvidence {
  /** The getPhoneNumber button's one-time code (current API; paid). */
  phoneCode?: string | undefined;
  /** Legacy getPhoneNumber: data encrypted under the session_key. */
  encryptedData?: string | undefined;
  iv?: string | undefined;
}

export interface VerifiedMiniProgramLogin {
  /** What to sign in with. */
  facts: WechatIdentityFacts;
  /** Where the phone in `facts` came from; `on_file`: not asked for, the account already has one. */
  phoneSource: 'wechat_code' | 'encrypted_data' | 'on_file' | 'none';
  /** What weunion knew about this WeChat identity before this login. */
  known: KnownWechatIdentity | null;
}

/** Per-openid limits: WeChat's own is 100 logins/min per person; phone numbers cost money. */
export const MINI_PROGRAM_LIMITS = {
  loginPerOpenid: { name: 'mp-login-openid', limit: 20, windowMs: 60_000 },
  phonePerOpenid: { name: 'mp-phone-openid', limit: 5, windowMs: 10 * 60_000 },
} satisfies Record<string, RateRule>;

/** The mini program connection for `appid`, with its secret; refuses other app types. */
export async function miniProgramConnection(ctx: Pick<ScenarioContext, 'database' | 'secrets'>, appid: string): Promise<Connection> {
  const connection = await findConnectionByAppid(ctx.database.db, ctx.secrets, appid);
  if (connection === null) throw new AppError('not_found', `No connection for appid ${appid}`);
  if (connection.appType !== 'mini_program') throw new AppError('bad_request', `appid ${appid} is not a mini program`);
  return connection;
}

function credentials(connection: Connection): { appid: string; secret: string } {
  if (connection.secret === null) {
    throw new AppError('wechat_credentials_invalid', `Connection ${connection.id} has no AppSecret configured`);
  }
  return { appid: connection.appid, secret: connection.secret };
}

/** Whether a phone number would be asked of this person (no WeChat call). */
export function phoneRequestFor(connection: Connection, known: KnownWechatIdentity | null): PhoneRequest {
  const setting = connection.settings.phoneNumber;
  if (setting === 'off') return 'not_needed';
  if (known?.hasVerifiedPhone === true) {
    // A phone on file satisfies `required`; without `reusePhone` the person may still share a new one.
    return connection.settings.reusePhone ? 'not_needed' : 'optional';
  }
  return setting;
}

const E164 = /^\+[1-9]\d{4,16}$/;

const decryptedPhoneSchema = z.looseObject({
  purePhoneNumber: z.string().regex(/^\d{4,16}$/),
  countryCode: z.union([z.string().regex(/^\d{1,4}$/), z.number().int().min(1).max(9999)]).transform(String),
});

function e164(countryCode: string, purePhoneNumber: string): string {
  const phone = `+${countryCode}${purePhoneNumber}`;
  if (!E164.test(phone)) throw new AppError('wechat_bad_response', 'WeChat answered a phone number that is not a valid number');
  return phone;
}

/**
 * Verifies a `wx.login` code: openid, unionid (when the app is bound to an Open Platform account),
 * and the session_key, which is stored sealed and never returned. Returns the keys the person had
 * before this login too (for legacy decryption).
 */
export async function verifyLoginCode(
  ctx: ScenarioContext,
  connection: Connection,
  code: string,
  limiter?: RateLimiter,
): Promise<{ openid: string; unionid: string | undefined; earlierSessionKeys: string[]; sessionKey: string }> {
  const session = await ctx.wechat.miniProgram.codeToSession(credentials(connection), code);
  await limiter?.consume(MINI_PROGRAM_LIMITS.loginPerOpenid, `${connection.appid}:${session.openid}`);
  const key = { appid: connection.appid, openid: session.openid };
  const earlierSessionKeys = await rememberSessionKey(ctx.database.db, ctx.secrets, key, session.sessionKey);
  return { openid: session.openid, unionid: session.unionid, earlierSessionKeys, sessionKey: session.sessionKey };
}

/**
 * A verified phone number from the evidence, or undefined when none was given. `sessionKeys` are
 * tried in order for legacy `encryptedData` (newest first).
 */
export async function phoneFromEvidence(
  ctx: ScenarioContext,
  connection: Connection,
  openid: string,
  evidence: PhoneEvidence,
  sessionKeys: string[],
  limiter?: RateLimiter,
): Promise<{ phone: string; source: 'wechat_code' | 'encrypted_data' } | undefined> {
  if (evidence.phoneCode !== undefined) {
    const phoneCode = evidence.phoneCode;
    const phone = await buyPhoneOnce(ctx, connection, openid, async () => {
      await limiter?.consume(MINI_PROGRAM_LIMITS.phonePerOpenid, `${connection.appid}:${openid}`);
      const answer = await ctx.wechat.miniProgram.getPhoneNumber(credentials(connection), phoneCode);
      return e164(answer.countryCode, answer.purePhoneNumber);
    });
    return { phone, source: 'wechat_code' };
  }
  if (evidence.encryptedData === undefined || evidence.iv === undefined) return undefined;
  if (sessionKeys.length === 0) throw new AppError('wechat_decrypt_failed', 'No session_key on file for this person; call wx.login first');
  let lastError: unknown;
  for (const sessionKey of sessionKeys) {
    try {
      const data = decryptUserData({ sessionKey, encryptedData: evidence.encryptedData, iv: evidence.iv, appid: connection.appid });
      const parsed = decryptedPhoneSchema.safeParse(data);
      if (!parsed.success) throw new AppError('wechat_decrypt_failed', 'The encrypted data holds no phone number');
      return { phone: e164(parsed.data.countryCode, parsed.data.purePhoneNumber), source: 'encrypted_data' };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError instanceof AppError ? lastError : new AppError('wechat_decrypt_failed');
}

/** How long one person's bought phone number is reused by their concurrent logins. */
const BOUGHT_PHONE_TTL_MS = 60_000;
const LOCK_WAIT_STEP_MS = 50;
const LOCK_WAIT_STEPS = 200;

/**
 * Buys one person's phone number at most once however many of their logins ask at the same time,
 * on any instance: the first takes a lock in shared state and buys; the others wait for it and
 * reuse the result, kept sealed (it is personal data) for a minute.
 */
async function buyPhoneOnce(ctx: ScenarioContext, connection: Connection, openid: string, buy: () => Promise<string>): Promise<string> {
  const key = `mp:phone:${connection.appid}:${openid}`;
  const aad = `bought-phone:${connection.appid}:${openid}`;
  const bought = async () => {
    const sealed = await ctx.state.get(key);
    return sealed === null ? null : ctx.secrets.open(sealed, aad);
  };
  // With `reusePhone` (the default) a number bought a moment ago for this person is theirs for any
  // of their logins in that minute (a burst of logins may start before the first one records it);
  // without it only a login that had to wait for another reuses its number — a later login asks
  // WeChat afresh, as configured.
  const reuse = connection.settings.reusePhone;
  let waited = false;
  for (let step = 0; step < LOCK_WAIT_STEPS; step++) {
    if (reuse || waited) {
      const earlier = await bought();
      if (earlier !== null) return earlier;
    }
    const lock = await ctx.state.acquireLock(`mp:phone-lock:${connection.appid}:${openid}`, 15_000);
    if (lock !== null) {
      try {
        const meanwhile = reuse || waited ? await bought() : null;
        if (meanwhile !== null) return meanwhile;
        const phone = await buy();
        await ctx.state.set(key, ctx.secrets.seal(phone, aad), { ttlMs: BOUGHT_PHONE_TTL_MS });
        return phone;
      } finally {
        await lock.release();
      }
    }
    waited = true;
    await new Promise((resolve) => setTimeout(resolve, LOCK_WAIT_STEP_MS));
  }
  throw new AppError('unavailable', 'Another login of this person is still fetching the phone number; try again');
}

/**
 * Whether resolution will refuse this login whatever phone number it carries: then the paid phone
 * call is skipped and the login is refused as it would have been. A phone can only help when the
 * refusal is "registration closed" and the policy matches on phone.
 */
async function refusedWhateverThePhone(ctx: ScenarioContext, connection: Connection, facts: WechatIdentityFacts, policy: IdentityPolicy) {
  const assertion = assertionFor(connection, facts);
  const decision = resolveIdentity(assertion, await findKnownFacts(ctx.database.db, assertion), policy);
  if (decision.kind !== 'refuse') return false;
  const fieldMatching: readonly string[] = policy.fieldMatching;
  return !(decision.reason === 'registration_closed' && fieldMatching.includes('phone'));
}

/**
 * The whole mini program login: code → openid/unionid (session_key stored), then the phone number
 * as the connection's settings say. `required` with no phone on file and none given throws
 * `phone_required` before anyone is signed in. `policy`: the identity policy the sign-in will apply
 * (the connection's unless an application or the starting app governs).
 */
export async function verifyMiniProgramLogin(
  ctx: ScenarioContext,
  connection: Connection,
  input: { code: string } & PhoneEvidence,
  limiter?: RateLimiter,
  policy: IdentityPolicy = connection.policy,
): Promise<VerifiedMiniProgramLogin> {
  const login = await verifyLoginCode(ctx, connection, input.code, limiter);
  const known = await lookupWechatIdentity(ctx.database.db, {
    appid: connection.appid,
    openid: login.openid,
    openPlatformId: connection.openPlatformId,
    unionid: login.unionid,
  });
  const facts: WechatIdentityFacts = { openid: login.openid, unionid: login.unionid };
  const request = phoneRequestFor(connection, known);
  // The dry run costs the sign-in's look-ups once more, so it runs only where it can save a
  // purchase (a phone offered) or a pointless `phone_required` (a refused person must hear that).
  const offered = input.phoneCode !== undefined || input.encryptedData !== undefined;
  if (request !== 'not_needed' && (offered || request === 'required') && (await refusedWhateverThePhone(ctx, connection, facts, policy))) {
    return { facts, phoneSource: 'none', known };
  }
  if (request === 'not_needed') {
    const onFile = known?.hasVerifiedPhone === true && connection.settings.phoneNumber !== 'off';
    return { facts, phoneSource: onFile ? 'on_file' : 'none', known };
  }
  const phone = await phoneFromEvidence(ctx, connection, login.openid, input, [login.sessionKey, ...login.earlierSessionKeys], limiter);
  if (phone === undefined) {
    // With `reusePhone: false` a phone on file is still a phone: only nobody-has-one is refused.
    if (request === 'required' && known?.hasVerifiedPhone !== true) {
      throw new AppError('phone_required', `${connection.appid} signs people in only with a phone number`, {
        details: { phoneNumber: 'required' },
      });
    }
    return { facts, phoneSource: 'none', known };
  }
  return { facts: { ...facts, phone: phone.phone }, phoneSource: phone.source, known };
}

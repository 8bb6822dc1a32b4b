/**
 * SMS code login (`POST /api/login/sms/send`, `POST /api/login/sms/verify`): a phone number and a
 * code sent to it, as a login of its own — for phone browsers and PCs without WeChat at hand. The
 * verified number goes through the identity rules of `identity/phone-sign-in.ts` under the
 * application's policy, and a success ends like every browser login: a session cookie and the
 * flow's `returnTo` (an OIDC interaction included).
 *
 * Against enumeration: sending never looks at accounts — the answer, its timing and the work are
 * the same for a number with an account and one without; only the person who has the code learns
 * which it was. Against toll fraud (each SMS costs money, and premium-rate numbers pay the
 * attacker): only the configured country calling codes are accepted, and sends are capped per
 * client address (per 10 minutes and per day), per number (the resend wait and a daily cap), per
 * block of numbers and per country code per day, all in shared state.
 */
import { AppError } from '@weunion/errors';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { checkedReturnTo } from '../embedding/return-to.ts';
import type { Language } from '../hosted/html.ts';
import { parseInput } from '../http/problem.ts';
import { RateLimiter, type RateRule } from '../http/rate-limit.ts';
import { signInWithVerifiedPhone, smsLoginPolicy } from '../identity/phone-sign-in.ts';
import { VerificationCodes } from '../identity/verification-codes.ts';
import { findApplication } from '../oidc/applications.ts';
import { oidcDb } from '../oidc/tables.ts';
import { clientIp } from './browser.ts';
import { startSession } from './finish.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
export const SMS_LOGIN_PURPOSE = 'login';

export const SMS_SEND_PER_IP: RateRule = { name: 'sms-login-send-ip', limit: 5, windowMs: 10 * MINUTE };
export const SMS_SEND_PER_IP_DAILY: RateRule = { name: 'sms-login-send-ip-day', limit: 20, windowMs: DAY };
export const SMS_SEND_PER_NUMBER_DAILY: RateRule = { name: 'sms-login-send-number-day', limit: 10, windowMs: DAY };
/**
 * Per number block: SMS pumping walks through consecutive numbers of one range (often premium or
 * virtual-operator blocks). A block is the country code and the next five digits (a million
 * mainland numbers); real logins spread over thousands of blocks.
 */
export const SMS_SEND_PER_BLOCK_DAILY: RateRule = { name: 'sms-login-send-block-day', limit: 200, windowMs: DAY };
export const SMS_VERIFY_PER_IP: RateRule = { name: 'sms-login-verify-ip', limit: 30, windowMs: 10 * MINUTE };

const phoneField = z.string().trim().min(5).max(20);
const commonFields = {
  phone: phoneField,
  client: z.string().min(1).max(100).optional(),
  returnTo: z.string().max(2000).optional(),
};
const sendSchema = z
  .object({ ...commonFields, language: z.enum(['zh-CN', 'en']).optional(), captcha: z.string().max(2000).optional() })
  .strict();
const verifySchema = z
  .object({ ...commonFields, code: z.string().regex(/^\d{4,8}$/, { error: 'must be the digits of the code' }) })
  .strict();

/**
 * The number as E.164. Eleven digits starting with 1 are a mainland China mobile number (what
 * people type); anything else must carry its `+country` code. Spaces and dashes are dropped.
 */
export function normalizePhone(input: string): string {
  const compact = input.replace(/[\s()-]/g, '');
  const e164 = /^1\d{10}$/.test(compact) ? `+86${compact}` : compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
  if (!/^\+[1-9]\d{6,14}$/.test(e164))
    throw new AppError('validation_failed', 'phone: must be a mobile number, with its +country code outside mainland China');
  if (e164.startsWith('+86') && !/^\+861[3-9]\d{9}$/.test(e164))
    throw new AppError('validation_failed', 'phone: is not a mainland China mobile number');
  return e164;
}

/** The configured country calling code the number belongs to, or `phone_country_not_allowed`. */
export function allowedCountryCode(phone: string, allowed: string): string {
  const codes = allowed.split(',').map((code) => code.trim());
  const match = codes.find((code) => phone.startsWith(`+${code}`));
  if (match === undefined)
    throw new AppError(
      'phone_country_not_allowed',
      `SMS codes are only sent to numbers starting with ${codes.map((c) => `+${c}`).join(', ')}`,
    );
  return match;
}

/** Whether SMS login can be offered (an SMS provider is configured). */
export function smsLoginAvailable(app: FastifyInstance): boolean {
  return app.messages.channels.sms !== null;
}

export function registerSmsLogin(app: FastifyInstance): void {
  const ctx = app.ctx;
  const limiter = new RateLimiter(ctx.state);
  const codes = new VerificationCodes(ctx.state, app.messages);
  const perCountry: RateRule = { name: 'sms-login-send-country-day', limit: ctx.config.smsDailyLimitPerCountry, windowMs: DAY };

  const application = async (client: string | undefined) => {
    if (client === undefined) return null;
    const found = await findApplication(oidcDb(ctx.database.db), ctx.secrets, client);
    if (found === null) throw new AppError('validation_failed', `client: no application ${client}`);
    return found;
  };

  app.post('/api/login/sms/send', async (request, reply) => {
    const body = parseInput(sendSchema, request.body);
    const phone = normalizePhone(body.phone);
    await checkedReturnTo(ctx, body.returnTo);
    await application(body.client);
    if (!smsLoginAvailable(app))
      throw new AppError('message_provider_missing', 'SMS login is off: no SMS provider is configured (SMS_PROVIDER)');
    const country = allowedCountryCode(phone, ctx.config.smsLoginCountryCodes);
    await limiter.consumeAll([
      [SMS_SEND_PER_IP, clientIp(request)],
      [SMS_SEND_PER_IP_DAILY, clientIp(request)],
      [SMS_SEND_PER_NUMBER_DAILY, phone],
      [SMS_SEND_PER_BLOCK_DAILY, phone.slice(0, 1 + country.length + 5)],
      [perCountry, country],
    ]);
    const language: Language = body.language ?? 'zh-CN';
    const { expiresInMs } = await codes.send(SMS_LOGIN_PURPOSE, 'sms', phone, { language });
    reply.header('cache-control', 'no-store');
    // The same answer whoever holds the number.
    return { sent: true, phone, expiresInSeconds: Math.round(expiresInMs / 1000), resendAfterSeconds: 60 };
  });

  app.post('/api/login/sms/verify', async (request, reply) => {
    const body = parseInput(verifySchema, request.body);
    const phone = normalizePhone(body.phone);
    const returnTo = await checkedReturnTo(ctx, body.returnTo);
    const found = await application(body.client);
    await limiter.consume(SMS_VERIFY_PER_IP, clientIp(request));
    await codes.verify(SMS_LOGIN_PURPOSE, 'sms', phone, body.code);
    const result = await signInWithVerifiedPhone(ctx.database, phone, smsLoginPolicy(found?.policy));
    if (result.kind === 'refused') throw new AppError('login_refused', result.message, { details: { reason: result.reason } });
    await startSession(app, request, reply, { userId: result.userId, method: 'sms', clientId: body.client });
    reply.header('cache-control', 'no-store');
    return { status: 'signed_in', userId: result.userId, created: result.created, returnTo };
  });
}

/**
 * Emulators of the two SMS APIs weunion speaks, checking each request the way the provider
 * documents it — this is the sandbox's own implementation of the signatures, written from the
 * providers' pages, not shared with the client it tests:
 * - Tencent Cloud SMS 2021-01-11 `SendSms`: TC3-HMAC-SHA256 over the exact body bytes, the
 *   `content-type` and `host` headers as received, the credential scope's UTC date; a timestamp
 *   more than 5 minutes off is `AuthFailure.SignatureExpire`. Errors come as HTTP 200
 *   `Response.Error`; per-number outcomes in `SendStatusSet`.
 * - Alibaba Cloud dysmsapi 2017-05-25 `SendSms`: RPC signature v1 (HMAC-SHA1 over
 *   `METHOD&%2F&encoded sorted query`, key `secret&`); `SignatureDoesNotMatch` is HTTP 400,
 *   business errors are HTTP 200 with their `isv.*` code.
 * Both enforce per-number limits like the providers' defaults (one per 30 s / per minute, ten a
 * day) and deliver accepted messages to the number's SMS inbox.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { SANDBOX_CLOUD_SMS } from './messages.ts';
import type { World } from './world.ts';

const MAINLAND = /^\+861[3-9]\d{9}$/;
const E164 = /^\+[1-9]\d{6,14}$/;
const DAILY_LIMIT = 10;

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const mac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();

function fill(template: string, values: (name: string) => string | undefined): string {
  return template.replace(
    /\{(\d+)\}|\$\{(\w+)\}/g,
    (whole, index: string | undefined, name: string | undefined) => values(index ?? name ?? '') ?? whole,
  );
}

export interface EmulatorAnswer {
  status: number;
  body: unknown;
  /** Answer this late (an injected fault: the message is sent, the caller times out). */
  delayMs?: number | undefined;
}

// ── Tencent Cloud ────────────────────────────────────────────────────────────────────────────

/** TC3-HMAC-SHA256 of a received POST: what Tencent computes to check the Authorization header. */
export function tc3Expected(input: {
  secretKey: string;
  date: string;
  service: string;
  timestamp: number;
  /** Lowercase header name → value as received. */
  headers: Record<string, string | undefined>;
  signedHeaders: string[];
  body: string;
}): string {
  const canonicalHeaders = [...input.signedHeaders]
    .sort()
    .map((name) => `${name}:${(input.headers[name] ?? '').trim().toLowerCase()}\n`)
    .join('');
  const canonicalRequest = ['POST', '/', '', canonicalHeaders, input.signedHeaders.join(';'), hex(input.body)].join('\n');
  const scope = `${input.date}/${input.service}/tc3_request`;
  const stringToSign = ['TC3-HMAC-SHA256', String(input.timestamp), scope, hex(canonicalRequest)].join('\n');
  const key = mac(mac(mac(`TC3${input.secretKey}`, input.date), input.service), 'tc3_request');
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}

function tencentError(code: string, message: string): EmulatorAnswer {
  return { status: 200, body: { Response: { Error: { Code: code, Message: message }, RequestId: randomUUID() } } };
}

export function tencentSendSms(world: World, request: { headers: Record<string, string | undefined>; body: string }): EmulatorAnswer {
  world.messages.calls.tencent += 1;
  const { headers, body } = request;
  const config = SANDBOX_CLOUD_SMS.tencent;
  if (headers['x-tc-action'] !== 'SendSms')
    return tencentError('InvalidAction', `The action ${headers['x-tc-action'] ?? ''} does not exist.`);
  if (headers['x-tc-version'] !== '2021-01-11') return tencentError('NoSuchVersion', 'The requested version does not exist.');
  const match =
    /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/([a-z]+)\/tc3_request, SignedHeaders=([a-z;-]+), Signature=([0-9a-f]{64})$/.exec(
      headers.authorization ?? '',
    );
  if (match === null) return tencentError('AuthFailure.SignatureFailure', 'The Authorization header is not a TC3-HMAC-SHA256 signature.');
  const [, secretId = '', date = '', service = '', signedHeaders = '', signature = ''] = match;
  if (secretId !== config.secretId)
    return tencentError('AuthFailure.SecretIdNotFound', 'The SecretId is not found, please ensure that your SecretId is correct.');
  const timestamp = Number(headers['x-tc-timestamp']);
  // Against the real clock, which the caller shares: the sandbox's virtual clock moves for WeChat's
  // lifetimes, and weunion does not sign with it.
  if (!Number.isInteger(timestamp) || Math.abs(Math.floor(Date.now() / 1000) - timestamp) > 300)
    return tencentError(
      'AuthFailure.SignatureExpire',
      'Signature expired. Timestamp and server time cannot differ by more than five minutes.',
    );
  const names = signedHeaders.split(';');
  if (!names.includes('content-type') || !names.includes('host'))
    return tencentError('AuthFailure.SignatureFailure', 'SignedHeaders must include content-type and host.');
  const expected = tc3Expected({ secretKey: config.secretKey, date, service, timestamp, headers, signedHeaders: names, body });
  if (new Date(timestamp * 1000).toISOString().slice(0, 10) !== date || service !== 'sms' || !sameText(expected, signature))
    return tencentError(
      'AuthFailure.SignatureFailure',
      'The provided credentials could not be validated. Please check your signature is correct.',
    );

  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return tencentError('InvalidParameter', 'The request body is not JSON.');
  }
  const fault = world.messages.takeFault('tencent');
  if (fault?.code !== undefined) return tencentError(fault.code, 'sandbox injected error');
  if (payload.SmsSdkAppId !== config.sdkAppId)
    return tencentError('FailedOperation.SmsSdkAppIdVerifyFail', 'SmsSdkAppId verification failed.');
  if (payload.SignName !== config.signName)
    return tencentError('FailedOperation.SignatureIncorrectOrUnapproved', 'The signature is not approved.');
  const template = typeof payload.TemplateId === 'string' ? config.templates[payload.TemplateId] : undefined;
  if (template === undefined) return tencentError('FailedOperation.TemplateIncorrectOrUnapproved', 'The template is not approved.');
  const params = Array.isArray(payload.TemplateParamSet) ? payload.TemplateParamSet.map(String) : [];
  const numbers = Array.isArray(payload.PhoneNumberSet) ? payload.PhoneNumberSet.map(String) : [];
  if (numbers.length === 0 || numbers.length > 200)
    return tencentError('InvalidParameterValue.IncorrectPhoneNumber', 'PhoneNumberSet is empty.');
  const now = world.clock.now();
  const statuses = numbers.map((phone) => {
    const status = (code: string, message: string) => ({
      SerialNo: '',
      PhoneNumber: phone,
      Fee: 0,
      SessionContext: typeof payload.SessionContext === 'string' ? payload.SessionContext : '',
      Code: code,
      Message: message,
      IsoCode: phone.startsWith('+86') ? 'CN' : 'DEF',
    });
    if (!E164.test(phone) || (phone.startsWith('+86') && !MAINLAND.test(phone)))
      return status('InvalidParameterValue.IncorrectPhoneNumber', 'invalid mobile number');
    if (world.messages.sentTo(phone, now - 30_000) > 0)
      return status(
        'LimitExceeded.PhoneNumberThirtySecondLimit',
        'the number of sms messages sent from a single mobile number within 30 seconds exceeds the upper limit',
      );
    if (world.messages.sentToday(phone, now) >= DAILY_LIMIT)
      return status(
        'LimitExceeded.PhoneNumberDailyLimit',
        'the number of sms messages sent from a single mobile number every day exceeds the upper limit',
      );
    const text = `【${config.signName}】${fill(template, (n) => params[Number(n) - 1])}`;
    const stored = world.messages.deliverSms({ to: phone, text, provider: 'tencent', signName: config.signName, at: now });
    return { ...status('Ok', 'send success'), SerialNo: `2028:${stored.id}`, Fee: 1 };
  });
  return { status: 200, body: { Response: { SendStatusSet: statuses, RequestId: randomUUID() } }, delayMs: fault?.delayMs };
}

// ── Alibaba Cloud ────────────────────────────────────────────────────────────────────────────

function encode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The RPC signature v1 Alibaba computes for received parameters. */
export function rpcExpected(method: 'GET' | 'POST', params: Record<string, string>, accessKeySecret: string): string {
  const query = Object.keys(params)
    .filter((name) => name !== 'Signature')
    .sort()
    .map((name) => `${encode(name)}=${encode(params[name] ?? '')}`)
    .join('&');
  const stringToSign = `${method}&${encode('/')}&${encode(query)}`;
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign, 'utf8').digest('base64');
}

function aliyunAnswer(status: number, code: string, message: string): EmulatorAnswer {
  return {
    status,
    body: { RequestId: randomUUID(), Code: code, Message: message, ...(status >= 400 ? { HostId: 'dysmsapi.aliyuncs.com' } : {}) },
  };
}

export function aliyunSendSms(world: World, request: { method: 'GET' | 'POST'; params: Record<string, string> }): EmulatorAnswer {
  world.messages.calls.aliyun += 1;
  const { params } = request;
  const config = SANDBOX_CLOUD_SMS.aliyun;
  if (params.Action !== 'SendSms')
    return aliyunAnswer(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');
  if (params.AccessKeyId !== config.accessKeyId)
    return aliyunAnswer(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
  if (params.SignatureMethod !== 'HMAC-SHA1' || params.SignatureVersion !== '1.0')
    return aliyunAnswer(400, 'InvalidParameter', 'SignatureMethod must be HMAC-SHA1 and SignatureVersion 1.0.');
  const timestamp = Date.parse(params.Timestamp ?? '');
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(params.Timestamp ?? '') || Math.abs(Date.now() - timestamp) > 15 * 60_000)
    return aliyunAnswer(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
  const expected = rpcExpected(request.method, params, config.accessKeySecret);
  if (!sameText(expected, params.Signature ?? ''))
    return aliyunAnswer(400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.');
  const fault = world.messages.takeFault('aliyun');
  if (fault?.code !== undefined) return aliyunAnswer(200, fault.code, 'sandbox injected error');
  if (params.SignName !== config.signName) return aliyunAnswer(200, 'isv.SMS_SIGNATURE_ILLEGAL', 'The signature is not approved.');
  const template = config.templates[params.TemplateCode ?? ''];
  if (template === undefined) return aliyunAnswer(200, 'isv.SMS_TEMPLATE_ILLEGAL', 'The template is not approved.');
  let named: Record<string, unknown> = {};
  try {
    named = params.TemplateParam === undefined ? {} : (JSON.parse(params.TemplateParam) as Record<string, unknown>);
  } catch {
    return aliyunAnswer(200, 'isv.INVALID_JSON_PARAM', 'TemplateParam is not JSON.');
  }
  const number = params.PhoneNumbers ?? '';
  const phone = /^1\d{10}$/.test(number) ? `+86${number}` : `+${number}`;
  if (!E164.test(phone) || (phone.startsWith('+86') && !MAINLAND.test(phone)))
    return aliyunAnswer(200, 'isv.MOBILE_NUMBER_ILLEGAL', 'The mobile number is illegal.');
  const now = world.clock.now();
  if (world.messages.sentTo(phone, now - 60_000) > 0 || world.messages.sentToday(phone, now) >= DAILY_LIMIT)
    return aliyunAnswer(200, 'isv.BUSINESS_LIMIT_CONTROL', 'Business limit control: too many messages to this number.');
  const text = `【${config.signName}】${fill(template, (n) => (named[n] === undefined ? undefined : String(named[n])))}`;
  const stored = world.messages.deliverSms({ to: phone, text, provider: 'aliyun', signName: config.signName, at: now });
  return {
    status: 200,
    body: { RequestId: randomUUID(), Code: 'OK', Message: 'OK', BizId: `${Date.now()}^${stored.id}` },
    delayMs: fault?.delayMs,
  };
}

/**
 * SMS code login from a page: `sendSmsCode` asks weunion to text a code to the number,
 * `loginWithSmsCode` turns number + code into weunion's session (cookie) and says where to go.
 * The number may be a mainland China mobile number as typed (11 digits) or E.164 (`+852…`).
 * Errors are weunion's problem codes: `validation_failed`, `phone_country_not_allowed`,
 * `rate_limited` (wait and retry), `verification_failed`, `login_refused` (the app's policy),
 * `message_timeout` (the code may still arrive: do not ask for another at once).
 */
import { number, object, string } from './answers.ts';
import { type Connection, requestJson } from './http.ts';

export interface SmsLoginOptions {
  /** The OIDC application the login is for (its policy applies). */
  client?: string;
  /** Where weunion sends the browser afterwards: a path on weunion or a URL on a registered origin. */
  returnTo?: string;
}

export interface SendSmsCodeOptions extends SmsLoginOptions {
  /** The language of the message (default zh-CN). */
  language?: 'zh-CN' | 'en';
}

export interface SmsCodeSent {
  /** The number as weunion understood it (E.164). */
  phone: string;
  expiresInSeconds: number;
  /** When a second code may be asked for. */
  resendAfterSeconds: number;
}

export interface SmsLoginResult {
  userId: string;
  /** Whether this login created the account. */
  created: boolean;
  returnTo: string;
}

export async function sendSmsCode(connection: Connection, phone: string, options: SendSmsCodeOptions = {}): Promise<SmsCodeSent> {
  const fields = object(await requestJson(connection, 'POST', '/api/login/sms/send', { body: { phone, ...options } }), 'SMS code answer');
  return {
    phone: string(fields, 'phone', 'SMS code answer'),
    expiresInSeconds: number(fields, 'expiresInSeconds', 'SMS code answer'),
    resendAfterSeconds: number(fields, 'resendAfterSeconds', 'SMS code answer'),
  };
}

export async function loginWithSmsCode(
  connection: Connection,
  phone: string,
  code: string,
  options: SmsLoginOptions = {},
): Promise<SmsLoginResult> {
  const fields = object(
    await requestJson(connection, 'POST', '/api/login/sms/verify', { body: { phone, code, ...options } }),
    'SMS login answer',
  );
  return {
    userId: string(fields, 'userId', 'SMS login answer'),
    created: fields.created === true,
    returnTo: string(fields, 'returnTo', 'SMS login answer'),
  };
}

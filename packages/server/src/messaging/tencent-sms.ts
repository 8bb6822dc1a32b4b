/**
 * Tencent Cloud SMS, API 2021-01-11 `SendSms` (cloud.tencent.com/document/api/382/55981): one POST
 * with a JSON body to sms.tencentcloudapi.com, signed with TC3-HMAC-SHA256. Quirks handled here:
 * - a request-level failure comes as `Response.Error {Code, Message}` with HTTP 200 (signature,
 *   secret id, parameters); a per-number failure as a `SendStatusSet[].Code` other than `Ok`
 *   (bad number, the number's 30 s / 1 h / daily limits);
 * - numbers are E.164 with `+`; the template's parameters are strings, in template order;
 * - `SessionContext` is echoed back: it carries our send id, for tracing one send end to end.
 */
import { AppError } from '@weunion/errors';
import { z } from 'zod';
import { callProvider } from './provider-http.ts';
import type { SmsProvider, SmsRequest } from './sms-provider.ts';
import { tc3Sign } from './tc3-signature.ts';

export const TENCENT_SMS_ENDPOINT = 'https://sms.tencentcloudapi.com/';
const VERSION = '2021-01-11';
const CONTENT_TYPE = 'application/json; charset=utf-8';

export interface TencentSmsOptions {
  endpoint?: string;
  secretId: string;
  secretKey: string;
  region: string;
  sdkAppId: string;
  signName: string;
  timeoutMs: number;
  /** Seconds since the epoch; tests may pin it. */
  now?: () => number;
}

const errorSchema = z.object({ Code: z.string(), Message: z.string() });
const responseSchema = z.object({
  Response: z.object({
    Error: errorSchema.optional(),
    RequestId: z.string().optional(),
    SendStatusSet: z
      .array(z.object({ SerialNo: z.string().optional(), PhoneNumber: z.string().optional(), Code: z.string(), Message: z.string() }))
      .optional(),
  }),
});

/** Tencent's error codes → weunion's. Everything else is a plain refusal that names the code. */
export function tencentError(code: string, message: string): AppError {
  const details = { provider: 'tencent', providerCode: code };
  if (code.startsWith('AuthFailure.'))
    return new AppError(
      'message_credentials_invalid',
      `Tencent Cloud SMS refused the request (${code}): check SMS_ACCESS_KEY_ID / SMS_ACCESS_KEY_SECRET`,
      { details },
    );
  if (
    code === 'InvalidParameterValue.IncorrectPhoneNumber' ||
    code === 'FailedOperation.PhoneNumberInBlacklist' ||
    code === 'UnsupportedOperation.UnsupportedRegion'
  )
    return new AppError('message_destination_invalid', `Tencent Cloud SMS cannot send to this number (${code})`, { details });
  if (code.startsWith('LimitExceeded.'))
    return new AppError('message_rate_limited', `Tencent Cloud SMS limits messages to this number for now (${code})`, { details });
  return new AppError('message_rejected', `Tencent Cloud SMS refused the message (${code}: ${message.slice(0, 200)})`, { details });
}

export function createTencentSms(options: TencentSmsOptions): SmsProvider {
  const endpoint = options.endpoint ?? TENCENT_SMS_ENDPOINT;
  const host = new URL(endpoint).host;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  return {
    name: 'tencent',
    async send(request: SmsRequest) {
      const payload = JSON.stringify({
        PhoneNumberSet: [request.phone],
        SmsSdkAppId: options.sdkAppId,
        SignName: options.signName,
        TemplateId: request.templateId,
        TemplateParamSet: request.params,
        SessionContext: request.sendId,
      });
      const timestamp = now();
      const signed = tc3Sign({
        secretId: options.secretId,
        secretKey: options.secretKey,
        service: 'sms',
        host,
        timestamp,
        contentType: CONTENT_TYPE,
        payload,
      });
      const answer = await callProvider(
        'Tencent Cloud SMS',
        endpoint,
        {
          method: 'POST',
          headers: {
            authorization: signed.authorization,
            'content-type': CONTENT_TYPE,
            'x-tc-action': 'SendSms',
            'x-tc-version': VERSION,
            'x-tc-timestamp': String(timestamp),
            'x-tc-region': options.region,
          },
          body: payload,
        },
        options.timeoutMs,
      );
      const parsed = responseSchema.safeParse(answer.body);
      if (!parsed.success)
        throw new AppError('message_rejected', `Tencent Cloud SMS answered HTTP ${answer.status} in an unknown shape`, {
          details: { provider: 'tencent' },
        });
      const { Error: error, SendStatusSet: statuses } = parsed.data.Response;
      if (error !== undefined) throw tencentError(error.Code, error.Message);
      const status = statuses?.[0];
      if (status === undefined)
        throw new AppError('message_rejected', 'Tencent Cloud SMS answered without a send status', { details: { provider: 'tencent' } });
      if (status.Code !== 'Ok') throw tencentError(status.Code, status.Message);
      return { providerId: status.SerialNo ?? null };
    },
  };
}

/**
 * Alibaba Cloud SMS, dysmsapi 2017-05-25 `SendSms` (help.aliyun.com/document_detail/419273): an RPC
 * call POSTed as a form to dysmsapi.aliyuncs.com, signed with the RPC signature v1 (HMAC-SHA1; see
 * aliyun-signature.ts). Quirks handled here:
 * - request-level failures (signature, key) come with HTTP 4xx and `{Code, Message}`; business
 *   failures with HTTP 200 and a `Code` other than `OK` (`isv.MOBILE_NUMBER_ILLEGAL`,
 *   `isv.BUSINESS_LIMIT_CONTROL` for the per-number minute/hour/day limits…);
 * - mainland numbers go without the country code (`13800000000`), others with it and no `+`;
 * - `TemplateParam` is a JSON object of named parameters; `OutId` carries our send id.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '@weunion/errors';
import { z } from 'zod';
import { aliyunSign } from './aliyun-signature.ts';
import { callProvider } from './provider-http.ts';
import type { SmsProvider, SmsRequest } from './sms-provider.ts';

export const ALIYUN_SMS_ENDPOINT = 'https://dysmsapi.aliyuncs.com/';

export interface AliyunSmsOptions {
  endpoint?: string;
  accessKeyId: string;
  accessKeySecret: string;
  signName: string;
  timeoutMs: number;
  now?: () => Date;
}

const responseSchema = z.object({
  Code: z.string(),
  Message: z.string().optional(),
  BizId: z.string().optional(),
  RequestId: z.string().optional(),
});

export function aliyunError(code: string, message: string): AppError {
  const details = { provider: 'aliyun', providerCode: code };
  if (
    code === 'SignatureDoesNotMatch' ||
    code.startsWith('InvalidAccessKeyId') ||
    code === 'isv.ACCOUNT_NOT_EXISTS' ||
    code === 'Forbidden.RAM'
  )
    return new AppError(
      'message_credentials_invalid',
      `Alibaba Cloud SMS refused the request (${code}): check SMS_ACCESS_KEY_ID / SMS_ACCESS_KEY_SECRET`,
      { details },
    );
  if (code === 'isv.MOBILE_NUMBER_ILLEGAL' || code === 'isv.MOBILE_COUNT_OVER_LIMIT' || code === 'isv.BLACK_KEY_CONTROL_LIMIT')
    return new AppError('message_destination_invalid', `Alibaba Cloud SMS cannot send to this number (${code})`, { details });
  if (code === 'isv.BUSINESS_LIMIT_CONTROL' || code === 'isv.DAY_LIMIT_CONTROL' || code === 'Throttling.User')
    return new AppError('message_rate_limited', `Alibaba Cloud SMS limits messages to this number for now (${code})`, { details });
  return new AppError('message_rejected', `Alibaba Cloud SMS refused the message (${code}: ${message.slice(0, 200)})`, { details });
}

/** Alibaba's form of a number: mainland China without the country code, elsewhere with it. */
export function aliyunPhoneNumber(e164: string): string {
  return e164.startsWith('+86') ? e164.slice(3) : e164.slice(1);
}

export function createAliyunSms(options: AliyunSmsOptions): SmsProvider {
  const endpoint = options.endpoint ?? ALIYUN_SMS_ENDPOINT;
  const now = options.now ?? (() => new Date());
  return {
    name: 'aliyun',
    async send(request: SmsRequest) {
      const params: Record<string, string> = {
        AccessKeyId: options.accessKeyId,
        Action: 'SendSms',
        Format: 'JSON',
        OutId: request.sendId,
        PhoneNumbers: aliyunPhoneNumber(request.phone),
        SignName: options.signName,
        SignatureMethod: 'HMAC-SHA1',
        SignatureNonce: randomUUID(),
        SignatureVersion: '1.0',
        TemplateCode: request.templateId,
        TemplateParam: JSON.stringify(request.namedParams),
        Timestamp: now()
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z'),
        Version: '2017-05-25',
      };
      params.Signature = aliyunSign('POST', params, options.accessKeySecret);
      const answer = await callProvider(
        'Alibaba Cloud SMS',
        endpoint,
        { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() },
        options.timeoutMs,
      );
      const parsed = responseSchema.safeParse(answer.body);
      if (!parsed.success)
        throw new AppError('message_rejected', `Alibaba Cloud SMS answered HTTP ${answer.status} in an unknown shape`, {
          details: { provider: 'aliyun' },
        });
      if (parsed.data.Code !== 'OK') throw aliyunError(parsed.data.Code, parsed.data.Message ?? '');
      return { providerId: parsed.data.BizId ?? null };
    },
  };
}

/**
 * The SMS provider clients against the sandbox's emulators of Tencent Cloud SMS and Alibaba Cloud
 * SMS, over real HTTP: the emulators check each signature as the providers document it, so a
 * client that signs wrongly fails here as it would in production. Provider errors become clear
 * AppErrors; a timeout is reported as "may have been sent" and never leads to a second message.
 */
import { AppError } from '@weunion/errors';
import { type RunningSandbox, SANDBOX_CLOUD_SMS, startSandbox } from '@weunion/sandbox';
import { MemorySharedState } from '@weunion/state';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { VerificationCodes } from '../identity/verification-codes.ts';
import { freePort } from '../testing/free-port.ts';
import { createAliyunSms } from './aliyun-sms.ts';
import type { SmsProvider } from './sms-provider.ts';
import { createTencentSms } from './tencent-sms.ts';

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, seedDemoWorld: false });
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(async () => {
  await control('DELETE', '/sms-faults');
});

async function control(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${sandbox.url}/_sandbox${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json();
}

const inbox = async (phone: string) =>
  z.array(z.object({ text: z.string(), provider: z.string() })).parse(await control('GET', `/sms?to=${encodeURIComponent(phone)}`));
const calls = async () => z.object({ tencent: z.number(), aliyun: z.number() }).parse(await control('GET', '/sms-calls'));

let sequence = 0;
const newPhone = () => `+86136${String(process.pid % 1000).padStart(3, '0')}${String(sequence++).padStart(5, '0')}`;

const request = (phone: string, templateId: string, code = '246810') => ({
  phone,
  templateId,
  params: [code, '10'],
  namedParams: { code },
  sendId: 'test-send',
});

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

const providers: { name: string; make(overrides?: { secret?: string; timeoutMs?: number }): SmsProvider; zh: string; en: string }[] = [
  {
    name: 'Tencent Cloud',
    make: (overrides = {}) =>
      createTencentSms({
        endpoint: `${sandbox.url}/tencentcloud/sms/`,
        secretId: SANDBOX_CLOUD_SMS.tencent.secretId,
        secretKey: overrides.secret ?? SANDBOX_CLOUD_SMS.tencent.secretKey,
        region: 'ap-guangzhou',
        sdkAppId: SANDBOX_CLOUD_SMS.tencent.sdkAppId,
        signName: SANDBOX_CLOUD_SMS.tencent.signName,
        timeoutMs: overrides.timeoutMs ?? 5000,
      }),
    zh: '1000001',
    en: '1000002',
  },
  {
    name: 'Alibaba Cloud',
    make: (overrides = {}) =>
      createAliyunSms({
        endpoint: `${sandbox.url}/aliyun/dysmsapi/`,
        accessKeyId: SANDBOX_CLOUD_SMS.aliyun.accessKeyId,
        accessKeySecret: overrides.secret ?? SANDBOX_CLOUD_SMS.aliyun.accessKeySecret,
        signName: SANDBOX_CLOUD_SMS.aliyun.signName,
        timeoutMs: overrides.timeoutMs ?? 5000,
      }),
    zh: 'SMS_100000001',
    en: 'SMS_100000002',
  },
];

for (const provider of providers) {
  const key = provider.name === 'Tencent Cloud' ? 'tencent' : 'aliyun';
  describe(`${provider.name} SMS against its emulator`, () => {
    it('a signed message is accepted and lands in the number’s inbox, in zh-CN and in English', async () => {
      const phone = newPhone();
      const sent = await provider.make().send(request(phone, provider.zh, '135790'));
      expect(sent.providerId).toEqual(expect.any(String));
      const other = newPhone();
      await provider.make().send(request(other, provider.en, '864200'));
      expect((await inbox(phone)).map((m) => m.text)).toEqual([expect.stringMatching(/^【weunion沙箱】您的验证码为135790，/)]);
      expect((await inbox(other))[0]?.text).toMatch(/Your verification code is 864200\. It expires in 10 minutes\./);
    });

    it('a wrong secret is refused by the signature check: message_credentials_invalid, nothing delivered', async () => {
      const phone = newPhone();
      const error = await failure(provider.make({ secret: 'not-the-secret' }).send(request(phone, provider.zh)));
      expect(error.code).toBe('message_credentials_invalid');
      expect(error.status).toBe(502);
      expect(error.message).toMatch(/SMS_ACCESS_KEY_SECRET/);
      expect(error.message).not.toContain('not-the-secret');
      expect(error.details?.providerCode).toBe(key === 'tencent' ? 'AuthFailure.SignatureFailure' : 'SignatureDoesNotMatch');
      expect(await inbox(phone)).toEqual([]);
    });

    it('an invalid number and the per-number limit are told apart', async () => {
      const invalid = await failure(provider.make().send(request('+8612345678901', provider.zh)));
      expect(invalid.code).toBe('message_destination_invalid');
      const phone = newPhone();
      await provider.make().send(request(phone, provider.zh));
      const limited = await failure(provider.make().send(request(phone, provider.zh)));
      expect(limited.code).toBe('message_rate_limited');
      expect(limited.status).toBe(429);
      expect(await inbox(phone)).toHaveLength(1);
    });

    it('a timeout is a clear error, and the code store never sends a second message after it', async () => {
      const phone = newPhone();
      await control('POST', '/sms-faults', { provider: key, delayMs: 1500, times: 1 });
      const before = (await calls())[key];
      const codes = new VerificationCodes(new MemorySharedState(), {
        send: async (message) => {
          await provider.make({ timeoutMs: 300 }).send(request(message.destination, provider.zh, message.code));
        },
      });
      const error = await failure(codes.send('login', 'sms', phone));
      expect(error.code).toBe('message_timeout');
      expect(error.status).toBe(504);
      expect(error.message).toMatch(/may still arrive/);
      // Asking again at once is the resend wait, not a second SMS.
      const again = await failure(codes.send('login', 'sms', phone));
      expect(again.code).toBe('rate_limited');
      expect((await calls())[key]).toBe(before + 1);
      // The slow provider did send it: exactly one message, and its code is good.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const messages = await inbox(phone);
      expect(messages).toHaveLength(1);
      const code = /(\d{6})/.exec(messages[0]?.text ?? '')?.[1] ?? '';
      await expect(codes.verify('login', 'sms', phone, code)).resolves.toBeUndefined();
    });

    it('a refusal (nothing sent) gives the resend wait back: the person may retry at once', async () => {
      const phone = newPhone();
      await control('POST', '/sms-faults', {
        provider: key,
        code: key === 'tencent' ? 'FailedOperation.InsufficientBalanceInSmsPackage' : 'isv.AMOUNT_NOT_ENOUGH',
        times: 1,
      });
      const codes = new VerificationCodes(new MemorySharedState(), {
        send: async (message) => {
          await provider.make().send(request(message.destination, provider.zh, message.code));
        },
      });
      const refused = await failure(codes.send('login', 'sms', phone));
      expect(refused.code).toBe('message_rejected');
      await expect(codes.send('login', 'sms', phone)).resolves.toMatchObject({ expiresInMs: expect.any(Number) });
      expect(await inbox(phone)).toHaveLength(1);
    });

    it('a provider that refuses the connection is message_unreachable (nothing was sent)', async () => {
      const closed = `http://127.0.0.1:${await freePort()}/`;
      const unreachable =
        key === 'tencent'
          ? createTencentSms({
              endpoint: closed,
              secretId: 'a',
              secretKey: 'b',
              region: 'r',
              sdkAppId: '1',
              signName: 's',
              timeoutMs: 2000,
            })
          : createAliyunSms({ endpoint: closed, accessKeyId: 'a', accessKeySecret: 'b', signName: 's', timeoutMs: 2000 });
      expect((await failure(unreachable.send(request(newPhone(), 'x')))).code).toBe('message_unreachable');
    });
  });
}

describe('a connection that breaks off after the request went out', () => {
  it('is reported as “may have been sent” (message_timeout), never as unreachable', async () => {
    const { createServer } = await import('node:net');
    const server = createServer((socket) => socket.once('data', () => socket.destroy()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const client = createTencentSms({
        endpoint: `http://127.0.0.1:${port}/`,
        secretId: 'a',
        secretKey: 'b',
        region: 'r',
        sdkAppId: '1',
        signName: 's',
        timeoutMs: 2000,
      });
      const error = await failure(client.send(request(newPhone(), '1000001')));
      expect(error.code).toBe('message_timeout');
      expect(error.message).toMatch(/may still arrive/);
    } finally {
      server.close();
    }
  });
});

describe('the emulators check what the providers check', () => {
  it('Tencent: a request signed for another moment than its X-TC-Timestamp, or over other bytes, fails', async () => {
    const phone = newPhone();
    const late = createTencentSms({
      endpoint: `${sandbox.url}/tencentcloud/sms/`,
      secretId: SANDBOX_CLOUD_SMS.tencent.secretId,
      secretKey: SANDBOX_CLOUD_SMS.tencent.secretKey,
      region: 'ap-guangzhou',
      sdkAppId: SANDBOX_CLOUD_SMS.tencent.sdkAppId,
      signName: SANDBOX_CLOUD_SMS.tencent.signName,
      timeoutMs: 5000,
      now: () => Math.floor(Date.now() / 1000) - 3600,
    });
    const error = await failure(late.send(request(phone, '1000001')));
    expect(error.details?.providerCode).toBe('AuthFailure.SignatureExpire');
    const tampered = await fetch(`${sandbox.url}/tencentcloud/sms/`, {
      method: 'POST',
      headers: {
        authorization: `TC3-HMAC-SHA256 Credential=${SANDBOX_CLOUD_SMS.tencent.secretId}/2026-01-01/sms/tc3_request, SignedHeaders=content-type;host, Signature=${'0'.repeat(64)}`,
        'content-type': 'application/json; charset=utf-8',
        'x-tc-action': 'SendSms',
        'x-tc-version': '2021-01-11',
        'x-tc-timestamp': String(Math.floor(Date.now() / 1000)),
      },
      body: JSON.stringify({ PhoneNumberSet: [phone] }),
    });
    expect(await tampered.json()).toMatchObject({ Response: { Error: { Code: 'AuthFailure.SignatureFailure' } } });
    expect(await inbox(phone)).toEqual([]);
  });

  it('Alibaba: an unknown AccessKeyId is InvalidAccessKeyId.NotFound (HTTP 404)', async () => {
    const client = createAliyunSms({
      endpoint: `${sandbox.url}/aliyun/dysmsapi/`,
      accessKeyId: 'LTAIunknown',
      accessKeySecret: SANDBOX_CLOUD_SMS.aliyun.accessKeySecret,
      signName: SANDBOX_CLOUD_SMS.aliyun.signName,
      timeoutMs: 5000,
    });
    const error = await failure(client.send(request(newPhone(), 'SMS_100000001')));
    expect(error.code).toBe('message_credentials_invalid');
    expect(error.details?.providerCode).toBe('InvalidAccessKeyId.NotFound');
  });
});

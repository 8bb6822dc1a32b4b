/**
 * Email codes through SMTP with nodemailer, received by a real SMTP server (`smtp-server`) the
 * test runs on loopback, parsed back with mailparser: the subject and body in zh-CN and English,
 * the login checked, and the relay's refusals mapped to clear errors.
 */
import type { AddressInfo } from 'node:net';
import { AppError } from '@weunion/errors';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { generateMasterKey, SecretBox } from '../secrets/master-key.ts';
import { createMessageSenders } from './code-sender.ts';
import { sealConfigSecret } from './config-secrets.ts';
import { createSmtpEmail } from './smtp-email.ts';

const received: ParsedMail[] = [];
let server: SMTPServer;
let port: number;

beforeAll(async () => {
  server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (auth.username === 'weunion' && auth.password === 'relay-password') callback(null, { user: 'weunion' });
      else callback(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, callback) {
      if (address.address.endsWith('@nowhere.invalid')) {
        const error = Object.assign(new Error('No such user here'), { responseCode: 550 });
        callback(error);
        return;
      }
      callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          received.push(mail);
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

describe('email codes over SMTP', () => {
  it('the configured sender delivers a zh-CN and an English code email to the relay, logged in with a sealed password', async () => {
    const secrets = new SecretBox(Buffer.from(generateMasterKey(), 'base64'));
    const config = loadConfig({
      SANDBOX: 'off',
      SMTP_URL: `smtp://weunion@127.0.0.1:${port}`,
      SMTP_PASSWORD: sealConfigSecret(secrets, 'relay-password'),
      EMAIL_FROM: 'Shop <noreply@shop.example>',
    });
    const logged: Record<string, unknown>[] = [];
    const senders = createMessageSenders(config, { secrets: () => secrets, log: { info: (d) => logged.push(d) }, sandbox: false });
    expect(senders.channels).toEqual({ sms: null, email: 'smtp' });
    await senders.send({
      channel: 'email',
      destination: 'li@example.com',
      code: '482913',
      purpose: 'binding',
      language: 'zh-CN',
      ttlMs: 600_000,
    });
    await senders.send({
      channel: 'email',
      destination: 'ann@example.com',
      code: '105728',
      purpose: 'login',
      language: 'en',
      ttlMs: 600_000,
    });
    const zh = received.find((m) => m.text?.includes('482913'));
    const en = received.find((m) => m.text?.includes('105728'));
    expect(zh?.subject).toBe('验证码 482913');
    expect(zh?.text).toContain('您正在验证账号，验证码为 482913，10 分钟内有效。');
    expect(zh?.html).toContain('<b>482913</b>');
    expect(zh?.headers.get('content-language')).toBe('zh-CN');
    expect(zh?.from?.value[0]).toMatchObject({ name: 'Shop', address: 'noreply@shop.example' });
    expect(en?.subject).toBe('Your verification code: 105728');
    expect(en?.text).toContain('To log in, enter the code 105728. It expires in 10 minutes.');
    expect(en?.to && 'text' in en.to ? en.to.text : '').toBe('ann@example.com');
    // Outside the sandbox the log never holds the code.
    expect(JSON.stringify(logged)).not.toContain('482913');
  });

  it('a wrong password is message_credentials_invalid; a refused address is message_destination_invalid', async () => {
    const wrong = createSmtpEmail({ url: `smtp://weunion@127.0.0.1:${port}`, password: 'nope', from: 'a@b.example', timeoutMs: 5000 });
    const message = { to: 'x@example.com', subject: 's', text: 't', html: '<p>t</p>', language: 'en' };
    const error = await failure(wrong.send(message));
    expect(error.code).toBe('message_credentials_invalid');
    expect(error.message).not.toContain('nope');
    const right = createSmtpEmail({
      url: `smtp://weunion@127.0.0.1:${port}`,
      password: 'relay-password',
      from: 'a@b.example',
      timeoutMs: 5000,
    });
    expect((await failure(right.send({ ...message, to: 'ghost@nowhere.invalid' }))).code).toBe('message_destination_invalid');
  });

  it('a relay that cannot be reached is message_unreachable', async () => {
    const closed = createSmtpEmail({ url: 'smtp://weunion@127.0.0.1:9', password: 'x', from: 'a@b.example', timeoutMs: 2000 });
    const error = await failure(closed.send({ to: 'x@example.com', subject: 's', text: 't', html: '', language: 'en' }));
    expect(error.code).toBe('message_unreachable');
  });

  it('without any provider outside the sandbox, sending says what to configure', async () => {
    const senders = createMessageSenders(loadConfig({ SANDBOX: 'off' }), {
      secrets: () => new SecretBox(Buffer.alloc(32)),
      log: { info: () => undefined },
      sandbox: false,
    });
    expect(senders.channels).toEqual({ sms: null, email: null });
    const sms = await failure(senders.send({ channel: 'sms', destination: '+8613800000000', code: '1', purpose: 'login' }));
    expect([sms.code, sms.status]).toEqual(['message_provider_missing', 503]);
    expect(sms.message).toMatch(/SMS_PROVIDER/);
    const email = await failure(senders.send({ channel: 'email', destination: 'a@example.com', code: '1', purpose: 'login' }));
    expect(email.message).toMatch(/SMTP_URL/);
  });

  it('a provider configured by halves stops the start naming the missing option', () => {
    const make = () =>
      createMessageSenders(
        loadConfig({ SANDBOX: 'off', SMS_PROVIDER: 'tencent', SMS_ACCESS_KEY_ID: 'AKID', SMS_SIGN_NAME: 'Shop', SMS_TEMPLATE_ZH: '1' }),
        {
          secrets: () => new SecretBox(Buffer.alloc(32)),
          log: { info: () => undefined },
          sandbox: false,
        },
      );
    expect(make).toThrow(/SMS_ACCESS_KEY_SECRET is required with SMS_PROVIDER=tencent/);
  });
});

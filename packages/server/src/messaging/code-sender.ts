/**
 * The sender behind every verification code: SMS through the configured provider (Tencent Cloud,
 * Alibaba Cloud, the sandbox's emulator or the log) and email through SMTP (or the sandbox's
 * outbox, or the log), chosen from the configuration once at start.
 *
 * Sandbox mode delivers for real, over HTTP: SMS to the sandbox's Tencent Cloud emulator with its
 * public sandbox credentials (so the same signing client runs as in production, and the code shows
 * up in the virtual phone's SMS inbox), email to the sandbox's mail drop (the outbox page). Codes
 * are also written to the log in sandbox mode, for tests and curious developers.
 *
 * Outside the sandbox, a channel without a provider is off: sending on it is a clear
 * `message_provider_missing`, and SMS login is not offered. `SMS_PROVIDER=log` keeps the log
 * sender deliberately (development).
 */
import { AppError } from '@weunion/errors';
import { SANDBOX_CLOUD_SMS } from '@weunion/sandbox/public-world';
import type { Config } from '../config/index.ts';
import type { CodeChannel, CodeMessage, CodeSender } from '../identity/verification-codes.ts';
import type { SecretBox } from '../secrets/master-key.ts';
import { createAliyunSms } from './aliyun-sms.ts';
import { openConfigSecret } from './config-secrets.ts';
import { callProvider } from './provider-http.ts';
import type { SmsProvider } from './sms-provider.ts';
import { createSmtpEmail, type EmailProvider } from './smtp-email.ts';
import { codeEmail, type MessageLanguage, smsTemplateParams } from './templates.ts';
import { createTencentSms } from './tencent-sms.ts';

interface InfoLogger {
  info(details: Record<string, unknown>, message: string): void;
}

export interface MessageSenders extends CodeSender {
  /** Which channels can deliver; a missing one refuses with `message_provider_missing`. */
  readonly channels: Readonly<Record<CodeChannel, string | null>>;
}

export interface MessageSetup {
  /** The master key's box, asked for only when a provider secret is given sealed. */
  secrets: () => SecretBox;
  log: InfoLogger;
  /** Whether the sandbox is on (codes are also logged then). */
  sandbox: boolean;
  /** Where the sandbox is reachable (its emulators and mail drop), when it is on. */
  sandboxUrl?: string | undefined;
}

function required(value: string | undefined, env: string, provider: string): string {
  if (value === undefined || value === '')
    throw new AppError('config_invalid', `${env} is required with SMS_PROVIDER=${provider}`, { details: { option: env } });
  return value;
}

function sandboxMail(sandboxUrl: string, from: string, timeoutMs: number): EmailProvider {
  return {
    name: 'sandbox',
    async send(message) {
      const answer = await callProvider(
        'the sandbox outbox',
        `${sandboxUrl}/_sandbox/mail`,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...message, from }) },
        timeoutMs,
      );
      if (answer.status !== 201) throw new AppError('message_rejected', `the sandbox outbox answered HTTP ${answer.status}`);
      return { providerId: null };
    },
  };
}

function smsProviderOf(config: Config, setup: MessageSetup): SmsProvider | 'log' | null {
  const kind = config.smsProvider ?? (setup.sandbox ? 'sandbox' : undefined);
  if (kind === undefined) return null;
  if (kind === 'log') return 'log';
  const timeoutMs = config.messageTimeoutMs;
  if (kind === 'sandbox') {
    if (setup.sandboxUrl === undefined)
      throw new AppError('config_invalid', 'SMS_PROVIDER=sandbox needs the sandbox on (SANDBOX)', { details: { option: 'SMS_PROVIDER' } });
    const sandbox = SANDBOX_CLOUD_SMS.tencent;
    return createTencentSms({
      endpoint: `${setup.sandboxUrl}/tencentcloud/sms/`,
      secretId: sandbox.secretId,
      secretKey: sandbox.secretKey,
      region: config.smsRegion,
      sdkAppId: sandbox.sdkAppId,
      signName: sandbox.signName,
      timeoutMs,
    });
  }
  const secret = openConfigSecret(setup.secrets, config.smsAccessKeySecret);
  const common = {
    ...(config.smsApiUrl === undefined ? {} : { endpoint: config.smsApiUrl }),
    signName: required(config.smsSignName, 'SMS_SIGN_NAME', kind),
    timeoutMs,
  };
  required(config.smsTemplateZh, 'SMS_TEMPLATE_ZH', kind);
  if (kind === 'tencent') {
    return createTencentSms({
      ...common,
      secretId: required(config.smsAccessKeyId, 'SMS_ACCESS_KEY_ID', kind),
      secretKey: required(secret, 'SMS_ACCESS_KEY_SECRET', kind),
      region: config.smsRegion,
      sdkAppId: required(config.smsSdkAppId, 'SMS_SDK_APP_ID', kind),
    });
  }
  return createAliyunSms({
    ...common,
    accessKeyId: required(config.smsAccessKeyId, 'SMS_ACCESS_KEY_ID', kind),
    accessKeySecret: required(secret, 'SMS_ACCESS_KEY_SECRET', kind),
  });
}

function emailProviderOf(config: Config, setup: MessageSetup): EmailProvider | 'log' | null {
  const kind = config.emailProvider ?? (config.smtpUrl !== undefined ? 'smtp' : setup.sandbox ? 'sandbox' : undefined);
  if (kind === undefined) return null;
  if (kind === 'log') return 'log';
  if (kind === 'sandbox') {
    if (setup.sandboxUrl === undefined)
      throw new AppError('config_invalid', 'EMAIL_PROVIDER=sandbox needs the sandbox on (SANDBOX)', {
        details: { option: 'EMAIL_PROVIDER' },
      });
    return sandboxMail(setup.sandboxUrl, config.emailFrom, config.messageTimeoutMs);
  }
  if (config.smtpUrl === undefined)
    throw new AppError('config_invalid', 'SMTP_URL is required with EMAIL_PROVIDER=smtp', { details: { option: 'SMTP_URL' } });
  return createSmtpEmail({
    url: config.smtpUrl,
    password: openConfigSecret(setup.secrets, config.smtpPassword),
    from: config.emailFrom,
    timeoutMs: config.messageTimeoutMs,
  });
}

/** SMS templates: zh-CN, and English falling back to it. */
function templateFor(config: Config, language: MessageLanguage): string {
  if (config.smsProvider === undefined || config.smsProvider === 'sandbox') return language === 'en' ? '1000002' : '1000001';
  return (language === 'en' ? config.smsTemplateEn : undefined) ?? config.smsTemplateZh ?? '';
}

export function createMessageSenders(config: Config, setup: MessageSetup): MessageSenders {
  const sms = smsProviderOf(config, setup);
  const email = emailProviderOf(config, setup);
  const logCode = (message: CodeMessage, reveal: boolean) => {
    const { code, ...rest } = message;
    setup.log.info(
      reveal ? { ...rest, code } : rest,
      `verification code sent (${message.channel === 'sms' ? (sms === 'log' ? 'log' : (sms?.name ?? 'none')) : email === 'log' ? 'log' : (email?.name ?? 'none')})`,
    );
  };
  return {
    channels: {
      sms: sms === null ? null : sms === 'log' ? 'log' : sms.name,
      email: email === null ? null : email === 'log' ? 'log' : email.name,
    },
    async send(message) {
      const language: MessageLanguage = message.language ?? 'zh-CN';
      const minutes = Math.round((message.ttlMs ?? 600_000) / 60_000);
      const content = { code: message.code, minutes, purpose: message.purpose };
      if (message.channel === 'sms') {
        if (sms === null)
          throw new AppError(
            'message_provider_missing',
            'No SMS provider is configured: set SMS_PROVIDER (tencent or aliyun) and its SMS_* options',
          );
        if (sms !== 'log')
          await sms.send({
            phone: message.destination,
            templateId: templateFor(config, language),
            ...smsTemplateParams(content),
            sendId: message.sendId ?? '',
          });
      } else {
        if (email === null)
          throw new AppError('message_provider_missing', 'No email provider is configured: set SMTP_URL (and EMAIL_FROM)');
        if (email !== 'log') await email.send({ to: message.destination, language, ...codeEmail(language, content) });
      }
      // The code itself is only logged where nobody could use the log to read codes: the sandbox, or a deliberate log sender.
      logCode(message, setup.sandbox || (message.channel === 'sms' ? sms === 'log' : email === 'log'));
    },
  };
}

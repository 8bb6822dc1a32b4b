/**
 * What the virtual world receives besides WeChat: text messages (an SMS inbox per phone number,
 * filled by the Tencent Cloud and Alibaba Cloud SMS emulators) and emails (one outbox, filled by
 * weunion's sandbox mail delivery). The credentials and templates the emulators accept are fixed
 * and public (`SANDBOX_CLOUD_SMS`): weunion's sandbox mode signs with them.
 */

export interface SmsMessage {
  id: string;
  /** E.164. */
  to: string;
  text: string;
  provider: 'tencent' | 'aliyun';
  signName: string;
  at: number;
}

export interface MailMessage {
  id: string;
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  language: string;
  at: number;
}

/** A fault of one SMS emulator: answers late (a timeout on the caller's side) or with an error code. */
export interface SmsFault {
  provider: 'tencent' | 'aliyun';
  delayMs?: number | undefined;
  /** The provider error code to answer with (e.g. `LimitExceeded.PhoneNumberDailyLimit`). */
  code?: string | undefined;
  /** Only this many calls; unset: until cleared. */
  times?: number | undefined;
}

export const SANDBOX_CLOUD_SMS = {
  tencent: {
    secretId: 'AKIDsandboxWEUNION0000000000000000000',
    secretKey: 'sandboxTencentSecretKeyWEUNION00',
    sdkAppId: '1400000001',
    signName: 'weunion沙箱',
    templates: {
      '1000001': '您的验证码为{1}，{2}分钟内有效，请勿泄露。',
      '1000002': 'Your verification code is {1}. It expires in {2} minutes.',
    } as Record<string, string>,
  },
  aliyun: {
    accessKeyId: 'LTAIsandboxWEUNION000000',
    accessKeySecret: 'sandboxAliyunSecretWEUNION0000',
    signName: 'weunion沙箱',
    templates: {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Alibaba's template placeholder syntax
      SMS_100000001: '您的验证码为${code}，该验证码10分钟内有效，请勿泄露。',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Alibaba's template placeholder syntax
      SMS_100000002: 'Your verification code is ${code}. It expires in 10 minutes.',
    } as Record<string, string>,
  },
} as const;

const DAY_MS = 24 * 3600_000;

export class MessageBox {
  readonly sms: SmsMessage[] = [];
  readonly mail: MailMessage[] = [];
  readonly faults: SmsFault[] = [];
  /** Calls each emulator received (signature failures included), for tests that count sends. */
  readonly calls = { tencent: 0, aliyun: 0 };
  #next = 1;

  id(prefix: string): string {
    return `${prefix}${String(this.#next++).padStart(6, '0')}`;
  }

  deliverSms(message: Omit<SmsMessage, 'id'>): SmsMessage {
    const stored = { id: this.id('sms'), ...message };
    this.sms.push(stored);
    return stored;
  }

  deliverMail(message: Omit<MailMessage, 'id'>): MailMessage {
    const stored = { id: this.id('mail'), ...message };
    this.mail.push(stored);
    return stored;
  }

  /** Messages to `to` since `since` (per-number limits of the emulators). */
  sentTo(to: string, since: number): number {
    return this.sms.filter((m) => m.to === to && m.at >= since).length;
  }

  sentToday(to: string, now: number): number {
    return this.sentTo(to, now - DAY_MS);
  }

  /** The fault due for this call of `provider`, counted. */
  takeFault(provider: SmsFault['provider']): SmsFault | undefined {
    const index = this.faults.findIndex((f) => f.provider === provider);
    const fault = this.faults[index];
    if (fault === undefined) return undefined;
    if (fault.times !== undefined) {
      fault.times -= 1;
      if (fault.times <= 0) this.faults.splice(index, 1);
    }
    return fault;
  }

  clear(): void {
    this.sms.length = 0;
    this.mail.length = 0;
    this.faults.length = 0;
    this.calls.tencent = 0;
    this.calls.aliyun = 0;
  }
}

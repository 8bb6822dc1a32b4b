/**
 * Every configuration option, in one table. Each entry's description is what the README's
 * configuration table and `weunion config docs` print, so docs and code cannot drift apart.
 * Values come from the environment (`env`) or from the optional config file (`key`), the
 * environment winning. Secrets are redacted from every log line and config dump.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

interface OptionSpec<S extends z.ZodType> {
  env: string;
  description: string;
  schema: S;
  secret?: boolean;
  /** Shown in the docs instead of the schema's default, when the default is derived. */
  defaultLabel?: string;
}

const option = <S extends z.ZodType>(spec: OptionSpec<S>) => spec;

const integer = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { error: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

/** `true`/`false` (also yes/no, on/off, 1/0), from the environment's text or a config file's boolean. */
const flag = z.union([
  z.boolean(),
  z
    .enum(['true', 'false', 'yes', 'no', 'on', 'off', '1', '0'], { error: 'must be true or false' })
    .transform((v) => ['true', 'yes', 'on', '1'].includes(v)),
]);

const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  // A prefix length, or (IPv4 only) a dotted netmask, as proxy-addr accepts them.
  if (/^\d{1,3}$/.test(prefix)) return Number(prefix) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(prefix) === 4;
}

/**
 * TRUST_PROXY: `false`, a hop count, or proxy addresses — what Fastify's `trustProxy` (proxy-addr)
 * takes, minus `true`: trusting every hop lets any client pick its own address by sending
 * X-Forwarded-For, and the per-IP limits then limit nothing.
 */
const TRUE_REFUSED =
  'must not be true (that believes X-Forwarded-For from anyone, so every client can choose its own address): give the number of proxies in front (e.g. 1) or their addresses/CIDRs (e.g. 10.0.0.0/8)';

function parseTrustProxy(value: unknown): false | number | string[] | string {
  if (value === false || value === 0) return false;
  if (value === true) return TRUE_REFUSED;
  if (typeof value === 'number')
    return Number.isInteger(value) && value > 0 && value <= 10 ? value : 'must be a number of proxies from 0 to at most 10';
  const entries = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : null;
  if (entries === null) return 'must be false, a number of proxies, or proxy addresses/CIDRs';
  const list = entries.map((entry) => (typeof entry === 'string' ? entry.trim().toLowerCase() : ''));
  if (list.length === 1) {
    const text = list[0] ?? '';
    if (['', 'false', 'no', 'off'].includes(text)) return false;
    if (['true', 'yes', 'on'].includes(text)) return TRUE_REFUSED;
    if (/^\d+$/.test(text)) return parseTrustProxy(Number(text));
  }
  const bad = list.find((entry) => !isProxyAddress(entry));
  if (bad !== undefined) return `has ${JSON.stringify(bad)}, which is not an IP address, a CIDR, or loopback/linklocal/uniquelocal`;
  return list;
}

/**
 * TRUST_PROXY: `false`, a hop count, or proxy addresses — what Fastify's `trustProxy` (proxy-addr)
 * takes, minus `true`: trusting every hop lets any client pick its own address by sending
 * X-Forwarded-For, and the per-IP limits then limit nothing.
 */
const trustProxySchema = z.unknown().transform((value, context): false | number | string[] => {
  const parsed = parseTrustProxy(value);
  if (typeof parsed !== 'string') return parsed;
  context.addIssue({ code: 'custom', message: parsed });
  return z.NEVER;
});

export const options = {
  port: option({ env: 'PORT', description: 'TCP port the HTTP server listens on.', schema: integer(0, 65_535).default(3000) }),
  host: option({
    env: 'HOST',
    description: 'Interface to listen on (`0.0.0.0` to accept connections from other machines).',
    schema: z.string().min(1).default('localhost'),
  }),
  publicUrl: option({
    env: 'PUBLIC_URL',
    description: 'The URL people and WeChat reach this service at; the OIDC issuer and every callback URL derive from it.',
    schema: url(['http:', 'https:']).optional(),
    defaultLabel: 'http://localhost:$PORT',
  }),
  dataDir: option({
    env: 'DATA_DIR',
    description: 'Folder for embedded-mode files (SQLite database, its shared-state file, generated master key).',
    schema: z.string().min(1).default('./data'),
  }),
  databaseUrl: option({
    env: 'DATABASE_URL',
    description: 'Durable storage: `postgres://…` for scale-out mode, or `sqlite:<file>` (default: a SQLite file in DATA_DIR).',
    schema: z
      .string()
      .refine((v) => /^(postgres|postgresql):\/\//.test(v) || /^(sqlite|file):/.test(v), {
        error: 'must start with postgres://, postgresql://, sqlite: or file:',
      })
      .optional(),
    secret: true,
    defaultLabel: 'sqlite:$DATA_DIR/weunion.db',
  }),
  redisUrl: option({
    env: 'REDIS_URL',
    description:
      'Shared short-lived state (QR tickets, WeChat tokens, rate limits, sessions) for scale-out mode. Unset: a SQLite file beside the embedded database, or in-process with PostgreSQL.',
    schema: url(['redis:', 'rediss:']).optional(),
    secret: true,
  }),
  redisPrefix: option({
    env: 'REDIS_PREFIX',
    description: 'Prefix of every Redis key and channel, so several deployments can share one Redis.',
    schema: z.string().min(1).default('weunion:'),
  }),
  masterKey: option({
    env: 'MASTER_KEY',
    description:
      'Key that encrypts secrets at rest (32 bytes, base64). Required in scale-out mode; embedded mode generates one in DATA_DIR.',
    schema: z
      .string()
      .refine((v) => Buffer.from(v, 'base64').length === 32, { error: 'must be 32 bytes encoded as base64' })
      .optional(),
    secret: true,
  }),
  sandbox: option({
    env: 'SANDBOX',
    description: 'The offline WeChat sandbox: `auto` (on unless real WeChat apps are configured), `on` or `off`.',
    schema: z.enum(['auto', 'on', 'off'], { error: 'must be auto, on or off' }).default('auto'),
  }),
  wechatApiUrl: option({
    env: 'WECHAT_API_URL',
    description:
      'Base URL of WeChat server APIs (e.g. an egress proxy, or a standalone `weunion sandbox`). Ignored while the built-in sandbox is on. A forward proxy is taken from `HTTPS_PROXY` / `NO_PROXY` when `NODE_USE_ENV_PROXY=1` is set.',
    schema: url(['http:', 'https:']).default('https://api.weixin.qq.com'),
  }),
  wechatOpenUrl: option({
    env: 'WECHAT_OPEN_URL',
    description: 'Base URL of WeChat authorization pages (qrconnect, oauth2/authorize). Ignored while the built-in sandbox is on.',
    schema: url(['http:', 'https:']).default('https://open.weixin.qq.com'),
  }),
  wechatMpUrl: option({
    env: 'WECHAT_MP_URL',
    description: 'Base URL of WeChat QR-code images (showqrcode). Ignored while the built-in sandbox is on.',
    schema: url(['http:', 'https:']).default('https://mp.weixin.qq.com'),
  }),
  loginHistoryRetentionDays: option({
    env: 'LOGIN_HISTORY_RETENTION_DAYS',
    description: 'How long each end-user login and failure is kept in the login history (older rows are deleted in the background).',
    schema: integer(1, 3650).default(90),
  }),
  sessionTtlSeconds: option({
    env: 'SESSION_TTL_SECONDS',
    description: 'How long a browser login session lasts.',
    schema: integer(60, 31_536_000).default(7 * 24 * 3600),
  }),
  qrTtlSeconds: option({
    env: 'QR_TTL_SECONDS',
    description: 'How long a login QR code (S1, S3, S7) can be scanned before it must be refreshed.',
    schema: integer(10, 2_592_000).default(120),
  }),
  ticketTtlSeconds: option({
    env: 'TICKET_TTL_SECONDS',
    description: 'How long a login ticket lives in all, including the wait for the browser or app to redeem a confirmed login.',
    schema: integer(10, 2_592_000).default(300),
  }),
  miniProgramLoginPage: option({
    env: 'MINI_PROGRAM_LOGIN_PAGE',
    description:
      'The mini program page a PC login code (S3) opens, with the ticket id as its `scene` (a published page, no leading slash).',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_-][A-Za-z0-9_/.-]{0,127}$/, { error: 'must be a page path without a leading slash' })
      .default('pages/login/login'),
  }),
  logLevel: option({
    env: 'LOG_LEVEL',
    description: 'Log level: fatal, error, warn, info, debug, trace or silent.',
    schema: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: 'must be fatal, error, warn, info, debug, trace or silent',
      })
      .default('info'),
  }),
  trustProxy: option({
    env: 'TRUST_PROXY',
    description:
      'Which reverse proxies to believe about the client address (X-Forwarded-For, -Proto, -Host): `false` none; a hop count (`1`: one proxy in front, which appends the address it saw); or a comma-separated list of proxy addresses and CIDRs (`10.0.0.0/8,192.168.1.7`, or `loopback`, `linklocal`, `uniquelocal`). `true` is refused: it would believe addresses any client invents.',
    schema: trustProxySchema.default(false),
  }),
  workers: option({
    env: 'WORKERS',
    description:
      'How many processes serve on the one port (node:cluster), sharing the database and the shared state. Default: the number of cores in embedded mode, 1 in scale-out mode (run more instances instead). More than 1 needs state every process sees (the SQLite state file or Redis) and the built-in sandbox off.',
    schema: integer(1, 256).optional(),
    defaultLabel: 'cores',
  }),
  shutdownTimeoutMs: option({
    env: 'SHUTDOWN_TIMEOUT_MS',
    description: 'On SIGTERM/SIGINT, how long in-flight requests may take to finish before the process exits.',
    schema: integer(0, 600_000).default(10_000),
  }),
  webhookAllowHttp: option({
    env: 'WEBHOOK_ALLOW_HTTP',
    description:
      'Accept `http://` webhook endpoint URLs on other hosts than loopback (`true`/`false`). Off: endpoints must be https, except on 127.0.0.1/localhost.',
    schema: flag.default(false),
  }),
  webhookTimeoutMs: option({
    env: 'WEBHOOK_TIMEOUT_MS',
    description: 'How long one webhook delivery attempt may take before it counts as failed.',
    schema: integer(100, 120_000).default(10_000),
  }),
  webhookLeaseMs: option({
    env: 'WEBHOOK_LEASE_MS',
    description:
      'How long an instance holds a webhook delivery it is sending; if it dies, another instance sends it after this (at least the timeout plus a second).',
    schema: integer(500, 3_600_000).default(60_000),
  }),
  webhookPollIntervalMs: option({
    env: 'WEBHOOK_POLL_INTERVAL_MS',
    description: 'How often each instance looks for webhook deliveries that are due (new events also wake it at once).',
    schema: integer(50, 600_000).default(5_000),
  }),
  webhookRetryBaseMs: option({
    env: 'WEBHOOK_RETRY_BASE_MS',
    description: 'Wait before the first retry of a failed webhook delivery; it doubles with each attempt, up to an hour.',
    schema: integer(10, 3_600_000).default(10_000),
  }),
  webhookRetryWindowSeconds: option({
    env: 'WEBHOOK_RETRY_WINDOW_SECONDS',
    description: 'How long a webhook delivery is retried before it is given up (the delivery log keeps every attempt).',
    schema: integer(1, 30 * 86_400).default(86_400),
  }),
  webhookRetentionDays: option({
    env: 'WEBHOOK_RETENTION_DAYS',
    description:
      'How long finished webhook deliveries (delivered or given up), their attempts and their events are kept for the delivery log and replay; pending ones are never deleted.',
    schema: integer(1, 3_650).default(30),
  }),
  webhookDisableAfterSeconds: option({
    env: 'WEBHOOK_DISABLE_AFTER_SECONDS',
    description: 'An endpoint whose deliveries all fail for this long is disabled, with an alert in the console.',
    schema: integer(1, 30 * 86_400).default(86_400),
  }),
  smsProvider: option({
    env: 'SMS_PROVIDER',
    description:
      "Who sends SMS codes: `tencent` (Tencent Cloud SMS), `aliyun` (Alibaba Cloud SMS), `sandbox` (the built-in sandbox's emulator, read on the virtual phone) or `log` (the server log; development only). Unset: `sandbox` while the sandbox is on, otherwise none (SMS codes and SMS login are off).",
    schema: z.enum(['tencent', 'aliyun', 'sandbox', 'log'], { error: 'must be tencent, aliyun, sandbox or log' }).optional(),
  }),
  smsAccessKeyId: option({
    env: 'SMS_ACCESS_KEY_ID',
    description: 'Tencent Cloud SecretId or Alibaba Cloud AccessKey ID of the SMS account.',
    schema: z.string().min(1).max(128).optional(),
  }),
  smsAccessKeySecret: option({
    env: 'SMS_ACCESS_KEY_SECRET',
    description:
      'Tencent Cloud SecretKey or Alibaba Cloud AccessKey secret. Give it sealed (`weunion secrets seal`, a `sealed:v1.…` value opened with the master key) to keep it encrypted in the config file.',
    schema: z.string().min(1).max(4096).optional(),
    secret: true,
  }),
  smsSdkAppId: option({
    env: 'SMS_SDK_APP_ID',
    description: 'Tencent Cloud only: the SmsSdkAppId of the SMS application.',
    schema: z.string().min(1).max(64).optional(),
  }),
  smsSignName: option({
    env: 'SMS_SIGN_NAME',
    description: 'The approved SMS signature (签名) messages are sent under.',
    schema: z.string().min(1).max(64).optional(),
  }),
  smsTemplateZh: option({
    env: 'SMS_TEMPLATE_ZH',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Alibaba's template placeholder syntax
    description: 'Approved template id of the zh-CN code message. Tencent: parameters `{1}` code, `{2}` minutes; Alibaba: `${code}`.',
    schema: z.string().min(1).max(64).optional(),
  }),
  smsTemplateEn: option({
    env: 'SMS_TEMPLATE_EN',
    description: 'Approved template id of the English code message (default: the zh-CN one).',
    schema: z.string().min(1).max(64).optional(),
  }),
  smsRegion: option({
    env: 'SMS_REGION',
    description: 'Tencent Cloud only: the region of the SMS API (X-TC-Region).',
    schema: z.string().min(1).max(64).default('ap-guangzhou'),
  }),
  smsApiUrl: option({
    env: 'SMS_API_URL',
    description:
      "The SMS API endpoint, when not the provider's public one (an egress proxy, or a standalone sandbox: `http://…/tencentcloud/sms/`, `http://…/aliyun/dysmsapi/`).",
    schema: url(['http:', 'https:']).optional(),
  }),
  emailProvider: option({
    env: 'EMAIL_PROVIDER',
    description:
      "Who sends email codes: `smtp`, `sandbox` (the sandbox's outbox page) or `log` (development only). Unset: `smtp` when SMTP_URL is set, else `sandbox` while the sandbox is on, else none.",
    schema: z.enum(['smtp', 'sandbox', 'log'], { error: 'must be smtp, sandbox or log' }).optional(),
  }),
  smtpUrl: option({
    env: 'SMTP_URL',
    description:
      'The SMTP relay: `smtps://user@host:465` (TLS) or `smtp://user@host:587` (STARTTLS when offered); the password goes in SMTP_PASSWORD.',
    schema: url(['smtp:', 'smtps:']).optional(),
  }),
  smtpPassword: option({
    env: 'SMTP_PASSWORD',
    description: 'Password of the SMTP user; may be given sealed (`sealed:v1.…`, see `weunion secrets seal`).',
    schema: z.string().min(1).max(4096).optional(),
    secret: true,
  }),
  emailFrom: option({
    env: 'EMAIL_FROM',
    description: 'The From of code emails, e.g. `Shop <noreply@shop.example>`.',
    schema: z.string().min(3).max(320).default('weunion <noreply@localhost>'),
  }),
  messageTimeoutMs: option({
    env: 'MESSAGE_TIMEOUT_MS',
    description:
      'How long an SMS or email provider may take to answer. A send that times out is never repeated (it may have gone out): the person waits for the resend delay.',
    schema: integer(500, 60_000).default(10_000),
  }),
  smsLoginCountryCodes: option({
    env: 'SMS_LOGIN_COUNTRY_CODES',
    description:
      'Country calling codes SMS codes (login and binding) may be sent to, comma-separated (`86,852`): numbers elsewhere are refused before anything is paid for.',
    schema: z
      .string()
      .regex(/^\s*[1-9]\d{0,3}(\s*,\s*[1-9]\d{0,3})*\s*$/, { error: 'must be country calling codes separated by commas, e.g. 86,852' })
      .default('86'),
  }),
  smsDailyLimitPerCountry: option({
    env: 'SMS_DAILY_LIMIT_PER_COUNTRY',
    description: 'At most this many SMS codes a day to all numbers of one country calling code (a toll-fraud stop).',
    schema: integer(1, 10_000_000).default(5_000),
  }),
} as const;

export type OptionKey = keyof typeof options;

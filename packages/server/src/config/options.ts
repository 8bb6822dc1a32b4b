/**
 * Every configuration option, in one table. Each entry's description is what the README's
 * configuration table and `weunion config docs` print, so docs and code cannot drift apart.
 * Values come from the environment (`env`) or from the optional config file (`key`), the
 * environment winning. Secrets are redacted from every log line and config dump.
 */
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

const booleanish = z.preprocess(
  (value) =>
    typeof value === 'string'
      ? ({ true: true, false: false, '1': true, '0': false, yes: true, no: false }[value.toLowerCase()] ?? value)
      : value,
  z.boolean({ error: 'must be true or false' }),
);

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
      'Base URL of WeChat server APIs (e.g. an egress proxy, or a standalone `weunion sandbox`). Ignored while the built-in sandbox is on.',
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
    description: 'Trust X-Forwarded-* headers from a reverse proxy or load balancer (true/false).',
    schema: booleanish.default(false),
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
} as const;

export type OptionKey = keyof typeof options;

/**
 * pino options shared by every process weunion starts. Whatever the log level, secrets never
 * reach a log line: credentials in headers, WeChat secrets and tokens, session keys, passwords.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, LoggerOptions } from 'pino';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.secret',
  '*.appSecret',
  '*.appsecret',
  '*.password',
  '*.session_key',
  '*.sessionKey',
  '*.access_token',
  '*.accessToken',
  '*.refresh_token',
  '*.refreshToken',
  '*.encodingAesKey',
  '*.masterKey',
  '*.databaseUrl',
  '*.redisUrl',
];

/**
 * A request URL as logged: the path, and the query's names with every value redacted. Query
 * strings carry what must not be logged — WeChat's OAuth `code` and `state`, an `id_token_hint`,
 * and, where the built-in sandbox answers weunion's own WeChat calls, AppSecrets, `js_code`s and
 * access tokens — and which names are harmless is not a list to keep in step.
 */
export function redactedUrl(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return url;
  const names = [...new URLSearchParams(url.slice(start + 1)).keys()];
  return `${url.slice(0, start)}?${names.map((name) => `${encodeURIComponent(name)}=[redacted]`).join('&')}`;
}

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      // Fastify's own request serializer, with the query's values left out.
      req: (request: LoggedRequest) => ({
        method: request.method,
        url: redactedUrl(request.url),
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      }),
    },
  };
}

/**
 * A request's logger (Fastify's `childLoggerFactory`) that becomes a pino child only when the
 * request logs at an enabled level. Making the child — its bindings serialised, redaction set up
 * — cost about 30 µs on every request, and at the default level most requests log nothing: a
 * login through the hosted page is seven requests. A class, so that a request held open (an SSE
 * watcher) carries four fields, not a closure per level. A route with its own log options gets
 * its child at once.
 */
class LazyChildLogger {
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  #made(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings, {});
    return this.#child;
  }

  #write(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', args: unknown[]): void {
    const current = this.#child ?? this.#parent;
    const enabled = 'isLevelEnabled' in current && typeof current.isLevelEnabled === 'function' ? current.isLevelEnabled(level) : true;
    if (enabled) (this.#made()[level] as (...a: unknown[]) => void)(...args);
  }

  get level(): string {
    return (this.#child ?? this.#parent).level;
  }
  set level(level: string) {
    this.#made().level = level;
  }
  fatal(...args: unknown[]): void {
    this.#write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.#write('error', args);
  }
  warn(...args: unknown[]): void {
    this.#write('warn', args);
  }
  info(...args: unknown[]): void {
    this.#write('info', args);
  }
  debug(...args: unknown[]): void {
    this.#write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.#write('trace', args);
  }
  silent(): void {}
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#made().child(bindings, options);
  }
}

export function lazyChildLogger(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  if (Object.keys(options).length > 0) return parent.child(bindings, options);
  return new LazyChildLogger(parent, bindings) as unknown as FastifyBaseLogger;
}

/**
 * pino options shared by every process weunion starts. Whatever the log level, secrets never
 * reach a log line: credentials in headers, WeChat secrets and tokens, session keys, passwords.
 */
import type { LoggerOptions } from 'pino';

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

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
}

/**
 * The browser side every login scenario shares: cookies (httpOnly, SameSite=Lax so WeChat's
 * top-level redirect back to us still carries them, Secure behind https), the `returnTo` a flow
 * started with (same-origin relative paths only: anything else would make weunion an open
 * redirect), and the binding of a pending selection/binding to the browser that started it.
 */
import { AppError } from '@weunion/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../http/context.ts';

export const PENDING_COOKIE = 'wu_pending';

export { readCookie } from '../http/cookies.ts';

export interface CookieOptions {
  maxAgeSeconds: number;
  path?: string;
}

/** Adds a Set-Cookie header (several may be set on one reply). */
export function setCookie(ctx: AppContext, reply: FastifyReply, name: string, value: string, options: CookieOptions): void {
  const secure = ctx.config.publicUrl.startsWith('https:');
  const parts = [
    `${name}=${encodeURIComponent(value)}`,
    `Path=${options.path ?? '/'}`,
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
    'HttpOnly',
    'SameSite=Lax',
  ];
  if (secure) parts.push('Secure');
  const existing = reply.getHeader('set-cookie');
  const list = Array.isArray(existing) ? existing.map(String) : typeof existing === 'string' ? [existing] : [];
  reply.header('set-cookie', [...list, parts.join('; ')]);
}

export function clearCookie(ctx: AppContext, reply: FastifyReply, name: string, path = '/'): void {
  setCookie(ctx, reply, name, '', { maxAgeSeconds: 0, path });
}

const MAX_RETURN_TO = 2000;

/** Backslashes and control characters: browsers drop or rewrite them, turning `/\\evil` into `//evil`. */
function hasUnsafeCharacters(value: string): boolean {
  for (const char of value) {
    const code = char.charCodeAt(0);
    if (char === '\\' || code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * The `returnTo` of a flow, checked: a path on this service (`/…`), never `//host`, `/\host`, a
 * scheme, or control characters — browsers read all of those as another origin. Absent: `/`.
 */
export function safeReturnTo(ctx: AppContext, value: string | undefined): string {
  if (value === undefined || value === '') return '/';
  const invalid = () => new AppError('validation_failed', 'returnTo: must be a path on this service (starting with a single /)');
  if (value.length > MAX_RETURN_TO || !value.startsWith('/') || value.startsWith('//') || hasUnsafeCharacters(value)) throw invalid();
  const base = new URL(ctx.config.publicUrl);
  const resolved = new URL(value, base);
  if (resolved.origin !== base.origin) throw invalid();
  return `${resolved.pathname}${resolved.search}${resolved.hash}`;
}

export const returnToQuerySchema = z.object({ returnTo: z.string().max(MAX_RETURN_TO).optional() });

/** The client address used for per-IP rate limits (X-Forwarded-For only when TRUST_PROXY is on). */
export function clientIp(request: FastifyRequest): string {
  return request.ip;
}

/** An absolute URL on this service (what WeChat redirects back to). */
export function publicUrl(ctx: AppContext, path: string): string {
  return `${ctx.config.publicUrl.replace(/\/+$/, '')}${path}`;
}

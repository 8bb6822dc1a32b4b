/**
 * The browser side every login scenario shares: cookies (httpOnly; SameSite=None + Secure under
 * https so registered web origins can embed the login, SameSite=Lax over http so WeChat's top-level
 * redirect back to us still carries them), the `returnTo` a flow started with (same-origin paths,
 * or URLs on a registered web origin: anything else would make weunion an open redirect), and the binding of a pending selection/binding to the browser that started it.
 */
import { AppError } from '@weunion/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../http/context.ts';

export const PENDING_COOKIE = 'wu_pending';

export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index <= 0) continue;
    try {
      cookies[part.slice(0, index).trim()] = decodeURIComponent(part.slice(index + 1).trim());
    } catch {
      // A malformed cookie is someone else's; ignore it rather than fail the request.
    }
  }
  return cookies;
}

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  return parseCookies(request.headers.cookie)[name];
}

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
    // Under https the login cookies go along on cross-site requests too, so a page on a registered
    // web origin can embed the widget or use the browser SDK (embedding/cors.ts admits only those
    // origins to the login APIs). Browsers take SameSite=None only with Secure, i.e. over https;
    // over http, Lax: cross-origin embedding then works within one site (localhost:8080 → :3000).
    secure ? 'SameSite=None' : 'SameSite=Lax',
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

export interface ReturnToOptions {
  /** Other origins (`https://app.example`) a return-to may name in full; none by default. */
  allowedOrigins?: readonly string[];
}

/**
 * The `returnTo` of a flow, checked: a path on this service (`/…`), never `//host`, `/\\host`, a
 * scheme, or control characters — browsers read all of those as another origin. Absent: `/`.
 * An absolute http(s) URL is accepted, whole, when its origin is one of `allowedOrigins` (the
 * registered web origins the caller looked up: see embedding/return-to.ts).
 */
export function safeReturnTo(ctx: AppContext, value: string | undefined, options: ReturnToOptions = {}): string {
  if (value === undefined || value === '') return '/';
  const invalid = () =>
    new AppError(
      'validation_failed',
      'returnTo: must be a path on this service (starting with a single /) or a URL on a registered web origin of an application',
    );
  if (value.length > MAX_RETURN_TO || hasUnsafeCharacters(value)) throw invalid();
  const base = new URL(ctx.config.publicUrl);
  if (!value.startsWith('/')) {
    const allowed = new Set((options.allowedOrigins ?? []).map((origin) => new URL(origin).origin));
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw invalid();
    }
    const web = url.protocol === 'https:' || url.protocol === 'http:';
    if (!web || url.username !== '' || url.password !== '' || !allowed.has(url.origin)) throw invalid();
    return url.href;
  }
  if (value.startsWith('//')) throw invalid();
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

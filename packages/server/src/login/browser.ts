/**
 * The browser side every login scenario shares: cookies (httpOnly; SameSite=None + Secure under
 * https so registered web origins can embed the login, SameSite=Lax over http so WeChat's top-level
 * redirect back to us still carries them; read through http/cookies.ts) and the binding of a
 * pending selection/binding to the browser that started it. Where a flow returns to is checked by
 * http/return-to.ts (with registered web origins: embedding/return-to.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
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

/** The client address used for per-IP rate limits (X-Forwarded-For only when TRUST_PROXY is on). */
export function clientIp(request: FastifyRequest): string {
  return request.ip;
}

/** An absolute URL on this service (what WeChat redirects back to). */
export function publicUrl(ctx: AppContext, path: string): string {
  return `${ctx.config.publicUrl.replace(/\/+$/, '')}${path}`;
}

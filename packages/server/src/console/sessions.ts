/**
 * Console sessions: a 32-byte random token in an HttpOnly, SameSite=Strict cookie; shared state
 * holds only its SHA-256, so a dump of Redis cannot be replayed as cookies. Each session carries a
 * CSRF token the console sends back in `x-csrf-token` on every change. A session ends after 8
 * hours without use or 24 hours after sign-in, whichever comes first, and at once when its
 * account is disabled or deleted (checked on every request, not only at sign-in).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '@weunion/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { findAdminAccountById } from '../admin-accounts/store.ts';
import type { AppContext } from '../http/context.ts';
import { readCookie } from '../login/browser.ts';
import type { AdminAccountsTable } from '../storage/schema.ts';

export const CONSOLE_COOKIE = 'weunion_console';
export const CSRF_HEADER = 'x-csrf-token';
export const IDLE_TIMEOUT_MS = 8 * 60 * 60 * 1000;
export const ABSOLUTE_TIMEOUT_MS = 24 * 60 * 60 * 1000;

const storedSession = z.object({ adminId: z.string(), csrfToken: z.string(), createdAt: z.number() });
type StoredSession = z.infer<typeof storedSession>;

export interface ConsoleSession extends StoredSession {
  admin: AdminAccountsTable;
  /** When the session ends if unused (sliding), capped by the absolute limit. */
  expiresAt: number;
}

export const sessionKey = (token: string) => `console:session:${createHash('sha256').update(token).digest('hex')}`;
const expiry = (createdAt: number, now: number) => Math.min(now + IDLE_TIMEOUT_MS, createdAt + ABSOLUTE_TIMEOUT_MS);

export async function createConsoleSession(ctx: AppContext, reply: FastifyReply, admin: AdminAccountsTable, now = Date.now()) {
  const token = randomBytes(32).toString('base64url');
  const stored: StoredSession = { adminId: admin.id, csrfToken: randomBytes(32).toString('base64url'), createdAt: now };
  await ctx.state.set(sessionKey(token), JSON.stringify(stored), { ttlMs: IDLE_TIMEOUT_MS });
  setSessionCookie(ctx, reply, token, ABSOLUTE_TIMEOUT_MS / 1000);
  const session: ConsoleSession = { ...stored, admin, expiresAt: expiry(now, now) };
  return session;
}

/**
 * The session the request's cookie names, still valid and with an enabled account, or null.
 * Using it slides the idle timeout. Ended sessions are removed as they are found.
 */
export async function readConsoleSession(ctx: AppContext, request: FastifyRequest, now = Date.now()): Promise<ConsoleSession | null> {
  const token = readCookie(request, CONSOLE_COOKIE);
  if (token === undefined || token === '') return null;
  return readConsoleSessionToken(ctx, token, now);
}

/** The session of a cookie value (see `readConsoleSession`). */
export async function readConsoleSessionToken(ctx: AppContext, token: string, now = Date.now()): Promise<ConsoleSession | null> {
  const key = sessionKey(token);
  const raw = await ctx.state.get(key);
  if (raw === null) return null;
  const parsed = storedSession.safeParse(JSON.parse(raw));
  if (!parsed.success || parsed.data.createdAt + ABSOLUTE_TIMEOUT_MS <= now) {
    await ctx.state.delete(key);
    return null;
  }
  const admin = await findAdminAccountById(ctx.database.db, parsed.data.adminId);
  if (admin === null || admin.disabled_at !== null) {
    await ctx.state.delete(key);
    return null;
  }
  const expiresAt = expiry(parsed.data.createdAt, now);
  // Compare-and-set with the same value only renews the TTL, and only if the session still
  // exists: a logout racing this request is not undone.
  await ctx.state.compareAndSet(key, raw, raw, expiresAt - now);
  return { ...parsed.data, admin, expiresAt };
}

/** The request's session, or 401 `unauthorized`. */
export async function requireConsoleSession(ctx: AppContext, request: FastifyRequest): Promise<ConsoleSession> {
  const session = await readConsoleSession(ctx, request);
  if (session === null) throw new AppError('unauthorized', 'Sign in to the console');
  return session;
}

export async function endConsoleSession(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const token = readCookie(request, CONSOLE_COOKIE);
  if (token !== undefined && token !== '') await ctx.state.delete(sessionKey(token));
  setSessionCookie(ctx, reply, '', 0);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF defence for a cookie-authenticated change: the session's token in `x-csrf-token` (a page
 * on another origin cannot read it), and, when the browser names the origin, this service's own.
 * SameSite=Strict already keeps the cookie off cross-site requests; this covers same-site ones
 * (another app on a sibling subdomain) and old browsers.
 */
export function checkCsrf(ctx: AppContext, request: FastifyRequest, session: ConsoleSession): void {
  if (SAFE_METHODS.has(request.method)) return;
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== new URL(ctx.config.publicUrl).origin) {
    throw new AppError('csrf_failed', `Requests from ${origin} cannot change anything here`);
  }
  const sent = request.headers[CSRF_HEADER];
  const expected = Buffer.from(session.csrfToken);
  const given = Buffer.from(typeof sent === 'string' ? sent : '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AppError('csrf_failed', `Send the session's CSRF token in the ${CSRF_HEADER} header`);
  }
}

function setSessionCookie(ctx: AppContext, reply: FastifyReply, value: string, maxAgeSeconds: number): void {
  const parts = [`${CONSOLE_COOKIE}=${value}`, 'Path=/', `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Strict'];
  if (ctx.config.publicUrl.startsWith('https:')) parts.push('Secure');
  const existing = reply.getHeader('set-cookie');
  const list = Array.isArray(existing) ? existing.map(String) : typeof existing === 'string' ? [existing] : [];
  reply.header('set-cookie', [...list, parts.join('; ')]);
}

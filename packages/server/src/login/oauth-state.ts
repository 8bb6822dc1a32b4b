/**
 * The `state` of WeChat's browser redirects (qrconnect, oauth2/authorize). WeChat allows at most
 * 128 characters of `[A-Za-z0-9]`, so everything a flow must remember (connection, `returnTo`, the
 * round of S4) stays server-side in shared state, and `state` is only a short random handle to it
 * (landscape complaint #8: long OAuth state breaking WeChat redirects).
 *
 * A handle is bound to the browser that started the flow (a random `wu_browser` cookie whose hash
 * is stored with it: a login link finished in another browser — login CSRF — is refused), used
 * once (consume-once), and expires after 10 minutes (WeChat codes live 5–10).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '@weunion/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { newTicketHandle } from '../tickets/qr-ticket.ts';
import { readCookie, setCookie } from './browser.ts';

export const BROWSER_COOKIE = 'wu_browser';
const STATE_TTL_MS = 10 * 60_000;
const BROWSER_COOKIE_SECONDS = 24 * 3600;
const STATE_PATTERN = /^[A-Za-z0-9]{1,128}$/;

const stateSchema = z.object({
  scenario: z.string(),
  connectionId: z.string(),
  returnTo: z.string(),
  /** S4: the scope this round asked WeChat for. */
  scope: z.enum(['snsapi_login', 'snsapi_base', 'snsapi_userinfo']),
  /** The application the login is for, when the flow was started for one. */
  clientId: z.string().optional(),
  browserHash: z.string(),
});
export type LoginState = Omit<z.output<typeof stateSchema>, 'browserHash'>;

const stateKey = (handle: string) => `login:state:${handle}`;
const hash = (value: string) => createHash('sha256').update(value).digest('base64url');

/** This browser's binding value, created (and the cookie set) when it has none. */
function browserBinding(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply): string {
  let value = readCookie(request, BROWSER_COOKIE);
  if (value === undefined || !/^[A-Za-z0-9_-]{40,60}$/.test(value)) value = randomBytes(32).toString('base64url');
  setCookie(app.ctx, reply, BROWSER_COOKIE, value, { maxAgeSeconds: BROWSER_COOKIE_SECONDS });
  return value;
}

/** Stores a flow's data and returns the short handle to put in WeChat's `state`. */
export async function createLoginState(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  data: LoginState,
): Promise<string> {
  const handle = newTicketHandle();
  const record = { ...data, browserHash: hash(browserBinding(app, request, reply)) };
  await app.ctx.state.set(stateKey(handle), JSON.stringify(record), { ttlMs: STATE_TTL_MS, ifAbsent: true });
  return handle;
}

/**
 * Takes the flow's data back, once, in the browser that started it. Unknown, expired and used
 * handles are all `login_expired`; another browser's is `login_state_mismatch` (and stays usable by
 * its owner, so an attacker cannot burn a victim's login by replaying the link).
 */
export async function takeLoginState(app: FastifyInstance, request: FastifyRequest, handle: string, scenario: string): Promise<LoginState> {
  if (!STATE_PATTERN.test(handle)) throw new AppError('login_expired', 'The sign-in state is not valid; please start again');
  const raw = await app.ctx.state.get(stateKey(handle));
  if (raw === null) throw new AppError('login_expired', 'This sign-in link has expired or was already used; please start again');
  const { browserHash, ...data } = stateSchema.parse(JSON.parse(raw));
  const binding = readCookie(request, BROWSER_COOKIE);
  const given = Buffer.from(hash(binding ?? ''));
  const expected = Buffer.from(browserHash);
  if (binding === undefined || given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new AppError('login_state_mismatch');
  if (data.scenario !== scenario) throw new AppError('login_expired', 'This sign-in link belongs to another login method');
  if ((await app.ctx.state.consume(stateKey(handle))) === null)
    throw new AppError('login_expired', 'This sign-in link has expired or was already used; please start again');
  return data;
}

/**
 * CORS for the login APIs the widget and the browser SDK call (`/api/login/…`, `/api/session`),
 * for the registered web origins of applications only (see web-origins.ts), with credentials: a
 * page on `https://shop.example` may start a QR login, follow and redeem its ticket, and read the
 * session, with weunion's cookies.
 *
 * Rules, by the request's `Origin`:
 * - none, weunion's own, or `null` from weunion's own pages (a same-origin POST from a page with
 *   `Referrer-Policy: no-referrer` says `null`; `Sec-Fetch-Site` tells it apart): no CORS headers,
 *   nothing else changes — except that a POST the browser marks `Sec-Fetch-Site: cross-site` is
 *   refused when it names no registered origin;
 * - a registered web origin: the response names it in `Access-Control-Allow-Origin` with
 *   `Access-Control-Allow-Credentials: true`; a preflight (`OPTIONS`) is answered 204 with the
 *   methods and headers these APIs take;
 * - anything else: 403, a problem document saying the origin is not registered — refused before
 *   the route runs, so a foreign page can neither read these APIs nor act through them with the
 *   person's cookies (the Origin check is also what guards them against cross-site request forgery
 *   now that their cookies are SameSite=None under https).
 */
import { AppError } from '@weunion/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isRegisteredWebOrigin } from './web-origins.ts';

const ALLOWED_METHODS = 'GET, POST';
/** What the SDK and the widget send: JSON, the ticket secret, and the stream's resume point. */
const ALLOWED_HEADERS = 'content-type, accept, x-ticket-secret, last-event-id';
/** What a page may read beyond the CORS-safelisted response headers. */
const EXPOSED_HEADERS = 'x-request-id, retry-after';
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** The login APIs a page on a registered web origin may call. */
export function isLoginApi(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return path.startsWith('/api/login/') || path === '/api/session' || path.startsWith('/api/session/');
}

/** Whether this `Origin: null` came from one of weunion's own pages (the only `null` admitted). */
function isOwnNullOrigin(request: FastifyRequest): boolean {
  // Browsers without Fetch Metadata (Safari before 16.4) send no Sec-Fetch-Site: their `null` is
  // taken as weunion's own, the login APIs' bodiless POSTs (logout, redeem) being what is at stake.
  const site = request.headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'none';
}

function refusal(origin: string): AppError {
  const shown = origin.length > 200 ? `${origin.slice(0, 200)}…` : origin;
  return new AppError(
    'forbidden',
    `The origin ${shown} is not a registered web origin of any application: add it to an application's web origins (or register a redirect URI on it) to use weunion's login from there`,
  );
}

export function registerLoginCors(app: FastifyInstance): void {
  const ownOrigin = new URL(app.ctx.config.publicUrl).origin;

  /** Checks the origin; true when the response must carry CORS headers for it. */
  const admit = async (request: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    const origin = request.headers.origin;
    // A browser that says the request comes from another site is believed over a missing or
    // opaque Origin (a sandboxed frame's form): only a registered web origin may act cross-site.
    const crossSite = request.headers['sec-fetch-site'] === 'cross-site' && request.method !== 'GET' && request.method !== 'HEAD';
    if ((origin === undefined && !crossSite) || origin === ownOrigin) return false;
    if (origin === undefined) throw refusal('of a cross-site request without Origin');
    if (origin === 'null' && isOwnNullOrigin(request)) return false;
    if (origin === 'null' || !(await isRegisteredWebOrigin(app.ctx.database.db, origin))) throw refusal(origin);
    reply
      .header('access-control-allow-origin', origin)
      .header('access-control-allow-credentials', 'true')
      .header('access-control-expose-headers', EXPOSED_HEADERS)
      .header('vary', 'Origin');
    return true;
  };

  app.addHook('onRequest', async (request, reply) => {
    if (!isLoginApi(request.url)) return;
    // Whatever the origin, a cache must not hand one origin's answer to another.
    if (request.method !== 'OPTIONS') reply.header('vary', 'Origin');
    if (request.method === 'OPTIONS') return;
    await admit(request, reply);
  });

  // Preflights: Fastify routes no OPTIONS by itself.
  const preflight = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!(await admit(request, reply))) return reply.status(204).send();
    return reply
      .status(204)
      .header('access-control-allow-methods', ALLOWED_METHODS)
      .header('access-control-allow-headers', ALLOWED_HEADERS)
      .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_SECONDS))
      .send();
  };
  app.options('/api/login/*', preflight);
  app.options('/api/session', preflight);
  app.options('/api/session/*', preflight);
}

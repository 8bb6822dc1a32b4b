/**
 * The logged-in person, as the browser sees it: `GET /api/session` answers the standard OpenID
 * Connect profile claims of the session's user (the same names the OIDC provider will use), and
 * `POST /api/session/logout` ends the session. A session whose user is no longer active (blocked,
 * deleted, merged away) is ended on sight rather than honoured.
 */
import { AppError } from '@weunion/errors';
import type { FastifyInstance } from 'fastify';
import { getUserDetail } from '../identity/index.ts';
import { clearCookie, readCookie } from './browser.ts';
import { SESSION_COOKIE } from './sessions.ts';

export function registerSessionRoutes(app: FastifyInstance): void {
  const ctx = app.ctx;

  app.get('/api/session', async (request, reply) => {
    const sessionId = readCookie(request, SESSION_COOKIE);
    const session = await app.loginSessions.get(sessionId);
    if (session === null) throw new AppError('unauthorized', 'Not signed in');
    const user = await getUserDetail(ctx.database.db, session.userId).catch(() => null);
    if (user === null || user.status !== 'active') {
      await app.loginSessions.destroy(sessionId);
      clearCookie(ctx, reply, SESSION_COOKIE);
      throw new AppError('unauthorized', 'Not signed in');
    }
    reply.header('cache-control', 'no-store');
    return {
      sub: user.id,
      name: user.name,
      nickname: user.nickname,
      picture: user.picture,
      gender: user.gender,
      locale: user.locale,
      phone_number: user.phoneNumber,
      phone_number_verified: user.phoneNumberVerified,
      email: user.email,
      email_verified: user.emailVerified,
      updated_at: Math.floor(user.updatedAt / 1000),
      session: { methods: session.methods, appid: session.appid ?? null, createdAt: session.createdAt, expiresAt: session.expiresAt },
    };
  });

  app.post('/api/session/logout', async (request, reply) => {
    await app.loginSessions.destroy(readCookie(request, SESSION_COOKIE));
    clearCookie(ctx, reply, SESSION_COOKIE);
    return { signedOut: true };
  });
}

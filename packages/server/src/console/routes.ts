/**
 * `/console/api/*`: sign-in, session and own-account endpoints of the admin console (the contract
 * in issue #9). Everything that changes state needs the session's CSRF token; guessable inputs
 * (passwords, TOTP codes) are rate-limited per IP, per username and per account.
 */
import { AppError } from '@weunion/errors';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  consumeRecoveryCode,
  generateRecoveryCodes,
  isRecoveryCodeShaped,
  remainingRecoveryCodes,
} from '../admin-accounts/recovery-codes.ts';
import {
  checkNewPassword,
  countAdminAccounts,
  disableAdminTotp,
  enableAdminTotp,
  openTotpSecret,
  recordAdminLogin,
  setAdminPassword,
  verifyAdminPassword,
} from '../admin-accounts/store.ts';
import { consumeTotpCode, newTotpSecret, totpQrSvg, totpUri } from '../admin-accounts/totp.ts';
import { parseInput } from '../http/problem.ts';
import { RateLimiter, type RateRule } from '../http/rate-limit.ts';
import { type Actor, recordAudit } from '../identity/audit.ts';
import { verifyPasswordHash } from '../identity/password.ts';
import { clientIp } from '../login/browser.ts';
import { LOGIN_PER_IP, LOGIN_PER_USERNAME, LOGIN_PER_USERNAME_AND_IP } from './login-limits.ts';
import { type ConsoleSession, checkCsrf, createConsoleSession, endConsoleSession, requireConsoleSession } from './sessions.ts';

export const CONSOLE_API = '/console/api';

const FIFTEEN_MINUTES = 15 * 60 * 1000;
export const ACCOUNT_CHANGES: RateRule = { name: 'console-account', limit: 10, windowMs: FIFTEEN_MINUTES };
/** A pending TOTP secret lives this long between setup and the first code. */
const TOTP_SETUP_TTL_MS = 10 * 60 * 1000;

const loginBody = z.object({
  username: z.string().max(200),
  password: z.string().max(4096),
  totp: z.string().max(20).optional(),
});
const passwordBody = z.object({ currentPassword: z.string().max(4096), newPassword: z.string().max(4096) });
const codeBody = z.object({ code: z.string().max(20) });
const totpDisableBody = z.object({ password: z.string().max(4096), code: z.string().max(20) });

export const consoleActor = (session: ConsoleSession): Actor => ({ kind: 'admin', id: session.admin.id, name: session.admin.username });

function sessionView(session: ConsoleSession) {
  return {
    admin: {
      id: session.admin.id,
      username: session.admin.username,
      displayName: session.admin.display_name,
      totpEnabled: session.admin.totp_secret_sealed !== null,
    },
    csrfToken: session.csrfToken,
    expiresAt: session.expiresAt,
  };
}

export function registerConsoleApi(app: FastifyInstance): void {
  const { ctx } = app;
  const limiter = new RateLimiter(ctx.state);
  const pendingTotpKey = (adminId: string) => `console:totp-pending:${adminId}`;

  /** The session for a change: signed in, right CSRF token, within the account's change budget. */
  async function changingSession(request: Parameters<typeof requireConsoleSession>[1]): Promise<ConsoleSession> {
    const session = await requireConsoleSession(ctx, request);
    checkCsrf(ctx, request, session);
    return session;
  }

  app.get(`${CONSOLE_API}/setup`, async () => ({
    needsAdmin: (await countAdminAccounts(ctx.database.db)) === 0,
    sandbox: ctx.sandbox,
    publicUrl: ctx.config.publicUrl,
  }));

  app.post(`${CONSOLE_API}/login`, async (request, reply) => {
    // A sign-in form posted from another site must not sign the browser in (login CSRF).
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== new URL(ctx.config.publicUrl).origin) {
      throw new AppError('csrf_failed', `Sign-ins from ${origin} are not accepted`);
    }
    const body = parseInput(loginBody, request.body);
    const username = body.username.trim().toLowerCase();
    await limiter.consumeAll([
      [LOGIN_PER_IP, clientIp(request)],
      [LOGIN_PER_USERNAME_AND_IP, `${username}|${clientIp(request)}`],
      [LOGIN_PER_USERNAME, username],
    ]);
    const admin = await verifyAdminPassword(ctx.database.db, body.username, body.password);
    if (admin === null) throw new AppError('console_login_failed');
    const secret = openTotpSecret(ctx.secrets, admin);
    if (secret !== null) {
      if (body.totp === undefined || body.totp.trim() === '') throw new AppError('totp_required');
      // A recovery code (`xxxxx-xxxxx`) stands in for the TOTP code once.
      const passed = isRecoveryCodeShaped(body.totp)
        ? await consumeRecoveryCode(ctx.database.db, admin.id, body.totp)
        : await consumeTotpCode(ctx.state, admin.id, secret, body.totp);
      if (!passed) throw new AppError('totp_invalid');
    }
    const now = Date.now();
    await recordAdminLogin(ctx.database.db, admin.id, now);
    const session = await createConsoleSession(ctx, reply, { ...admin, last_login_at: now }, now);
    await recordAudit(ctx.database.db, { actor: consoleActor(session), action: 'admin_account.signed_in', subjectId: admin.id }, now);
    return sessionView(session);
  });

  app.get(`${CONSOLE_API}/session`, async (request) => sessionView(await requireConsoleSession(ctx, request)));

  app.post(`${CONSOLE_API}/logout`, async (request, reply) => {
    await changingSession(request);
    await endConsoleSession(ctx, request, reply);
    return reply.status(204).send();
  });

  app.post(`${CONSOLE_API}/account/password`, async (request, reply) => {
    const session = await changingSession(request);
    const body = parseInput(passwordBody, request.body);
    await limiter.consume(ACCOUNT_CHANGES, session.admin.id);
    if (!(await verifyPasswordHash(body.currentPassword, session.admin.password_hash))) {
      // 400, not 401: the session is fine, only this field is wrong.
      throw new AppError('validation_failed', 'The current password is wrong', { details: { field: 'currentPassword' } });
    }
    checkNewPassword(body.newPassword);
    await setAdminPassword(ctx.database.db, session.admin.id, body.newPassword, consoleActor(session));
    return reply.status(204).send();
  });

  app.post(`${CONSOLE_API}/account/totp/setup`, async (request) => {
    const session = await changingSession(request);
    await limiter.consume(ACCOUNT_CHANGES, session.admin.id);
    if (session.admin.totp_secret_sealed !== null) throw new AppError('conflict', 'TOTP is already on; turn it off first');
    const secret = newTotpSecret();
    await ctx.state.set(pendingTotpKey(session.admin.id), ctx.secrets.seal(secret, pendingTotpKey(session.admin.id)), {
      ttlMs: TOTP_SETUP_TTL_MS,
    });
    const otpauthUri = totpUri(secret, session.admin.username);
    return { secret, otpauthUri, qrSvg: await totpQrSvg(otpauthUri) };
  });

  app.post(`${CONSOLE_API}/account/totp/enable`, async (request, reply) => {
    const session = await changingSession(request);
    const body = parseInput(codeBody, request.body);
    await limiter.consume(ACCOUNT_CHANGES, session.admin.id);
    if (session.admin.totp_secret_sealed !== null) throw new AppError('conflict', 'TOTP is already on');
    const sealed = await ctx.state.get(pendingTotpKey(session.admin.id));
    if (sealed === null) throw new AppError('gone', 'The TOTP setup expired; start it again');
    const secret = ctx.secrets.open(sealed, pendingTotpKey(session.admin.id));
    if (!(await consumeTotpCode(ctx.state, session.admin.id, secret, body.code))) {
      throw new AppError('totp_invalid', undefined, { status: 400 });
    }
    await enableAdminTotp(ctx.database.db, ctx.secrets, session.admin.id, secret, consoleActor(session));
    await ctx.state.delete(pendingTotpKey(session.admin.id));
    // Shown once, here: the admin keeps them somewhere safe.
    return reply.status(200).send({ recoveryCodes: await generateRecoveryCodes(ctx.database.db, session.admin.id, consoleActor(session)) });
  });

  app.get(`${CONSOLE_API}/account/totp/recovery-codes`, async (request) => {
    const session = await requireConsoleSession(ctx, request);
    return { remaining: await remainingRecoveryCodes(ctx.database.db, session.admin.id) };
  });

  app.post(`${CONSOLE_API}/account/totp/recovery-codes`, async (request) => {
    const session = await changingSession(request);
    const body = parseInput(z.object({ password: z.string().max(4096) }), request.body);
    await limiter.consume(ACCOUNT_CHANGES, session.admin.id);
    if (session.admin.totp_secret_sealed === null) throw new AppError('conflict', 'TOTP is not on');
    if (!(await verifyPasswordHash(body.password, session.admin.password_hash))) {
      throw new AppError('validation_failed', 'The password is wrong', { details: { field: 'password' } });
    }
    return { recoveryCodes: await generateRecoveryCodes(ctx.database.db, session.admin.id, consoleActor(session)) };
  });

  app.post(`${CONSOLE_API}/account/totp/disable`, async (request, reply) => {
    const session = await changingSession(request);
    const body = parseInput(totpDisableBody, request.body);
    await limiter.consume(ACCOUNT_CHANGES, session.admin.id);
    const secret = openTotpSecret(ctx.secrets, session.admin);
    if (secret === null) throw new AppError('conflict', 'TOTP is not on');
    if (!(await verifyPasswordHash(body.password, session.admin.password_hash))) {
      throw new AppError('validation_failed', 'The password is wrong', { details: { field: 'password' } });
    }
    if (!(await consumeTotpCode(ctx.state, session.admin.id, secret, body.code))) {
      throw new AppError('totp_invalid', undefined, { status: 400 });
    }
    await disableAdminTotp(ctx.database.db, session.admin.id, consoleActor(session));
    return reply.status(204).send();
  });

  // Anything else under the API prefix is a missing endpoint, never the SPA's index.html.
  app.all(`${CONSOLE_API}/*`, async () => {
    throw new AppError('not_found', 'No such console API endpoint');
  });
}

/**
 * Console sign-in, sessions and CSRF, and the management API driven by a console session — over
 * real HTTP (inject) and both storage backends.
 */
import { randomBytes } from 'node:crypto';
import { MemorySharedState } from '@weunion/state';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminAccount, requireAdminAccount, setAdminDisabled } from '../admin-accounts/store.ts';
import { newTotpSecret, totpCode } from '../admin-accounts/totp.ts';
import { createAdminKey } from '../admin-keys/store.ts';
import { loadConfig } from '../config/index.ts';
import { buildApp } from '../http/app.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { SecretBox } from '../secrets/master-key.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';
import { loginAttemptsKey } from './login-limits.ts';

const PUBLIC_URL = 'https://login.example.com';

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`admin console auth: ${backend.name}`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    let ip = 0;

    beforeAll(async () => {
      database = await backend.open();
      app = await buildApp(
        {
          config: loadConfig({ SANDBOX: 'off', PUBLIC_URL }),
          database,
          state: new MemorySharedState(),
          secrets: new SecretBox(randomBytes(32)),
        },
        { logger: pino({ level: 'silent' }) },
      );
    });
    afterAll(async () => {
      await app?.close();
      await database?.dispose();
    });

    const request = async (
      method: 'GET' | 'POST' | 'PATCH',
      url: string,
      options: { body?: unknown; cookie?: string; csrf?: string; origin?: string; ip?: string } = {},
    ) => {
      const headers: Record<string, string> = {};
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      if (options.cookie !== undefined) headers.cookie = options.cookie;
      if (options.csrf !== undefined) headers['x-csrf-token'] = options.csrf;
      if (options.origin !== undefined) headers.origin = options.origin;
      const response = await app.inject({
        method,
        url,
        headers,
        remoteAddress: options.ip ?? '203.0.113.1',
        ...(options.body === undefined ? {} : { payload: JSON.stringify(options.body) }),
      });
      return { status: response.statusCode, body: response.body === '' ? null : response.json(), headers: response.headers };
    };
    /** Signs in from a fresh IP (so the per-IP limit of one test does not touch another). */
    const signIn = async (username: string, password: string, totp?: string, from?: string) => {
      ip += 1;
      const response = await request('POST', '/console/api/login', { body: { username, password, totp }, ip: from ?? `198.51.100.${ip}` });
      const setCookie = String(response.headers['set-cookie'] ?? '');
      const cookie = /weunion_console=[^;]*/.exec(setCookie)?.[0] ?? '';
      return { ...response, cookie, setCookie };
    };
    let admins = 0;
    const newAdmin = async (options: { totpSecret?: string } = {}) => {
      admins += 1;
      const username = `admin${admins}-${backend.name.replace(/\W/g, '')}`.toLowerCase().slice(0, 60);
      const password = 'a long enough password';
      const account = await createAdminAccount(database.db, app.ctx.secrets, { username, password, ...options }, SYSTEM_ACTOR);
      return { ...account, password };
    };

    it('setup says an admin is needed until one exists', async () => {
      const before = await request('GET', '/console/api/setup');
      expect(before.body).toEqual({ needsAdmin: true, sandbox: false, publicUrl: PUBLIC_URL });
      await newAdmin();
      expect((await request('GET', '/console/api/setup')).body).toMatchObject({ needsAdmin: false });
    });

    it('signs in with the right password: a strict HttpOnly Secure cookie and the session', async () => {
      const admin = await newAdmin();
      const login = await signIn(admin.username, admin.password);
      expect(login.status).toBe(200);
      expect(login.setCookie).toMatch(/HttpOnly/);
      expect(login.setCookie).toMatch(/SameSite=Strict/);
      expect(login.setCookie).toMatch(/Secure/);
      expect(login.body).toMatchObject({ admin: { id: admin.id, username: admin.username, displayName: null, totpEnabled: false } });
      const session = await request('GET', '/console/api/session', { cookie: login.cookie });
      expect(session.body).toMatchObject({ admin: { id: admin.id }, csrfToken: login.body.csrfToken });
      expect((await request('GET', '/console/api/session')).status).toBe(401);
    });

    it('a wrong password and an unknown username get the same answer', async () => {
      const admin = await newAdmin();
      const wrong = await signIn(admin.username, 'not the password');
      const unknown = await signIn('nobody-here', 'not the password');
      expect([wrong.status, wrong.body.code]).toEqual([401, 'console_login_failed']);
      expect([unknown.status, unknown.body.code]).toEqual([401, 'console_login_failed']);
      expect(wrong.body.detail).toBe(unknown.body.detail);
      expect(wrong.cookie).toBe('');
    });

    it('with TOTP on: no code → totp_required, a wrong code → totp_invalid, a used code cannot sign in again', async () => {
      const secret = newTotpSecret();
      const admin = await newAdmin({ totpSecret: secret });
      expect((await signIn(admin.username, admin.password)).body.code).toBe('totp_required');
      expect((await signIn(admin.username, admin.password, '000000' === totpCode(secret) ? '111111' : '000000')).body.code).toBe(
        'totp_invalid',
      );
      const code = totpCode(secret);
      expect((await signIn(admin.username, admin.password, code)).status).toBe(200);
      expect((await signIn(admin.username, admin.password, code)).body.code).toBe('totp_invalid');
    });

    it('limits sign-in attempts per username from one address, and from all of them together', async () => {
      const admin = await newAdmin();
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push((await signIn(admin.username, 'wrong password', undefined, '203.0.113.7')).status);
      expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
      expect(statuses[10]).toBe(429);
      expect((await signIn(admin.username, admin.password, undefined, '203.0.113.7')).status).toBe(429);
      // Strangers guessing from other addresses do not lock the administrator out of theirs.
      for (let i = 0; i < 10; i++) expect((await signIn(admin.username, 'wrong password')).status).toBe(401);
      expect((await signIn(admin.username, admin.password)).status).toBe(200);
      // From all addresses together the cap is 100 tries per 15 minutes; the shell's `admins unlock` lifts it.
      await app.ctx.state.increment(loginAttemptsKey(admin.username), { ttlMs: 60_000, by: 100 });
      expect((await signIn(admin.username, admin.password)).status).toBe(429);
      await app.ctx.state.delete(loginAttemptsKey(admin.username));
      expect((await signIn(admin.username, admin.password)).status).toBe(200);
    });

    it('a console session lists users through the management API', async () => {
      const admin = await newAdmin();
      const { cookie } = await signIn(admin.username, admin.password);
      const users = await request('GET', '/api/v1/users', { cookie });
      expect(users.status).toBe(200);
      expect(Array.isArray(users.body.users)).toBe(true);
    });

    it('a change without or with a wrong CSRF token, or from another origin, is 403 and changes nothing', async () => {
      const admin = await newAdmin();
      const login = await signIn(admin.username, admin.password);
      const body = { name: 'made by console' };
      const missing = await request('POST', '/api/v1/admin-keys', { cookie: login.cookie, body });
      const wrong = await request('POST', '/api/v1/admin-keys', { cookie: login.cookie, body, csrf: 'x'.repeat(43) });
      const foreign = await request('POST', '/api/v1/admin-keys', {
        cookie: login.cookie,
        body,
        csrf: login.body.csrfToken,
        origin: 'https://evil.example',
      });
      for (const refused of [missing, wrong, foreign]) expect([refused.status, refused.body.code]).toEqual([403, 'csrf_failed']);
      const keys = await database.db.selectFrom('admin_keys').select('name').where('name', '=', 'made by console').execute();
      expect(keys).toHaveLength(0);
      const made = await request('POST', '/api/v1/admin-keys', {
        cookie: login.cookie,
        body,
        csrf: login.body.csrfToken,
        origin: PUBLIC_URL,
      });
      expect(made.status).toBe(201);
      const audit = await database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'admin_key.created')
        .where('actor_id', '=', admin.id)
        .execute();
      expect(audit).toMatchObject([{ actor_kind: 'admin', actor_name: admin.username }]);
    });

    it('after logout the cookie is refused, by the console and the management API', async () => {
      const admin = await newAdmin();
      const login = await signIn(admin.username, admin.password);
      expect((await request('POST', '/console/api/logout', { cookie: login.cookie })).status).toBe(403);
      const out = await request('POST', '/console/api/logout', { cookie: login.cookie, csrf: login.body.csrfToken });
      expect(out.status).toBe(204);
      expect(String(out.headers['set-cookie'])).toMatch(/weunion_console=;.*Max-Age=0/);
      expect((await request('GET', '/console/api/session', { cookie: login.cookie })).status).toBe(401);
      expect((await request('GET', '/api/v1/users', { cookie: login.cookie })).status).toBe(401);
    });

    it('disabling the account ends its sessions at once', async () => {
      const admin = await newAdmin();
      const { cookie } = await signIn(admin.username, admin.password);
      await setAdminDisabled(database.db, admin.id, true, SYSTEM_ACTOR);
      expect((await request('GET', '/console/api/session', { cookie })).status).toBe(401);
      expect((await signIn(admin.username, admin.password)).body.code).toBe('console_login_failed');
    });

    it('an admin-key-driven change is still audited with the key and its name', async () => {
      const { key, adminKey } = await createAdminKey(database.db, 'ops key', SYSTEM_ACTOR);
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/admin-keys',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ name: 'made by key' }),
      });
      expect(response.statusCode).toBe(201);
      const audit = await database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'admin_key.created')
        .where('actor_id', '=', adminKey.id)
        .execute();
      expect(audit).toMatchObject([{ actor_kind: 'admin_key', actor_name: 'ops key' }]);
    });

    it('changes its own password (audited) and refuses a wrong current one', async () => {
      const admin = await newAdmin();
      const login = await signIn(admin.username, admin.password);
      const auth = { cookie: login.cookie, csrf: login.body.csrfToken };
      const wrong = await request('POST', '/console/api/account/password', {
        ...auth,
        body: { currentPassword: 'nope nope nope', newPassword: 'brand new password' },
      });
      expect(wrong.status).toBe(400);
      const short = await request('POST', '/console/api/account/password', {
        ...auth,
        body: { currentPassword: admin.password, newPassword: 'short' },
      });
      expect(short.status).toBe(400);
      const changed = await request('POST', '/console/api/account/password', {
        ...auth,
        body: { currentPassword: admin.password, newPassword: 'brand new password' },
      });
      expect(changed.status).toBe(204);
      expect((await signIn(admin.username, 'brand new password')).status).toBe(200);
      const audit = await database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('subject_id', '=', admin.id)
        .where('action', '=', 'admin_account.password_changed')
        .execute();
      expect(audit).toMatchObject([{ actor_kind: 'admin', actor_id: admin.id, actor_name: admin.username }]);
    });

    it('turns TOTP on with a code from the set-up secret, then needs it to sign in, and off with password and code', async () => {
      const admin = await newAdmin();
      const login = await signIn(admin.username, admin.password);
      const auth = { cookie: login.cookie, csrf: login.body.csrfToken };
      const setup = await request('POST', '/console/api/account/totp/setup', auth);
      expect(setup.status).toBe(200);
      expect(setup.body.otpauthUri).toContain(`secret=${setup.body.secret}`);
      expect(setup.body.qrSvg).toContain('<svg');
      const secret: string = setup.body.secret;
      expect((await request('POST', '/console/api/account/totp/enable', { ...auth, body: { code: 'abcdef' } })).body.code).toBe(
        'totp_invalid',
      );
      const enabled = await request('POST', '/console/api/account/totp/enable', { ...auth, body: { code: totpCode(secret) } });
      expect(enabled.status).toBe(200);
      expect(enabled.body.recoveryCodes).toHaveLength(10);
      expect((await requireAdminAccount(database.db, admin.username)).totp_secret_sealed).not.toBeNull();
      expect((await signIn(admin.username, admin.password)).body.code).toBe('totp_required');
      const session = await request('GET', '/console/api/session', { cookie: login.cookie });
      expect(session.body.admin.totpEnabled).toBe(true);
      // The code used to enable cannot be used again; the next step's code can.
      const next = totpCode(secret, Date.now() + 30_000);
      const off = await request('POST', '/console/api/account/totp/disable', { ...auth, body: { password: admin.password, code: next } });
      expect(off.status).toBe(204);
      expect((await signIn(admin.username, admin.password)).status).toBe(200);
    });

    it('a recovery code signs in once instead of a TOTP code; regenerating replaces them all; TOTP off removes them', async () => {
      const admin = await newAdmin();
      const login = await signIn(admin.username, admin.password);
      const auth = { cookie: login.cookie, csrf: login.body.csrfToken };
      const setup = await request('POST', '/console/api/account/totp/setup', auth);
      const enabled = await request('POST', '/console/api/account/totp/enable', { ...auth, body: { code: totpCode(setup.body.secret) } });
      const codes: string[] = enabled.body.recoveryCodes;
      expect(new Set(codes).size).toBe(10);
      for (const code of codes) expect(code).toMatch(/^[0-9a-z]{5}-[0-9a-z]{5}$/);
      const stored = await database.db.selectFrom('admin_recovery_codes').selectAll().where('admin_id', '=', admin.id).execute();
      expect(stored).toHaveLength(10);
      expect(JSON.stringify(stored)).not.toContain(codes[0]?.replace('-', ''));

      const [first = '', second = ''] = codes;
      // Typed in upper case without the dash, it still counts.
      expect((await signIn(admin.username, admin.password, first.replace('-', '').toUpperCase())).status).toBe(200);
      expect((await signIn(admin.username, admin.password, first)).body.code).toBe('totp_invalid');
      expect((await request('GET', '/console/api/account/totp/recovery-codes', { cookie: login.cookie })).body).toEqual({ remaining: 9 });

      expect(
        (await request('POST', '/console/api/account/totp/recovery-codes', { ...auth, body: { password: 'wrong password!' } })).status,
      ).toBe(400);
      const fresh = await request('POST', '/console/api/account/totp/recovery-codes', { ...auth, body: { password: admin.password } });
      expect(fresh.body.recoveryCodes).toHaveLength(10);
      expect((await signIn(admin.username, admin.password, second)).body.code).toBe('totp_invalid');
      const actions = (
        await database.db.selectFrom('audit_log').select('action').where('subject_id', '=', admin.id).orderBy('id').execute()
      ).map((row) => row.action);
      expect(actions.filter((a) => a.startsWith('admin_account.recovery'))).toEqual([
        'admin_account.recovery_codes_generated',
        'admin_account.recovery_code_used',
        'admin_account.recovery_codes_generated',
      ]);

      const off = await request('POST', '/console/api/account/totp/disable', {
        ...auth,
        body: { password: admin.password, code: totpCode(setup.body.secret, Date.now() + 30_000) },
      });
      expect(off.status).toBe(204);
      expect(await database.db.selectFrom('admin_recovery_codes').selectAll().where('admin_id', '=', admin.id).execute()).toEqual([]);
    });

    it('unknown console API paths are problem 404s, never the app page', async () => {
      const response = await request('GET', '/console/api/nothing-here');
      expect([response.status, response.body.code]).toEqual([404, 'not_found']);
    });
  });
}

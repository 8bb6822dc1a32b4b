/**
 * `weunion admins …` run as the real command (a child process with its own stdin), against one
 * SQLite deployment folder.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSharedState } from '@weunion/state';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAttemptsKey } from '../console/login-limits.ts';
import { openDatabase } from '../storage/index.ts';
import { requireAdminAccount, verifyAdminPassword } from './store.ts';

const cli = fileURLToPath(new URL('../cli.ts', import.meta.url));

describe('weunion admins', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'weunion-admins-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the CLI to completion with `stdin` piped in (or until `until` sees its output, then stops it). */
  function run(
    args: string[],
    stdin = '',
    until?: (out: string) => boolean,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [cli, ...args], {
        env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (until?.(stdout)) child.kill('SIGTERM');
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(stdin);
    });
  }
  async function withDatabase<T>(work: (database: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
    const database = await openDatabase(`sqlite:${path.join(dir, 'weunion.db')}`);
    try {
      return await work(database);
    } finally {
      await database.close();
    }
  }

  it('serve tells how to create the first administrator and where the console is', async () => {
    const served = await run(['serve'], '', (out) => out.includes('listening on'));
    expect(served.stdout).toContain('/console/');
    expect(served.stdout).toContain('Create an administrator: npm run weunion -- admins create <username>');
  });

  it('create takes the password from one line of stdin; the account signs in with it; audited as the shell', async () => {
    const created = await run(
      ['admins', 'create', 'Alice', '--display-name', 'Alice Admin', '--password-stdin'],
      'correct horse battery\nignored\n',
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('created admin alice');
    await withDatabase(async (database) => {
      const account = await verifyAdminPassword(database.db, 'alice', 'correct horse battery');
      expect(account).toMatchObject({ display_name: 'Alice Admin' });
      const audit = await database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('subject_id', '=', account?.id ?? '')
        .execute();
      expect(audit).toMatchObject([{ action: 'admin_account.created', actor_kind: 'system', actor_id: 'cli:admins create' }]);
      expect(JSON.stringify(audit)).not.toContain('correct horse');
    });
    const listed = await run(['admins', 'list']);
    expect(listed.stdout).toMatch(/adm_\w+ +alice +enabled +no totp/);
    expect(listed.stdout).not.toContain('correct horse');
  });

  it('refuses a short password, a taken username and a missing password source, creating nothing', async () => {
    const short = await run(['admins', 'create', 'bob', '--password-stdin'], 'short\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('at least 10 characters');
    const taken = await run(['admins', 'create', 'alice', '--password-stdin'], 'another long password\n');
    expect([taken.code, taken.stderr]).toEqual([1, expect.stringContaining('already exists')]);
    const noTty = await run(['admins', 'create', 'bob']);
    expect([noTty.code, noTty.stderr]).toEqual([1, expect.stringContaining('--password-stdin')]);
    expect((await run(['admins', 'list'])).stdout).not.toContain('bob');
  });

  it('password replaces the password; disable stops sign-in until enable', async () => {
    expect((await run(['admins', 'password', 'alice', '--password-stdin'], 'a brand new password\n')).code).toBe(0);
    await withDatabase(async (database) => {
      expect(await verifyAdminPassword(database.db, 'alice', 'correct horse battery')).toBeNull();
      expect(await verifyAdminPassword(database.db, 'alice', 'a brand new password')).not.toBeNull();
    });
    expect((await run(['admins', 'disable', 'alice'])).code).toBe(0);
    expect(await withDatabase((database) => verifyAdminPassword(database.db, 'alice', 'a brand new password'))).toBeNull();
    expect((await run(['admins', 'list'])).stdout).toContain('disabled');
    expect((await run(['admins', 'enable', 'alice'])).code).toBe(0);
    expect(await withDatabase((database) => verifyAdminPassword(database.db, 'alice', 'a brand new password'))).not.toBeNull();
  });

  it('unlock clears the sign-in attempts counted from all addresses; audited as the shell', async () => {
    expect((await run(['admins', 'create', 'ulla', '--password-stdin'], 'correct horse battery\n')).code).toBe(0);
    const state = await openSharedState({ sqliteFile: path.join(dir, 'weunion-state.db') });
    try {
      await state.increment(loginAttemptsKey('Ulla'), { ttlMs: 60_000, by: 100 });
      expect(await state.get(loginAttemptsKey('ulla'))).toBe('100');
      const unlocked = await run(['admins', 'unlock', 'ulla']);
      expect(unlocked.code).toBe(0);
      expect(unlocked.stdout).toContain('ulla: sign-in attempts from all addresses cleared');
      expect(await state.get(loginAttemptsKey('ulla'))).toBeNull();
    } finally {
      await state.close();
    }
    expect((await run(['admins', 'unlock', 'nobody'])).code).not.toBe(0);
    const actions = await withDatabase((database) =>
      database.db.selectFrom('audit_log').select(['action', 'actor_id']).where('action', '=', 'admin_account.unlocked').execute(),
    );
    expect(actions).toEqual([{ action: 'admin_account.unlocked', actor_id: 'cli:admins unlock' }]);
  });

  it('totp --enable prints the otpauth URI and a QR code; --disable turns it off', async () => {
    const on = await run(['admins', 'totp', 'alice', '--enable']);
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(/otpauth:\/\/totp\/weunion:alice\?.*secret=[A-Z2-7]+/);
    expect(on.stdout).toMatch(/[▀▄█]/);
    expect((await withDatabase((database) => requireAdminAccount(database.db, 'alice'))).totp_secret_sealed).not.toBeNull();
    expect((await run(['admins', 'totp', 'alice', '--disable'])).code).toBe(0);
    expect((await withDatabase((database) => requireAdminAccount(database.db, 'alice'))).totp_secret_sealed).toBeNull();
    expect((await run(['admins', 'totp', 'alice'])).code).toBe(1);
  });

  it('create --totp turns TOTP on at once; delete removes the account', async () => {
    const created = await run(['admins', 'create', 'carol', '--password-stdin', '--totp'], 'carol password 1\n');
    expect(created.stdout).toContain('otpauth://totp/weunion:carol');
    expect((await run(['admins', 'list'])).stdout).toMatch(/carol +enabled +totp/);
    expect((await run(['admins', 'delete', 'carol'])).code).toBe(0);
    const again = await run(['admins', 'delete', 'carol']);
    expect([again.code, again.stderr]).toEqual([1, expect.stringContaining('No admin account "carol"')]);
  });
});

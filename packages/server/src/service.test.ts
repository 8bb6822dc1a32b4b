import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config/index.ts';
import { installGracefulShutdown, startService } from './service.ts';
import { openDatabase } from './storage/index.ts';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const silent = pino({ level: 'silent' });
const postgresUrl = process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : undefined;
const redisUrl = process.env.REDIS_URL;

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(
  args: string[],
  env: Record<string, string>,
  until?: (out: string) => boolean,
): Promise<RunResult & { kill(): void; exited: Promise<number | null> }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    const result = () => ({ code: child.exitCode, stdout, stderr, kill: () => child.kill('SIGTERM'), exited });
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (until?.(stdout)) resolve(result());
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', () => resolve(result()));
  });
}

const tempDataDir = () => mkdtempSync(path.join(tmpdir(), 'weunion-serve-'));

describe('weunion serve', () => {
  it('starts with no setup in sandbox mode, answers /healthz, and exits 0 on SIGTERM', async () => {
    const dataDir = tempDataDir();
    const run = await runCli(['serve'], { DATA_DIR: dataDir, PORT: '0' }, (out) => out.includes('listening on'));
    const address = /listening on (http:\/\/[^)\s]+)/.exec(run.stdout)?.[1];
    expect(address).toBeDefined();
    const health = await fetch(`${address}/healthz`);
    expect(health.status).toBe(200);
    // First start is sandbox mode: it says so loudly, and the virtual phone is there.
    expect(run.stdout).toContain('WECHAT SANDBOX IS ON');
    expect((await fetch(`${address}/sandbox/phone`)).status).toBe(200);
    run.kill();
    expect(await run.exited).toBe(0);
    // The database file and the generated master key are where the docs say.
    const db = await openDatabase(`sqlite:${path.join(dataDir, 'weunion.db')}`);
    const migrated = await sql<{ n: number }>`select count(*) as n from weunion_migrations`.execute(db.db);
    expect(Number(migrated.rows[0]?.n)).toBeGreaterThan(0);
    await db.close();
  });

  it('PORT=abc ends the start with one clear line and a non-zero exit', async () => {
    const run = await runCli(['serve'], { DATA_DIR: tempDataDir(), PORT: 'abc' });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('weunion: PORT must be a number (got "abc")');
  });

  it('an unreachable DATABASE_URL ends the start with one line, no stack, no password', async () => {
    const run = await runCli(['serve'], {
      DATABASE_URL: 'postgres://weunion:hunter2@127.0.0.1:1/weunion',
      MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
    });
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^weunion: PostgreSQL at postgres:\/\/weunion:%5Bredacted%5D@127\.0\.0\.1:1\/weunion is not reachable/);
    expect(run.stderr).not.toContain('hunter2');
  });

  it('an unreachable REDIS_URL ends the start with one line', async () => {
    const run = await runCli(['serve'], { DATA_DIR: tempDataDir(), REDIS_URL: 'redis://127.0.0.1:1' });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^weunion: Redis at REDIS_URL is not reachable/);
  });

  it('an unknown command prints the usage and fails', async () => {
    const run = await runCli(['frobnicate'], {});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('unknown command "frobnicate"');
    expect(run.stderr).toContain('usage: weunion <command>');
  });

  it('migrate applies migrations and reports an up-to-date database the second time', async () => {
    const env = { DATA_DIR: tempDataDir() };
    const first = await runCli(['migrate'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('applied: 0001_foundation');
    const second = await runCli(['migrate'], env);
    expect(second.stdout.trim()).toBe('database is up to date');
  });
});

describe('graceful shutdown', () => {
  it('lets an in-flight request finish, refuses new ones, then exits 0', async () => {
    const config = loadConfig({ DATA_DIR: tempDataDir(), PORT: '0' });
    let markStarted: () => void = () => {};
    let releaseSlow: () => void = () => {};
    const slowStarted = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    const service = await startService(config, {
      logger: silent,
      port: 0,
      plugins: [
        async (app) => {
          app.get('/slow', async () => {
            markStarted();
            await new Promise<void>((resolve) => {
              releaseSlow = resolve;
            });
            return { done: true };
          });
        },
      ],
    });
    const inFlight = fetch(`${service.address}/slow`);
    await slowStarted;
    const exited = new Promise<number>((resolve) => installGracefulShutdown(service, 5_000, resolve));
    process.emit('SIGTERM');
    await sleep(50);
    await expect(fetch(`${service.address}/healthz`)).rejects.toThrow();
    releaseSlow();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
    expect(await exited).toBe(0);
  });
});

describe.skipIf(postgresUrl === undefined || redisUrl === undefined)('scale-out mode', () => {
  it('two instances share PostgreSQL and Redis, and both are ready', async () => {
    const schema = `t_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const admin = await openDatabase(postgresUrl ?? '', { schema });
    const url = new URL(postgresUrl ?? '');
    url.searchParams.set('options', `-c search_path=${schema}`);
    const config = loadConfig({
      DATABASE_URL: url.toString(),
      REDIS_URL: redisUrl ?? '',
      REDIS_PREFIX: `test:${schema}:`,
      MASTER_KEY: Buffer.alloc(32, 3).toString('base64'),
    });
    const [first, second] = await Promise.all([
      startService(config, { logger: silent, port: 0 }),
      startService(config, { logger: silent, port: 0 }),
    ]);
    try {
      for (const service of [first, second]) {
        const ready = await fetch(`${service.address}/readyz`);
        expect(ready.status).toBe(200);
        expect(await ready.json()).toMatchObject({ mode: 'scale-out', database: 'postgres', sharedState: 'redis' });
      }
      // Data went to PostgreSQL: the migrations ran once, in the shared schema.
      const applied = await sql<{ n: number }>`select count(*)::int as n from weunion_migrations`.execute(admin.db);
      expect(applied.rows[0]?.n).toBeGreaterThan(0);
      // Shared state is shared: what one instance writes, the other reads.
      await first.state.set('probe', 'from-first', { ttlMs: 5_000 });
      expect(await second.state.get('probe')).toBe('from-first');
    } finally {
      await Promise.all([first.close(), second.close()]);
      await sql.raw(`drop schema ${schema} cascade`).execute(admin.db);
      await admin.close();
    }
  });
});

/** The built console served under /console/, from a temporary dist folder. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemorySharedState } from '@weunion/state';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { buildApp } from '../http/app.ts';
import { SecretBox } from '../secrets/master-key.ts';
import { openDatabase } from '../storage/index.ts';
import { migrateToLatest } from '../storage/migrate.ts';
import { CONSOLE_CSP } from './static.ts';

describe('the built console', () => {
  let dir: string;
  const apps: FastifyInstance[] = [];

  const appWithDist = async (distDir: string) => {
    const database = await openDatabase('sqlite::memory:');
    await migrateToLatest(database);
    const app = await buildApp(
      {
        config: loadConfig({ SANDBOX: 'off', PUBLIC_URL: 'http://localhost:3000' }),
        database,
        state: new MemorySharedState(),
        secrets: new SecretBox(randomBytes(32)),
      },
      {
        logger: pino({ level: 'silent' }),
        consoleDistDir: distDir,
        plugins: [async (a) => void a.addHook('onClose', () => database.close())],
      },
    );
    apps.push(app);
    return app;
  };

  let app: FastifyInstance;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'weunion-console-'));
    mkdirSync(path.join(dir, 'dist', 'assets'), { recursive: true });
    writeFileSync(path.join(dir, 'dist', 'index.html'), '<!doctype html><title>console</title><div id="root"></div>');
    writeFileSync(path.join(dir, 'dist', 'assets', 'index-abc123.js'), 'console.log("console")');
    writeFileSync(path.join(dir, 'secret.txt'), 'outside dist');
    app = await appWithDist(path.join(dir, 'dist'));
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('/console redirects to /console/, which is index.html, never cached, under a strict CSP', async () => {
    const redirect = await app.inject({ method: 'GET', url: '/console' });
    expect([redirect.statusCode, redirect.headers.location]).toEqual([302, '/console/']);
    const page = await app.inject({ method: 'GET', url: '/console/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('same-origin');
    expect(page.body).toContain('<div id="root">');
  });

  it('serves a hashed asset with a year of immutable caching', async () => {
    const asset = await app.inject({ method: 'GET', url: '/console/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.body).toBe('console.log("console")');
  });

  it('a deep link gets index.html; a missing asset is a 404', async () => {
    const deep = await app.inject({ method: 'GET', url: '/console/people/usr_123?tab=merges' });
    expect(deep.statusCode).toBe(200);
    expect(deep.body).toContain('<div id="root">');
    expect((await app.inject({ method: 'GET', url: '/console/assets/gone-999.js' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/console/api' })).statusCode).toBe(404);
  });

  it('refuses paths that climb out of the dist folder', async () => {
    expect((await app.inject({ method: 'GET', url: '/console/..%2fsecret.txt' })).statusCode).toBe(400);
    for (const url of [
      '/console/..%2fsecret.txt',
      '/console/%2e%2e/secret.txt',
      '/console/assets/..%2f..%2fsecret.txt',
      '/console/..%5csecret.txt',
    ]) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.body, url).not.toContain('outside dist');
      // 400 from the console's check, or 404 when the URL parser already resolved the dots away.
      expect([400, 404], url).toContain(response.statusCode);
    }
  });

  it('answers 503 with how to build when dist is missing', async () => {
    const bare = await appWithDist(path.join(dir, 'no-such-dist'));
    const response = await bare.inject({ method: 'GET', url: '/console/' });
    expect(response.statusCode).toBe(503);
    expect(response.body).toContain('npm run build:console');
  });
});

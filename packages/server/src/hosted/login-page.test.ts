import { MemorySharedState } from '@weunion/state';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { seedSandboxConnections } from '../connections/declared.ts';
import { buildApp } from '../http/app.ts';
import { applicationInputSchema, createApplication } from '../oidc/applications.ts';
import { oidcDb } from '../oidc/tables.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';

const sqlite = databaseBackends.find((b) => b.name === 'sqlite');
const PC = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130 Safari/537.36';

describe('hosted login page', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  beforeAll(async () => {
    if (sqlite === undefined) throw new Error('no sqlite');
    database = await sqlite.open();
    app = await buildApp(
      { config: loadConfig({ PUBLIC_URL: 'http://id.example.test' }), database, state: new MemorySharedState() },
      { logger: pino({ level: 'silent' }) },
    );
    await seedSandboxConnections(database.db, app.ctx.secrets);
    await createApplication(
      oidcDb(database.db),
      app.ctx.secrets,
      applicationInputSchema.parse({
        id: 'shop-web',
        name: 'Shop 商城',
        type: 'web',
        redirectUris: ['https://shop.example/cb'],
        scenarios: ['s2', 's5'],
        branding: { primaryColor: '#ff6600' },
      }),
    );
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('on a PC offers the QR methods that have a connection, returning to the given path', async () => {
    const response = await app.inject({ url: '/login?returnTo=/interaction/abc', headers: { 'user-agent': PC } });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<weunion-login methods="s1 s2 s3" return-to="/interaction/abc" lang="en"');
    expect(response.body).toContain('<script type="module" src="/assets/weunion-login.js"></script>');
    expect(response.body).not.toMatch(/<script[^>]+src="https?:/);
  });

  it('offers only what the application allows, under its name and colour', async () => {
    const response = await app.inject({
      url: '/login?client=shop-web',
      headers: { 'user-agent': PC, 'accept-language': 'zh-CN,zh;q=0.9' },
    });
    expect(response.body).toContain('methods="s2"');
    expect(response.body).toContain('lang="zh-CN"');
    expect(response.body).toContain('Shop 商城');
    expect(response.body).toContain('weunion-login{--weunion-accent:#ff6600}');
  });

  it('is never framed, never cached, and runs only its own script under a strict CSP', async () => {
    for (const agent of [PC, 'Mozilla/5.0 (iPhone) AppleWebKit/605 Mobile Safari/604.1']) {
      const response = await app.inject({ url: '/login?client=shop-web', headers: { 'user-agent': agent } });
      const policy = String(response.headers['content-security-policy']);
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).toMatch(/script-src 'self' 'nonce-[^']+';/);
      expect(policy).not.toContain('unsafe-inline');
      expect(response.headers['cache-control']).toBe('no-store');
      // No inline handlers or style attributes: the policy would block them.
      expect(response.body).not.toMatch(/\son\w+=|\sstyle=/);
    }
  });

  it('inside the WeChat browser goes straight to S4 web authorization', async () => {
    const response = await app.inject({
      url: '/login?returnTo=/interaction/abc',
      headers: { 'user-agent': 'Mozilla/5.0 (iPhone) AppleWebKit/605 Mobile MicroMessenger/8.0.50' },
    });
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('/login/s4?returnTo=%2Finteraction%2Fabc');
  });

  it('on a phone browser outside WeChat explains how to continue instead of showing unscannable codes', async () => {
    const response = await app.inject({
      url: '/login',
      headers: { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Mobile Safari' },
    });
    expect(response.body).toContain('Open in WeChat to log in');
    expect(response.body).not.toContain('<weunion-login');
  });

  it('refuses a returnTo that leaves the service', async () => {
    const response = await app.inject({ url: '/login?returnTo=https://evil.example/', headers: { 'user-agent': PC } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation_failed' });
  });

  it('serves the widget itself as a JavaScript module that defines <weunion-login>', async () => {
    const response = await app.inject({ url: '/assets/weunion-login.js' });
    expect(response.headers['content-type']).toContain('text/javascript');
    expect(response.body).toContain("customElements.define('weunion-login'");
  });
});

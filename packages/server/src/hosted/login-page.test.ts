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
import { renderLoginView } from './login-view.ts';

const sqlite = databaseBackends.find((b) => b.name === 'sqlite');
const PC = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130 Safari/537.36';
const WECHAT = 'Mozilla/5.0 (iPhone) AppleWebKit/605 Mobile MicroMessenger/8.0.50';

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
    await createApplication(
      oidcDb(database.db),
      app.ctx.secrets,
      applicationInputSchema.parse({
        id: 'agree-web',
        name: 'Agree',
        type: 'web',
        redirectUris: ['https://agree.example/cb'],
        branding: { termsUrl: 'https://agree.example/terms', privacyUrl: 'https://agree.example/privacy', requireAgreement: true },
      }),
    );
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it("on a PC shows WeChat's website QR first (微信扫码登录) and the other ways by what the person does", async () => {
    const response = await app.inject({
      url: '/login?returnTo=/interaction/abc',
      headers: { 'user-agent': PC, 'accept-language': 'zh-CN' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('微信扫码登录');
    expect(response.body).toContain('id="wu-primary" data-way="s2"');
    expect(response.body).toContain('data-way="s1"');
    expect(response.body).toContain('关注公众号登录');
    expect(response.body).toContain('小程序扫码登录（可授权手机号）');
    expect(response.body).toContain('<script type="module" src="/assets/weunion-login.js"></script>');
    // Scripts are ours; WeChat's wxLogin.js is loaded by our script from the one origin the policy names.
    expect(response.body).not.toMatch(/<script[^>]+src="https?:/);
    // No SMS page yet: no link to it.
    expect(response.body).not.toContain('/login/sms');
  });

  it('offers only what the application allows, under its name and colour', async () => {
    const response = await app.inject({
      url: '/login?client=shop-web',
      headers: { 'user-agent': PC, 'accept-language': 'zh-CN,zh;q=0.9' },
    });
    expect(response.body).toContain('data-way="s2"');
    expect(response.body).not.toContain('data-way="s1"');
    expect(response.body).not.toContain('data-way="s3"');
    expect(response.body).toContain('lang="zh-CN"');
    expect(response.body).toContain('Shop 商城');
    expect(response.body).toContain('<link rel="stylesheet" href="/assets/login-page.css?accent=ff6600">');
  });

  it('serves its stylesheet with the application colour, and refuses anything but six hex digits', async () => {
    const sheet = await app.inject({ url: '/assets/login-page.css?accent=FF6600' });
    expect(sheet.headers['content-type']).toContain('text/css');
    expect(sheet.body).toContain('--accent:#ff6600');
    expect((await app.inject({ url: '/assets/login-page.css?accent=red;}body{x' })).statusCode).toBe(400);
  });

  it("is never framed, never cached, and runs only its own script and WeChat's QR under a strict CSP", async () => {
    for (const agent of [PC, 'Mozilla/5.0 (iPhone) AppleWebKit/605 Mobile Safari/604.1', WECHAT]) {
      const response = await app.inject({ url: '/login?client=shop-web', headers: { 'user-agent': agent } });
      const policy = String(response.headers['content-security-policy']);
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).toMatch(/script-src 'self' 'nonce-[^']+' https:\/\/res\.wx\.qq\.com;/);
      expect(policy).toContain('frame-src https://open.weixin.qq.com;');
      expect(policy).not.toContain('unsafe-inline');
      expect(response.headers['cache-control']).toBe('no-store');
      // No inline handlers or style attributes: the policy would block them.
      expect(response.body).not.toMatch(/\son\w+=|\sstyle=/);
    }
  });

  it('inside the WeChat browser offers S4 first, as a form the agreement box belongs to', async () => {
    const response = await app.inject({
      url: '/login?returnTo=/interaction/abc&client=agree-web',
      headers: { 'user-agent': WECHAT, 'accept-language': 'zh-CN' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<form id="wu-s4" method="get" action="/login/s4">');
    expect(response.body).toContain('<input type="hidden" name="returnTo" value="/interaction/abc">');
    expect(response.body).toContain('微信一键登录');
    expect(response.body).toContain('<input type="checkbox" id="wu-agree" name="agreed" value="1" required form="wu-s4">');
    expect(response.body).toContain('<a href="https://agree.example/terms" target="_blank" rel="noopener noreferrer">《用户协议》</a>');
    expect(response.body).toContain('《隐私政策》');
    // WeCom says MicroMessenger too but cannot do S4.
    const wecom = await app.inject({ url: '/login', headers: { 'user-agent': `${WECHAT} wxwork/4.1` } });
    expect(wecom.body).not.toContain('wu-s4');
  });

  it('S4 itself refuses to start without the agreement the application requires', async () => {
    const refused = await app.inject({ url: '/login/s4?client=agree-web', headers: { 'user-agent': WECHAT } });
    expect(refused.statusCode).toBe(302);
    expect(refused.headers.location).toMatch(/^\/login\/error/);
  });

  it('on a phone browser outside WeChat offers "Open in WeChat" (the mini program by link)', async () => {
    const response = await app.inject({
      url: '/login',
      headers: { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Mobile Safari' },
    });
    expect(response.body).toContain('Open in WeChat');
    expect(response.body).toContain('data-way="s3link"');
    expect(response.body).not.toContain('data-way="s2"');
  });

  it('on a phone, for an application without the mini program, explains how to continue instead', async () => {
    const response = await app.inject({
      url: '/login?client=shop-web',
      headers: { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Mobile Safari' },
    });
    expect(response.body).toContain('Copy this page’s link');
    expect(response.body).not.toContain('s3link');
  });

  it('links the SMS code page with the same query only when it exists', () => {
    const input = {
      language: 'zh-CN' as const,
      device: 'desktop' as const,
      application: null,
      ways: { s1: true, s2: true, s3: true, s4: true },
      returnTo: '/x',
      query: 'returnTo=%2Fx&client=shop-web',
    };
    expect(renderLoginView({ ...input, smsLogin: true })).toContain(
      '<a class="choice" href="/login/sms?returnTo=%2Fx&#38;client=shop-web">短信验证码登录</a>',
    );
    expect(renderLoginView({ ...input, smsLogin: false })).not.toContain('短信验证码登录');
    expect(renderLoginView({ ...input, language: 'en', device: 'phone', smsLogin: true })).toContain('Log in with SMS code');
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

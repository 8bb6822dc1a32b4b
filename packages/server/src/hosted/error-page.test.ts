/**
 * The error page redirect flows end on: one plain explanation per code (in the person's
 * language), the query shown only escaped, and a "try again" link that never leaves the service.
 */
import { MemorySharedState } from '@weunion/state';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { buildApp } from '../http/app.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';

const sqlite = databaseBackends.find((b) => b.name === 'sqlite');

describe('hosted error page', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  beforeAll(async () => {
    if (sqlite === undefined) throw new Error('no sqlite');
    database = await sqlite.open();
    app = await buildApp(
      { config: loadConfig({ PUBLIC_URL: 'http://id.example.test' }), database, state: new MemorySharedState() },
      { logger: pino({ level: 'silent' }) },
    );
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  const show = (query: string, language = 'en') => app.inject({ url: `/login/error?${query}`, headers: { 'accept-language': language } });

  it.each([
    ['code=login_expired', 'This sign-in has expired', '本次登录已过期'],
    ['code=interaction_expired', 'This sign-in has expired', '本次登录已过期'],
    ['code=interaction_mismatch', 'This sign-in was started elsewhere', '登录在其他地方发起'],
    ['code=login_state_mismatch', 'This sign-in was started elsewhere', '登录在其他地方发起'],
    ['code=login_refused', 'This WeChat login cannot sign in', '无法使用此微信登录'],
    ['code=login_refused&reason=registration_closed', 'No account for this WeChat', '没有与此微信关联的账号'],
    ['code=login_refused&reason=account_blocked', 'This account is blocked', '账号已被停用'],
    ['code=login_refused&reason=account_unavailable', 'This account is no longer available', '账号已不可用'],
    ['code=login_refused&reason=multiple_accounts', 'Several accounts match this WeChat', '此微信匹配到多个账号'],
    ['code=login_refused&reason=snapshot_user', 'Open this page in WeChat', '请在微信中打开'],
    ['code=wechat_snapshot_user', 'Open this page in WeChat', '请在微信中打开'],
    ['code=wechat_high_risk_user', 'WeChat blocked this login', '微信拦截了此次登录'],
    ['code=wechat_scope_unauthorized', 'WeChat authorization was declined', '未同意微信授权'],
    ['code=rate_limited', 'Too many attempts', '尝试次数过多'],
    ['code=wechat_busy', 'WeChat is not available right now', '暂时无法连接微信'],
    ['code=no_such_code', 'Sign-in failed', '登录失败'],
    ['', 'Sign-in failed', '登录失败'],
  ])('%s is explained in English and Chinese', async (query, english, chinese) => {
    const en = await show(query);
    expect(en.headers['content-type']).toContain('text/html');
    expect(en.headers['cache-control']).toBe('no-store');
    expect(en.body).toContain(`<h1>${english}</h1>`);
    expect(en.body).toContain('<a class="button" href="/login">Try again</a>');
    const zh = await show(query, 'zh-CN,zh;q=0.9');
    expect(zh.body).toContain('<html lang="zh-CN"');
    expect(zh.body).toContain(`<h1>${chinese}</h1>`);
  });

  it('answers with the status of the code it explains', async () => {
    expect((await show('code=login_expired')).statusCode).toBe(410);
    expect((await show('code=login_refused&reason=account_blocked')).statusCode).toBe(403);
    expect((await show('code=interaction_mismatch')).statusCode).toBe(400);
  });

  it('shows the code and request id for support, escaped: a script in the query stays text', async () => {
    const response = await show(`code=${encodeURIComponent('<script>alert(1)</script>')}&requestId=req-123`);
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('<h1>Sign-in failed</h1>');
    expect(response.body).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(response.body).not.toContain('<script>alert(1)');
    expect(response.body).toContain('Request ID: <code>req-123</code>');
    // A request id that is not one of ours is not repeated at all.
    expect((await show(`code=login_expired&requestId=${encodeURIComponent('"><b>x')}`)).body).not.toContain('Request ID');
    // The page runs no script of its own, and the policy would refuse an injected one.
    expect(response.body).not.toMatch(/<script[\s>]/);
    expect(response.headers['content-security-policy']).toMatch(/script-src 'nonce-[^']+'/);
  });

  it('tries again towards a returnTo on this service, and ignores one that leaves it', async () => {
    const local = await show(`code=login_expired&returnTo=${encodeURIComponent('/interaction/abc?x=1')}`);
    expect(local.body).toContain('href="/login?returnTo=%2Finteraction%2Fabc%3Fx%3D1"');
    for (const offSite of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)']) {
      const response = await show(`code=login_expired&returnTo=${encodeURIComponent(offSite)}`);
      expect(response.statusCode).toBe(410);
      expect(response.body).toContain('<a class="button" href="/login">');
      expect(response.body).not.toContain('evil');
      expect(response.body).not.toContain('javascript:');
    }
  });

  it('renders whatever the query holds, even overlong parts', async () => {
    const response = await show(`code=${'x'.repeat(5000)}&returnTo=/${'a'.repeat(5000)}&reason[]=1`);
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('<h1>Sign-in failed</h1>');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { demoApp } from './demo-world.ts';
import { TestSandbox } from './test-support.ts';

let sandbox: TestSandbox;
beforeAll(async () => {
  // The demo apps' authorized domain: where the pages under test send people back to.
  sandbox = await TestSandbox.start({ redirectDomains: ['rp.example'] });
});
afterAll(async () => {
  await sandbox.close();
});

const pollAnswer = z.object({ status: z.string(), redirect: z.string().nullable(), wx_errcode: z.number() });

/** Opens the qrconnect page and returns the QR content and the poll URL it uses. */
async function openQrconnect(state = 'st8'): Promise<{ content: string; poll: string }> {
  const page = await fetch(sandbox.qrconnectUrl(demoApp('website').appid, state));
  expect(page.status).toBe(200);
  const html = await page.text();
  const content = /data-content="([^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&');
  const poll = /var poll = "([^"]+)"/.exec(html)?.[1];
  if (content === undefined || poll === undefined) throw new Error('the page shows no QR');
  return { content, poll };
}

async function poll(url: string) {
  return pollAnswer.parse(await (await fetch(url)).json());
}

describe('connect/qrconnect page', () => {
  it('shows a QR the phone scans; after confirm the page learns the redirect with code and state', async () => {
    const { content, poll: pollUrl } = await openQrconnect();
    expect(await poll(pollUrl)).toMatchObject({ status: 'waiting', wx_errcode: 408 });
    const scanned = await sandbox.ok('POST', '/_sandbox/actions/scan', { personId: 'p_alice', content });
    expect(scanned).toMatchObject({ kind: 'website_login', appid: demoApp('website').appid });
    expect(await poll(pollUrl)).toMatchObject({ status: 'scanned', wx_errcode: 404 });
    const decided = await sandbox.ok('POST', '/_sandbox/actions/authorize', { personId: 'p_alice', url: content, decision: 'allow' });
    const status = await poll(pollUrl);
    expect(status).toMatchObject({ status: 'confirmed', wx_errcode: 405, redirect: decided.redirect });
    const redirect = new URL(z.string().parse(status.redirect));
    expect(redirect.searchParams.get('state')).toBe('st8');
    const app = demoApp('website');
    const token = await sandbox.wechatGet('/sns/oauth2/access_token', {
      appid: app.appid,
      secret: app.secret,
      code: redirect.searchParams.get('code') ?? '',
      grant_type: 'authorization_code',
    });
    expect(token.scope).toBe('snsapi_login');
  });

  it('does not redirect when the person denies', async () => {
    const { content, poll: pollUrl } = await openQrconnect();
    const decided = await sandbox.ok('POST', '/_sandbox/actions/authorize', { personId: 'p_bob', url: content, decision: 'deny' });
    expect(decided.redirect).toBeNull();
    expect(await poll(pollUrl)).toMatchObject({ status: 'denied', redirect: null, wx_errcode: 403 });
  });

  it('refuses a second confirmation of the same QR', async () => {
    const { content } = await openQrconnect();
    await sandbox.ok('POST', '/_sandbox/actions/authorize', { personId: 'p_bob', url: content, decision: 'allow' });
    expect(
      (await sandbox.control('POST', '/_sandbox/actions/authorize', { personId: 'p_bob', url: content, decision: 'allow' })).status,
    ).toBe(410);
  });

  it('serves wxLogin.js, whose iframe points at this qrconnect', async () => {
    const script = await (await fetch(`${sandbox.url}/connect/zh_CN/htmledition/js/wxLogin.js`)).text();
    expect(script).toContain(`${sandbox.url}/connect/qrconnect`);
    expect(() => new Function(script)).not.toThrow();
  });

  it('shows an error page for a wrong scope or a non-website appid', async () => {
    const url = new URL(sandbox.qrconnectUrl(demoApp('website').appid));
    url.searchParams.set('scope', 'snsapi_userinfo');
    expect((await fetch(url)).status).toBe(400);
    expect((await fetch(sandbox.qrconnectUrl(demoApp('officialAccount').appid))).status).toBe(400);
  });
});

describe('connect/oauth2/authorize page', () => {
  const app = demoApp('officialAccount');

  it('asks who the WeChat user is when the browser has no sandbox_person cookie', async () => {
    const page = await fetch(sandbox.oauth2Url(app.appid, 'snsapi_base'), { redirect: 'manual' });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('p_alice');
  });

  it('redirects silently for snsapi_base with the current user from the cookie', async () => {
    const page = await fetch(sandbox.oauth2Url(app.appid, 'snsapi_base', 'abc'), {
      redirect: 'manual',
      headers: { cookie: 'sandbox_person=p_carol' },
    });
    expect(page.status).toBe(302);
    const location = new URL(page.headers.get('location') ?? '');
    expect(location.searchParams.get('state')).toBe('abc');
    const token = await sandbox.wechatGet('/sns/oauth2/access_token', {
      appid: app.appid,
      secret: app.secret,
      code: location.searchParams.get('code') ?? '',
      grant_type: 'authorization_code',
    });
    const identities = z
      .array(z.object({ appid: z.string(), openid: z.string() }))
      .parse((await sandbox.control('GET', '/_sandbox/people/p_carol/identities')).body);
    expect(token.openid).toBe(identities.find((i) => i.appid === app.appid)?.openid);
  });

  it('asks consent for snsapi_userinfo and redirects on allow, not on deny', async () => {
    const url = sandbox.oauth2Url(app.appid, 'snsapi_userinfo', 'u1');
    const consent = await fetch(url, { redirect: 'manual', headers: { cookie: 'sandbox_person=p_bob' } });
    expect(consent.status).toBe(200);
    expect(await consent.text()).toContain('允许');
    const form = new URLSearchParams(new URL(url).searchParams);
    form.set('personId', 'p_bob');
    form.set('decision', 'deny');
    const denied = await fetch(`${sandbox.url}/connect/oauth2/authorize`, { method: 'POST', body: form, redirect: 'manual' });
    expect(denied.status).toBe(200);
    form.set('decision', 'allow');
    const allowed = await fetch(`${sandbox.url}/connect/oauth2/authorize`, { method: 'POST', body: form, redirect: 'manual' });
    expect(allowed.status).toBe(302);
    expect(new URL(allowed.headers.get('location') ?? '').searchParams.get('state')).toBe('u1');
  });

  it('shows an error page for a state with characters outside [a-zA-Z0-9]', async () => {
    const page = await fetch(sandbox.oauth2Url(app.appid, 'snsapi_base', 'a_b'), {
      headers: { cookie: 'sandbox_person=p_bob' },
      redirect: 'manual',
    });
    expect(page.status).toBe(400);
  });
});

describe('virtual phone', () => {
  it('serves a page whose inline scripts are valid JavaScript and load nothing from elsewhere', async () => {
    const html = await (await fetch(`${sandbox.url}/phone`)).text();
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1] ?? '');
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(() => new Function(script)).not.toThrow();
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  });

  it('serves the phone page and sends QR landing URLs to it', async () => {
    const page = await fetch(`${sandbox.url}/phone`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const landing = await fetch(`${sandbox.url}/q/abc`, { redirect: 'manual' });
    expect(landing.status).toBe(302);
    expect(landing.headers.get('location')).toContain('/phone?scan=');
  });
});

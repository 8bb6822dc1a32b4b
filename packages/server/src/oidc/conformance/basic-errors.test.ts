/**
 * Basic OP plan, the error cases: a login that cannot happen ends at the application's redirect
 * URI with the specification's error, `state` and `iss` (RFC 9207) — the person declined on the
 * WeChat phone, the application's registration is closed, the account is blocked, the person
 * cancelled on the login page, a third-party consent was denied — and bad requests get the
 * specification's answers (oidcc-response-type-missing, oidcc-ensure-registered-redirect-uri,
 * oidcc-codereuse). Every refusal changes nothing: no account is made, no session is left.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../identity/audit.ts';
import { setUserBlocked } from '../../identity/users.ts';
import { SESSION_COOKIE } from '../../login/sessions.ts';
import { demo } from '../../login/test-harness.ts';
import { Browser, freshRequest, jwtPayload, OidcWorld, REDIRECT, type RegisteredApp, storageModes } from './harness.ts';

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`OIDC Basic OP: errors go back to the application (${mode.name})`, () => {
    let oidc: OidcWorld;
    let web: RegisteredApp;
    let closed: RegisteredApp;
    let partner: RegisteredApp;

    beforeAll(async () => {
      oidc = await OidcWorld.start(mode);
      web = await oidc.register({ id: 'shop-web', name: 'Shop', type: 'web' });
      closed = await oidc.register({ id: 'staff-web', name: 'Staff', type: 'web', policy: { registration: 'deny' } });
      partner = await oidc.register({ id: 'partner-web', name: 'Partner', type: 'web', firstParty: false });
    });
    afterAll(async () => {
      await oidc?.close();
    });

    async function start(app: RegisteredApp, extra: Record<string, string> = {}) {
      const config = await oidc.rp(app);
      const request = await freshRequest(extra);
      return { config, request, url: client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, ...request.params }).href };
    }

    function expectDenied(callback: URL | undefined, state: string) {
      expect(callback?.origin).toBe(new URL(REDIRECT).origin);
      expect(callback?.searchParams.get('error')).toBe('access_denied');
      expect(callback?.searchParams.get('state')).toBe(state);
      expect(callback?.searchParams.get('iss')).toBe(oidc.issuer);
      expect(callback?.searchParams.get('code')).toBeNull();
    }

    it('WeChat comes back without a code (the person declined): access_denied at the redirect URI, no account made', async () => {
      const users = await oidc.world.userCount();
      const { request, url } = await start(web);
      const browser = new Browser();
      const page = await oidc.walk(browser, url, { stopAtLogin: true });
      const loginPage = new URL(page.url);
      const query = new URLSearchParams({ returnTo: loginPage.searchParams.get('returnTo') ?? '', client: web.id });
      const qrconnect = new URL((await browser.fetch(`${oidc.issuer}/login/s2?${query}`)).headers.get('location') ?? '');
      // What WeChat sends the browser to when authorization is refused: the state, no code.
      const landing = await oidc.walk(browser, `${oidc.issuer}/login/s2/callback?state=${qrconnect.searchParams.get('state')}`);
      expectDenied(landing.callback, request.state);
      expect(landing.callback?.searchParams.get('error_description')).toMatch(/declined/);
      expect(await oidc.world.userCount()).toBe(users);
      expect(browser.cookie(oidc.issuer, SESSION_COOKIE)).toBeUndefined();
    });

    it('registration is closed for the application: access_denied, no account made', async () => {
      const users = await oidc.world.userCount();
      const { request, url } = await start(closed);
      const landing = await oidc.walk(new Browser(), url, { person: await oidc.world.person('Stranger') });
      expectDenied(landing.callback, request.state);
      expect(await oidc.world.userCount()).toBe(users);
    });

    it('the account is blocked: access_denied, and the blocked person gets no session', async () => {
      const person = await oidc.world.person('Blocked');
      const first = await start(web);
      const firstBrowser = new Browser();
      const callback = await oidc.authorize(firstBrowser, first.config, first.request.params, { person });
      const tokens = await client.authorizationCodeGrant(first.config, callback, {
        pkceCodeVerifier: first.request.verifier,
        expectedState: first.request.state,
        expectedNonce: first.request.nonce,
      });
      const sub = String(jwtPayload(tokens.id_token ?? '').sub);
      await setUserBlocked(oidc.world.database.db, sub, true, SYSTEM_ACTOR);

      const { request, url } = await start(web);
      const browser = new Browser();
      const landing = await oidc.walk(browser, url, { person });
      expectDenied(landing.callback, request.state);
      expect(browser.cookie(oidc.issuer, SESSION_COOKIE)).toBeUndefined();
    });

    it('the person cancels on the login page: access_denied', async () => {
      const { request, url } = await start(web, { ui_locales: 'en' });
      const browser = new Browser();
      const page = await oidc.walk(browser, url, { stopAtLogin: true });
      const cancel = /href="(\/interaction\/[^"]+\/abort\?reason=cancelled)"/.exec(page.body ?? '')?.[1];
      expect(cancel).toBeDefined();
      const landing = await oidc.walk(browser, `${oidc.issuer}${cancel?.replace(/&amp;/g, '&')}`);
      expectDenied(landing.callback, request.state);
      expect(landing.callback?.searchParams.get('error_description')).toMatch(/cancelled/);
    });

    it('an abort link without the interaction cookie (another browser) ends nothing', async () => {
      const { url } = await start(web);
      const browser = new Browser();
      const page = await oidc.walk(browser, url, { stopAtLogin: true });
      const cancel = /href="(\/interaction\/[^"]+\/abort\?reason=cancelled)"/.exec(page.body ?? '')?.[1] ?? '';
      const elsewhere = await oidc.walk(new Browser(), `${oidc.issuer}${cancel.replace(/&amp;/g, '&')}`);
      expect(elsewhere.callback).toBeUndefined();
      expect(new URL(elsewhere.url).pathname).toBe('/login/error');
    });

    it('WeChat failing for a moment: the error page offers Try again (the same login) and Back to the application (access_denied)', async () => {
      const { request, url } = await start(web);
      const browser = new Browser();
      await oidc.world.sandbox('PUT', '/faults', { appid: demo('website').appid, errcode: -1, times: 1 });
      try {
        const page = await oidc.walk(browser, url, { person: await oidc.world.person('Unlucky') });
        expect(new URL(page.url).pathname).toBe('/login/error');
        const again = /<a class="button" href="(\/interaction\/[^"]+)"/.exec(page.body ?? '')?.[1];
        expect(again).toBeDefined();
        const back = /href="(\/interaction\/[^"]+\/abort\?[^"]+)"/.exec(page.body ?? '')?.[1] ?? '';
        // Try again leads to the application's login page once more (the same interaction).
        const retry = await oidc.walk(browser, `${oidc.issuer}${again}`, { stopAtLogin: true });
        expect(new URL(retry.url).searchParams.get('client')).toBe(web.id);
        const landing = await oidc.walk(browser, `${oidc.issuer}${back.replace(/&amp;/g, '&')}`);
        expectDenied(landing.callback, request.state);
      } finally {
        await oidc.world.sandbox('DELETE', `/faults?appid=${demo('website').appid}`);
      }
    });

    it('a third-party application: the consent page lists what it gets; Deny is access_denied', async () => {
      const { request, url } = await start(partner, {
        scope: 'openid profile phone offline_access',
        prompt: 'consent',
        ui_locales: 'zh-CN',
      });
      const browser = new Browser();
      const page = await oidc.walk(browser, url, { person: await oidc.world.person('Careful') });
      expect(page.response?.status).toBe(200);
      expect(page.body).toContain('<html lang="zh-CN">');
      for (const words of ['识别你的身份', '昵称和头像', '手机号', '保持登录']) expect(page.body).toContain(words);
      const csp = page.response?.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain(`form-action 'self' ${new URL(REDIRECT).origin}`);
      const landing = await oidc.walk(browser, page.url, { consent: 'deny' });
      expectDenied(landing.callback, request.state);
    });

    it('oidcc-response-type-missing: invalid_request at the redirect URI', async () => {
      const { config, request } = await start(web);
      const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, ...request.params });
      url.searchParams.delete('response_type');
      const landing = await oidc.walk(new Browser(), url.href);
      expect(landing.callback?.searchParams.get('error')).toBe('invalid_request');
      expect(landing.callback?.searchParams.get('state')).toBe(request.state);
    });

    it('oidcc-ensure-registered-redirect-uri: an unregistered redirect URI is an error page, never a redirect', async () => {
      const { config, request } = await start(web);
      const url = client.buildAuthorizationUrl(config, { ...request.params, redirect_uri: 'https://attacker.example/cb' });
      const landing = await oidc.walk(new Browser(), url.href);
      expect(landing.callback).toBeUndefined();
      expect(landing.response?.status).toBe(400);
      expect(landing.body).toContain('redirect_uri');
      // The hosted look and CSP; nothing from anyone else.
      expect(landing.response?.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(landing.body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    });

    it('oidcc-codereuse: a code works once; the second use is invalid_grant and revokes what the first gave', async () => {
      const { config, request, url } = await start(web);
      const landing = await oidc.walk(new Browser(), url, { person: await oidc.world.person('Reuse') });
      const callback = landing.callback ?? new URL(REDIRECT);
      const checks = { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce };
      const tokens = await client.authorizationCodeGrant(config, callback, checks);
      await expect(client.authorizationCodeGrant(config, callback, checks)).rejects.toMatchObject({ error: 'invalid_grant' });
      await expect(client.fetchUserInfo(config, tokens.access_token, client.skipSubjectCheck)).rejects.toThrow();
    });
  });
}

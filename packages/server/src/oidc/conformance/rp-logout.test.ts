/**
 * RP-Initiated Logout OP plan: oidcc-rp-initiated-logout (id_token_hint, post_logout_redirect_uri,
 * state), -no-state, -only-state, -no-params, -no-post-logout-redirect-uri,
 * -bad-post-logout-redirect-uri, -query-added-to-post-logout-redirect-uri,
 * -modified-id-token-hint. The logout and signed-out pages are weunion's hosted pages (zh-CN/en from
 * `ui_locales` or the browser, strict CSP, nothing from anyone else); logging out ends the
 * provider session and the weunion login session, and refusing to log out ends nothing.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionOf } from '../../login/test-harness.ts';
import { Browser, freshRequest, OidcWorld, POST_LOGOUT, REDIRECT, type RegisteredApp, storageModes } from './harness.ts';

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`OIDC RP-Initiated Logout OP (${mode.name})`, () => {
    let oidc: OidcWorld;
    let web: RegisteredApp;
    let config: client.Configuration;

    beforeAll(async () => {
      oidc = await OidcWorld.start(mode);
      web = await oidc.register({ id: 'shop-web', name: 'Shop', type: 'web' });
      config = await oidc.rp(web);
    });
    afterAll(async () => {
      await oidc?.close();
    });

    /** A browser logged in to Shop through WeChat, and its ID token. */
    async function loggedIn(): Promise<{ browser: Browser; idToken: string }> {
      const browser = new Browser();
      const request = await freshRequest();
      const callback = await oidc.authorize(browser, config, request.params, { person: await oidc.world.person('Lou') });
      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
      });
      return { browser, idToken: tokens.id_token ?? '' };
    }

    async function stillLoggedIn(browser: Browser): Promise<boolean> {
      const request = await freshRequest({ prompt: 'none' });
      const landing = await oidc.walk(browser, client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, ...request.params }).href);
      return landing.callback?.searchParams.get('code') !== null && landing.callback?.searchParams.get('code') !== undefined;
    }

    /** Answers the logout page: the hidden xsrf form, submitted with the chosen button. */
    async function answer(browser: Browser, page: { url: string; body?: string }, yes: boolean) {
      const action = /<form[^>]*action="([^"]+)"/.exec(page.body ?? '')?.[1] ?? '';
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body ?? '')?.[1] ?? '';
      const form = new URLSearchParams({ xsrf, ...(yes ? { logout: 'yes' } : {}) });
      const response = await browser.fetch(new URL(action, page.url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      });
      const next = response.headers.get('location');
      if (next === null) throw new Error(`logout confirm answered ${response.status}`);
      return oidc.walk(browser, new URL(next, oidc.issuer).href);
    }

    function expectHostedPage(response: Response | undefined, body: string | undefined) {
      const csp = response?.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(response?.headers.get('cache-control')).toBe('no-store');
      // No web font, script or style from anyone else (oidc-provider's default page imports one).
      expect(body).not.toMatch(/@import|fonts\.googleapis|<link|<script[^>]*src=/);
    }

    it('oidcc-rp-initiated-logout: the hosted logout page, then the application with its state; both sessions end', async () => {
      const { browser, idToken } = await loggedIn();
      expect(await sessionOf(browser, oidc.world.first)).not.toBeNull();
      const url = client.buildEndSessionUrl(config, {
        id_token_hint: idToken,
        post_logout_redirect_uri: POST_LOGOUT,
        state: 'bye-1',
        ui_locales: 'zh-CN',
      });
      const page = await oidc.walk(browser, url.href);
      expect(page.response?.status).toBe(200);
      expect(page.body).toContain('<html lang="zh-CN">');
      expect(page.body).toContain('退出登录');
      expect(page.body).toContain('Shop');
      expectHostedPage(page.response, page.body);
      // Either answer redirects to the application: the form may go there.
      expect(page.response?.headers.get('content-security-policy')).toContain(`form-action 'self' ${new URL(POST_LOGOUT).origin}`);

      const landing = await answer(browser, page, true);
      expect(landing.callback?.href.startsWith(POST_LOGOUT)).toBe(true);
      expect(landing.callback?.searchParams.get('state')).toBe('bye-1');
      expect(await sessionOf(browser, oidc.world.first)).toBeNull();
      expect(await stillLoggedIn(browser)).toBe(false);
    });

    it('"No, stay signed in" ends nothing', async () => {
      const { browser, idToken } = await loggedIn();
      const url = client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: POST_LOGOUT, state: 'stay' });
      const page = await oidc.walk(browser, url.href);
      const landing = await answer(browser, page, false);
      expect(landing.callback?.searchParams.get('state')).toBe('stay');
      expect(await sessionOf(browser, oidc.world.first)).not.toBeNull();
      expect(await stillLoggedIn(browser)).toBe(true);
    });

    it('oidcc-rp-initiated-logout-no-state: back to the application without a state', async () => {
      const { browser, idToken } = await loggedIn();
      const page = await oidc.walk(
        browser,
        client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: POST_LOGOUT }).href,
      );
      const landing = await answer(browser, page, true);
      expect(landing.callback?.href).toBe(POST_LOGOUT);
    });

    it('oidcc-rp-initiated-logout-no-params and -only-state: the signed-out page, in English from the browser', async () => {
      const { browser } = await loggedIn();
      const page = await oidc.walk(browser, `${oidc.issuer}/session/end?state=only`);
      expect(page.body).toContain('<html lang="en">');
      expectHostedPage(page.response, page.body);
      const done = await answer(browser, page, true);
      expect(done.callback).toBeUndefined();
      expect(done.response?.status).toBe(200);
      expect(done.body).toContain('You are signed out');
      expectHostedPage(done.response, done.body);
      expect(await stillLoggedIn(browser)).toBe(false);

      const bare = await oidc.walk(new Browser(), `${oidc.issuer}/session/end`);
      expect(bare.response?.status).toBe(200);
    });

    it('oidcc-rp-initiated-logout-no-post-logout-redirect-uri: the signed-out page; "No" signs out of the application only', async () => {
      const { browser, idToken } = await loggedIn();
      const page = await oidc.walk(browser, client.buildEndSessionUrl(config, { id_token_hint: idToken }).href);
      const stay = await answer(browser, page, false);
      expect(stay.body).toMatch(/You have signed out of (Shop|shop-web)\./);
      expect(await sessionOf(browser, oidc.world.first)).not.toBeNull();

      const again = await oidc.walk(browser, client.buildEndSessionUrl(config, { id_token_hint: idToken }).href);
      const done = await answer(browser, again, true);
      expect(done.body).toContain('You have signed out.');
      expect(await sessionOf(browser, oidc.world.first)).toBeNull();
    });

    it('oidcc-rp-initiated-logout-bad-post-logout-redirect-uri and -query-added: an error page, no redirect, nothing ended', async () => {
      const { browser, idToken } = await loggedIn();
      for (const target of ['https://attacker.example/bye', `${POST_LOGOUT}?extra=1`]) {
        const landing = await oidc.walk(
          browser,
          client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: target }).href,
        );
        expect(landing.callback).toBeUndefined();
        expect(landing.response?.status).toBe(400);
        expect(landing.body).toContain('post_logout_redirect_uri');
        expectHostedPage(landing.response, landing.body);
      }
      expect(await stillLoggedIn(browser)).toBe(true);
    });

    it('oidcc-rp-initiated-logout-modified-id-token-hint: a tampered hint is refused, nothing ended', async () => {
      const { browser, idToken } = await loggedIn();
      const [header, payload, signature = ''] = idToken.split('.');
      const tampered = `${header}.${payload}.${signature.slice(0, -4)}AAAA`;
      const landing = await oidc.walk(
        browser,
        client.buildEndSessionUrl(config, { id_token_hint: tampered, post_logout_redirect_uri: POST_LOGOUT }).href,
      );
      expect(landing.callback).toBeUndefined();
      expect(landing.response?.status).toBe(400);
      expect(await stillLoggedIn(browser)).toBe(true);
    });
  });
}

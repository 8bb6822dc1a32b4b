/**
 * Basic OP plan, re-authentication and what the ID token says about it: `prompt=login`,
 * `max_age`, `prompt=none`, `id_token_hint`, `login_hint`, `ui_locales`, `acr_values`, and the
 * `amr`/`auth_time` claims — against the real server and the real hosted login (S2 on the sandbox
 * phone), with openid-client as the relying party. `auth_time` is checked against the login
 * session that the WeChat step made, never against the clock.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginSessions, SESSION_COOKIE } from '../../login/sessions.ts';
import { Browser, formPostFields, freshRequest, jwtPayload, OidcWorld, REDIRECT, type RegisteredApp, storageModes } from './harness.ts';

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`OIDC Basic OP: re-authentication (${mode.name})`, () => {
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

    /** The auth_time the browser's current login session stands for (seconds). */
    async function sessionAuthTime(browser: Browser): Promise<number> {
      const sessions = new LoginSessions(oidc.world.state, { ttlMs: 60_000 });
      const session = await sessions.get(browser.cookie(oidc.issuer, SESSION_COOKIE));
      if (session === null) throw new Error('no login session');
      return Math.floor(session.createdAt / 1000);
    }

    async function loginAndExchange(browser: Browser, person: string | undefined, extra: Record<string, string> = {}) {
      const request = await freshRequest(extra);
      const callback = await oidc.authorize(browser, config, request.params, person === undefined ? {} : { person });
      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
        ...(extra.max_age === undefined ? {} : { maxAge: Number(extra.max_age) }),
      });
      return { tokens, claims: jwtPayload(tokens.id_token ?? ''), visited: [...oidc.visited] };
    }

    it('the ID token says how the person logged in: amr (scenario s2, wechat) and auth_time of the WeChat login', async () => {
      const browser = new Browser();
      const person = await oidc.world.person('Amr');
      const { claims, visited } = await loginAndExchange(browser, person);
      expect(visited).toContain('/login');
      expect(claims.amr).toEqual(['s2', 'wechat']);
      expect(claims.auth_time).toBe(await sessionAuthTime(browser));
      // acr only where it is asked for.
      expect(claims.acr).toBeUndefined();
    });

    it('oidcc-prompt-login: the person goes through WeChat again; auth_time is the new WeChat login', async () => {
      const browser = new Browser();
      const person = await oidc.world.person('Pat');
      const first = await loginAndExchange(browser, person);
      const firstSession = browser.cookie(oidc.issuer, SESSION_COOKIE);

      // Without prompt=login the session answers: no login page, the same auth_time.
      const again = await loginAndExchange(browser, undefined);
      expect(again.visited).not.toContain('/login');
      expect(again.claims.auth_time).toBe(first.claims.auth_time);

      const forced = await loginAndExchange(browser, person, { prompt: 'login' });
      expect(forced.visited).toContain('/login');
      expect(browser.cookie(oidc.issuer, SESSION_COOKIE)).not.toBe(firstSession);
      expect(forced.claims.auth_time).toBe(await sessionAuthTime(browser));
      expect(forced.claims.sub).toBe(first.claims.sub);
    });

    it('prompt=login where another person logs in: one WeChat confirmation; the provider ends the old session and the code is the new person’s', async () => {
      const browser = new Browser();
      const first = await loginAndExchange(browser, await oidc.world.person('Swap Old'));
      const newcomer = await oidc.world.person('Swap New');
      const request = await freshRequest({ prompt: 'login' });
      const authorization = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, ...request.params }).href;
      let landing = await oidc.walk(browser, authorization, { person: newcomer });
      const logins = oidc.visited.filter((path) => path === '/login').length;
      // The provider's account swap: an auto-submitted form ends the old provider session, then the interaction resumes.
      if (landing.callback === undefined && landing.body?.includes('<form') === true) {
        const { action, fields } = formPostFields(landing.body);
        const ended = await browser.fetch(new URL(action, oidc.issuer).href, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(fields),
        });
        await ended.body?.cancel();
        landing = await oidc.walk(browser, new URL(ended.headers.get('location') ?? '', oidc.issuer).href);
        expect(oidc.visited).not.toContain('/login');
      }
      expect(logins).toBe(1);
      if (landing.callback === undefined) throw new Error(`no callback; ended at ${landing.url}`);
      const tokens = await client.authorizationCodeGrant(config, landing.callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
      });
      const claims = jwtPayload(tokens.id_token ?? '');
      expect(claims.sub).not.toBe(first.claims.sub);
      expect(claims.auth_time).toBe(await sessionAuthTime(browser));
    });

    it('prompt=select_account: the person picks the account on the login page, once, even without a session', async () => {
      // Signed in: the session is not taken silently; the person goes through the login page.
      const browser = new Browser();
      const person = await oidc.world.person('Chooser');
      const first = await loginAndExchange(browser, person);
      const chosen = await loginAndExchange(browser, person, { prompt: 'select_account' });
      expect(chosen.visited.filter((path) => path === '/login')).toHaveLength(1);
      expect(chosen.claims.sub).toBe(first.claims.sub);
      expect(chosen.claims.auth_time).toBe(await sessionAuthTime(browser));
      // Not signed in: one login answers both.
      const fresh = await loginAndExchange(new Browser(), await oidc.world.person('Newcomer'), { prompt: 'select_account' });
      expect(fresh.visited.filter((path) => path === '/login')).toHaveLength(1);
    });

    it('prompt=login is not answered by the old session when the person walks back from the login page', async () => {
      const browser = new Browser();
      const person = await oidc.world.person('Back');
      await loginAndExchange(browser, person);
      const request = await freshRequest({ prompt: 'login' });
      const landing = await oidc.walk(
        browser,
        client.buildAuthorizationUrl(config, { redirect_uri: 'http://127.0.0.1:9/callback', ...request.params }).href,
        {
          stopAtLogin: true,
        },
      );
      const returnTo = new URL(landing.url).searchParams.get('returnTo') ?? '';
      expect(returnTo).toMatch(/^\/interaction\//);
      // Straight back to the interaction with the session that existed before: the login page again.
      const back = await oidc.walk(browser, `${oidc.issuer}${returnTo}`, { stopAtLogin: true });
      expect(new URL(back.url).pathname).toBe('/login');
    });

    it('oidcc-max-age-1: an older WeChat login is not enough; the person logs in again', async () => {
      const browser = new Browser();
      const person = await oidc.world.person('Max');
      const first = await loginAndExchange(browser, person);
      // max_age is in whole seconds: wait until the first login is certainly more than one old.
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const second = await loginAndExchange(browser, person, { max_age: '1' });
      expect(second.visited).toContain('/login');
      expect(second.claims.auth_time).toBe(await sessionAuthTime(browser));
      expect(second.claims.auth_time).not.toBe(first.claims.auth_time);
    });

    it('oidcc-max-age-10000: a recent login answers; auth_time is that login', async () => {
      const browser = new Browser();
      const person = await oidc.world.person('Recent');
      const first = await loginAndExchange(browser, person);
      const second = await loginAndExchange(browser, undefined, { max_age: '10000' });
      expect(second.visited).not.toContain('/login');
      expect(second.claims.auth_time).toBe(first.claims.auth_time);
    });

    it('oidcc-prompt-none-not-logged-in: login_required at the redirect URI, with state and iss', async () => {
      const request = await freshRequest({ prompt: 'none' });
      const landing = await oidc.walk(
        new Browser(),
        client.buildAuthorizationUrl(config, { redirect_uri: 'http://127.0.0.1:9/callback', ...request.params }).href,
      );
      expect(landing.callback?.searchParams.get('error')).toBe('login_required');
      expect(landing.callback?.searchParams.get('state')).toBe(request.state);
      expect(landing.callback?.searchParams.get('iss')).toBe(oidc.issuer);
    });

    it('oidcc-prompt-none-logged-in and oidcc-id-token-hint: a logged-in person gets a code without any page', async () => {
      const browser = new Browser();
      const person = await oidc.world.person('Silent');
      const first = await loginAndExchange(browser, person);
      const silent = await loginAndExchange(browser, undefined, { prompt: 'none', id_token_hint: first.tokens.id_token ?? '' });
      expect(silent.visited.some((path) => path.startsWith('/interaction') || path === '/login')).toBe(false);
      expect(silent.claims.sub).toBe(first.claims.sub);
    });

    it('single sign-on ends with the weunion session: after logging out of weunion, prompt=none answers login_required', async () => {
      const browser = new Browser();
      const person = await oidc.world.person('Leaver');
      await loginAndExchange(browser, person);
      const logout = await browser.fetch(`${oidc.issuer}/api/session/logout`, { method: 'POST' });
      expect(logout.status).toBeLessThan(300);
      const request = await freshRequest({ prompt: 'none' });
      const landing = await oidc.walk(
        browser,
        client.buildAuthorizationUrl(config, { redirect_uri: 'http://127.0.0.1:9/callback', ...request.params }).href,
      );
      expect(landing.callback?.searchParams.get('error')).toBe('login_required');
    });

    it('oidcc-ensure-request-with-acr-values-succeeds: acr is wechat when asked, also among values weunion does not know', async () => {
      const browser = new Browser();
      const person = await oidc.world.person('Acr');
      const asked = await loginAndExchange(browser, person, { acr_values: 'urn:other wechat' });
      expect(asked.claims.acr).toBe('wechat');
      const unknown = await loginAndExchange(browser, undefined, { acr_values: 'urn:mace:incommon:iap:silver' });
      expect(unknown.claims.acr).toBe('wechat');
    });

    it('oidcc-login-hint and oidcc-ui-locales: the hint and the language reach the hosted login page', async () => {
      const request = await freshRequest({ login_hint: 'alice@example.com', ui_locales: 'zh-CN en' });
      const landing = await oidc.walk(
        new Browser(),
        client.buildAuthorizationUrl(config, { redirect_uri: 'http://127.0.0.1:9/callback', ...request.params }).href,
        {
          stopAtLogin: true,
        },
      );
      expect(new URL(landing.url).pathname).toBe('/login');
      expect(landing.body).toContain('<html lang="zh-CN">');
      expect(landing.body).toContain('alice@example.com');
      const english = await freshRequest({ ui_locales: 'en' });
      const page = await oidc.walk(
        new Browser(),
        client.buildAuthorizationUrl(config, { redirect_uri: 'http://127.0.0.1:9/callback', ...english.params }).href,
        {
          stopAtLogin: true,
        },
      );
      expect(page.body).toContain('<html lang="en">');
    });
  });
}

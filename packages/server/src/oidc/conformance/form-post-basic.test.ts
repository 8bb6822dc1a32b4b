/**
 * Form Post OP plan (`response_mode=form_post`): the authorization response — a code, or an error
 * like `access_denied`/`login_required` — arrives as a self-posting form to the redirect URI with
 * `state` and `iss`, the code redeems with openid-client from the posted body, and the page loads
 * nothing from anywhere. Through the real hosted login (S2 on the sandbox).
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, formPostFields, freshRequest, OidcWorld, REDIRECT, type RegisteredApp, storageModes } from './harness.ts';

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`OIDC Form Post OP (${mode.name})`, () => {
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

    async function formPost(browser: Browser, extra: Record<string, string>, person?: string) {
      const request = await freshRequest({ response_mode: 'form_post', ...extra });
      const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, ...request.params }).href;
      const landing = await oidc.walk(browser, url, person === undefined ? {} : { person });
      // 200 for a code, 400 for an error: either way the page posts itself to the application.
      expect([200, 400]).toContain(landing.response?.status);
      const body = landing.body ?? '';
      // Nothing but the form and its own script: no address but the application's and the issuer (iss).
      const addresses = body.match(/https?:\/\/[^"'\s<]+/g) ?? [];
      expect(addresses.every((address) => address.startsWith(REDIRECT) || address === oidc.issuer)).toBe(true);
      return { request, ...formPostFields(body) };
    }

    it('oidcc-server (form_post): code, state and iss are posted to the redirect URI; the code redeems', async () => {
      const { request, action, fields } = await formPost(new Browser(), { scope: 'openid profile' }, await oidc.world.person('Poster'));
      expect(action).toBe(REDIRECT);
      expect(fields.state).toBe(request.state);
      expect(fields.iss).toBe(oidc.issuer);
      expect(fields.code).toBeDefined();
      const posted = new Request(REDIRECT, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields),
      });
      const tokens = await client.authorizationCodeGrant(config, posted, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
      });
      expect(tokens.claims()?.amr).toEqual(['s2', 'wechat']);
    });

    it('oidcc-prompt-none-not-logged-in (form_post): login_required is posted, with state', async () => {
      const { request, fields } = await formPost(new Browser(), { prompt: 'none' });
      expect(fields.error).toBe('login_required');
      expect(fields.state).toBe(request.state);
      expect(fields.code).toBeUndefined();
    });

    it('a cancelled login (form_post): access_denied is posted, with state and iss', async () => {
      const browser = new Browser();
      const request = await freshRequest({ response_mode: 'form_post' });
      const page = await oidc.walk(browser, client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, ...request.params }).href, {
        stopAtLogin: true,
      });
      const cancel = /href="(\/interaction\/[^"]+\/abort\?reason=cancelled)"/.exec(page.body ?? '')?.[1] ?? '';
      const landing = await oidc.walk(browser, `${oidc.issuer}${cancel}`);
      const { fields } = formPostFields(landing.body ?? '');
      expect(fields).toMatchObject({ error: 'access_denied', state: request.state, iss: oidc.issuer });
    });
  });
}

/**
 * An application's own identity policy: logins started for it apply it over the connection's,
 * and the provider accepts for it only a session made under that policy.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../identity/policy.ts';
import { Browser, LoginWorld, storageModes } from '../login/test-harness.ts';
import { applicationInputSchema, createApplication } from './applications.ts';
import { oidcDb } from './tables.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`per-application identity policy: ${mode.name}`, () => {
    let world: LoginWorld;
    let config: client.Configuration;
    beforeAll(async () => {
      world = await LoginWorld.start(mode);
      const { clientSecret } = await createApplication(
        oidcDb(world.database.db),
        world.first.app.ctx.secrets,
        applicationInputSchema.parse({
          id: 'members-only',
          name: 'Members',
          type: 'web',
          redirectUris: [REDIRECT],
          scenarios: ['s2'],
          policy: { registration: 'deny' },
        }),
      );
      config = await client.discovery(new URL(world.first.url), 'members-only', clientSecret ?? '', undefined, {
        execute: [client.allowInsecureRequests],
      });
    });
    afterAll(async () => {
      await world?.close();
    });

    /** An S2 login in `browser`, started for `clientId` (or for no application); where it ends. */
    async function s2(browser: Browser, person: string, clientId?: string): Promise<URL> {
      const query = new URLSearchParams({ returnTo: '/api/session' });
      if (clientId !== undefined) query.set('client', clientId);
      const start = await browser.fetch(`${world.first.url}/login/s2?${query}`);
      const qrconnect = start.headers.get('location') ?? '';
      const callback = await world.approve(person, qrconnect);
      const landed = await browser.navigate(callback ?? '');
      return new URL(landed.url);
    }

    /** Starts an authorization for members-only in `browser`; the first page that is not a redirect. */
    async function authorize(browser: Browser): Promise<URL> {
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      let current = url.href;
      for (let hop = 0; hop < 8; hop++) {
        if (current.startsWith(REDIRECT)) return new URL(current);
        const response = await browser.fetch(current);
        const next = response.headers.get('location');
        await response.body?.cancel();
        if (next === null) return new URL(current);
        current = new URL(next, current).href;
      }
      throw new Error('too many redirects');
    }

    it('a new person logging in for an app that closes registration is refused, and no account is made', async () => {
      const before = await world.userCount();
      const ended = await s2(new Browser(), await world.person('Newcomer'), 'members-only');
      expect(ended.pathname).toBe('/login/error');
      expect(ended.searchParams.get('reason')).toBe('registration_closed');
      expect(await world.userCount()).toBe(before);
    });

    it('a session made without the app (under the connection’s policy) is not accepted by it', async () => {
      const browser = new Browser();
      const ended = await s2(browser, await world.person('Walk-in'));
      expect(ended.pathname).toBe('/api/session');
      const stop = await authorize(browser);
      expect(stop.pathname).toBe('/login');
      expect(stop.searchParams.get('client')).toBe('members-only');
    });

    it('an existing member logs in for the app, and the provider accepts that session', async () => {
      const member = await world.person('Member');
      await s2(new Browser(), member); // the account exists (made under the connection's policy)
      const browser = new Browser();
      const ended = await s2(browser, member, 'members-only');
      expect(ended.pathname).toBe('/api/session');
      const stop = await authorize(browser);
      expect(stop.href.startsWith(REDIRECT)).toBe(true);
      expect(stop.searchParams.get('code')).toEqual(expect.any(String));
    });

    it('the application governs in the other direction too: registration open for it while the connection closes it', async () => {
      await createApplication(
        oidcDb(world.database.db),
        world.first.app.ctx.secrets,
        applicationInputSchema.parse({
          id: 'open-doors',
          name: 'Open doors',
          type: 'web',
          redirectUris: [REDIRECT],
          scenarios: ['s2'],
          policy: { registration: 'allow' },
        }),
      );
      await world.configure('demo-website', { policy: { ...DEFAULT_POLICY, registration: 'deny' } });
      try {
        const before = await world.userCount();
        const walkIn = await s2(new Browser(), await world.person('Walk-in'));
        expect(walkIn.searchParams.get('reason')).toBe('registration_closed');
        expect(await world.userCount()).toBe(before);
        const forApp = await s2(new Browser(), await world.person('Invited'), 'open-doors');
        expect(forApp.pathname).toBe('/api/session');
        expect(await world.userCount()).toBe(before + 1);
        // The application's override says nothing about binding: the connection's rule stays.
        await world.configure('demo-website', { policy: { ...DEFAULT_POLICY, registration: 'deny', queryBinding: 'require' } });
        const asked = await s2(new Browser(), await world.person('Asked'), 'open-doors');
        expect(asked.pathname).toBe('/login/bind');
      } finally {
        await world.configure('demo-website', { policy: DEFAULT_POLICY });
      }
    });

    it('a login for an app that does not offer the scenario, or for an unknown app, is refused before WeChat', async () => {
      await createApplication(
        oidcDb(world.database.db),
        world.first.app.ctx.secrets,
        applicationInputSchema.parse({ id: 'qr-only', name: 'QR only', type: 'spa', redirectUris: [REDIRECT], scenarios: ['s1'] }),
      );
      const wrongScenario = await new Browser().fetch(`${world.first.url}/login/s2?client=qr-only`);
      expect(new URL(wrongScenario.headers.get('location') ?? '', world.first.url).pathname).toBe('/login/error');
      const unknown = await new Browser().fetch(`${world.first.url}/login/s2?client=nobody-here`);
      expect(new URL(unknown.headers.get('location') ?? '', world.first.url).pathname).toBe('/login/error');
      const s1 = await new Browser().json('POST', `${world.first.url}/api/login/s1`, { client: 'nobody-here' });
      expect(s1.status).toBe(400);
    });
  });
}

/**
 * The SPA redirect login against weunion's OIDC provider (a `spa` application: public, PKCE): the
 * SDK builds the authorization URL, the (cookie-keeping) browser walks through `/auth` with a
 * weunion session, `handleRedirectCallback` exchanges the code, and the ID token verifies against
 * the JWKS. Callbacks that are not this browser's, and the provider's own refusals, are errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../sdk-node/src/index.ts';
import { Browser, LoginWorld, loginWithS2, storageModes } from '../../server/src/login/test-harness.ts';
import { applicationInputSchema, createApplication } from '../../server/src/oidc/applications.ts';
import { oidcDb } from '../../server/src/oidc/tables.ts';
import { createWeunion, WeunionError } from '../src/index.ts';
import { browserFetch, MemoryStorage } from './shims.ts';

const REDIRECT = 'http://127.0.0.1:9/spa/callback';
const AFTER_LOGOUT = 'http://127.0.0.1:9/spa/bye';
const CLIENT_ID = 'shop-spa';
const embedded = storageModes.find((m) => m.name === 'embedded');

/** Follows the provider's redirects until the browser would load the SPA's redirect URI. */
async function walkToRedirectUri(browser: Browser, start: string): Promise<string> {
  let url = start;
  for (let hop = 0; hop < 8 && !url.startsWith(REDIRECT); hop++) {
    const response = await browser.fetch(url);
    const location = response.headers.get('location');
    if (location === null) throw new Error(`stuck at ${url} (${response.status}): ${(await response.text()).slice(0, 200)}`);
    url = new URL(location, url).href;
  }
  return url;
}

describe.skipIf(embedded === undefined || embedded.skip)('sdk-browser OIDC redirect login (spa application)', () => {
  let world: LoginWorld;
  let issuer: string;
  beforeAll(async () => {
    if (embedded === undefined) throw new Error('no embedded storage');
    world = await LoginWorld.start(embedded);
    issuer = world.first.url;
    await createApplication(
      oidcDb(world.database.db),
      world.first.app.ctx.secrets,
      applicationInputSchema.parse({
        id: CLIENT_ID,
        name: 'Shop SPA',
        type: 'spa',
        redirectUris: [REDIRECT],
        postLogoutRedirectUris: [AFTER_LOGOUT],
      }),
    );
  });
  afterAll(async () => {
    await world?.close();
  });

  it('loginWithRedirect → /auth with a weunion session → handleRedirectCallback gets tokens whose ID token verifies', async () => {
    const browser = new Browser();
    const storage = new MemoryStorage();
    const weunion = createWeunion({ baseUrl: issuer, fetch: browserFetch(browser), storage });
    await loginWithS2(world, world.first, browser, await world.person('Quinn'));
    const signedIn = await weunion.session();

    let navigatedTo = '';
    const url = await weunion.loginWithRedirect({
      clientId: CLIENT_ID,
      redirectUri: REDIRECT,
      scope: 'openid profile',
      appState: { returnTo: '/cart' },
      navigate: (target) => {
        navigatedTo = target;
      },
    });
    expect(navigatedTo).toBe(url);
    const params = new URL(url).searchParams;
    expect(url.startsWith(`${issuer}/auth?`)).toBe(true);
    expect(Object.fromEntries(params)).toMatchObject({ client_id: CLIENT_ID, response_type: 'code', code_challenge_method: 'S256' });
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(storage.items.size).toBe(1);

    const callback = await walkToRedirectUri(browser, url);
    const result = await weunion.handleRedirectCallback(callback);
    expect(result.appState).toEqual({ returnTo: '/cart' });
    expect(result.tokens).toMatchObject({ tokenType: 'Bearer', accessToken: expect.any(String), idToken: expect.any(String) });
    expect(result.claims).toMatchObject({ iss: issuer, aud: CLIENT_ID, sub: signedIn?.sub });
    expect(storage.items.size).toBe(0);

    const verified = await createTokenVerifier({ issuer, audience: CLIENT_ID }).verifyIdToken(result.tokens.idToken ?? '', {
      nonce: result.claims?.nonce ?? '',
    });
    expect(verified.sub).toBe(signedIn?.sub);

    // The same callback again (a reload, or someone replaying it) is refused: the state was used.
    const replay = await weunion.handleRedirectCallback(callback).catch((e: unknown) => e);
    expect(replay).toBeInstanceOf(WeunionError);
    expect(replay).toMatchObject({ code: 'state_mismatch' });

    // RP-initiated logout with the ID token as hint, back to a registered URI.
    const logout = weunion.logoutUrl({ idTokenHint: result.tokens.idToken ?? '', postLogoutRedirectUri: AFTER_LOGOUT, state: 'bye' });
    expect(logout.startsWith(`${issuer}/session/end?`)).toBe(true);
    const endSession = await browser.fetch(logout);
    expect(endSession.status).toBe(200);
    expect(await endSession.text()).toContain('logout');
  });

  it('a callback with a state this browser never stored is refused before any token request', async () => {
    const weunion = createWeunion({ baseUrl: issuer, fetch: browserFetch(new Browser()), storage: new MemoryStorage() });
    const forged = await weunion.handleRedirectCallback(`${REDIRECT}?code=abc&state=forged`).catch((e: unknown) => e);
    expect(forged).toMatchObject({ code: 'state_mismatch' });
  });

  it('the provider’s refusal comes back as a WeunionError with the protocol’s code (prompt=none without a session)', async () => {
    const browser = new Browser();
    const weunion = createWeunion({ baseUrl: issuer, fetch: browserFetch(browser), storage: new MemoryStorage() });
    const url = await weunion.loginWithRedirect({ clientId: CLIENT_ID, redirectUri: REDIRECT, prompt: 'none', navigate: () => {} });
    const callback = await walkToRedirectUri(browser, url);
    const refused = await weunion.handleRedirectCallback(callback).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WeunionError);
    expect(refused).toMatchObject({ code: 'login_required' });
  });
});

/**
 * The verifier against real weunion tokens over real HTTP: S6 (mobile app) and S5 (mini program)
 * app logins through the sandbox, and an OIDC login of a web application; refusals of a wrong
 * audience, an expired token, another key's signature; and verification that keeps working across
 * a signing-key rotation.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Browser, demo, LoginWorld, loginWithS2, storageModes } from '../../server/src/login/test-harness.ts';
import { applicationInputSchema, createApplication } from '../../server/src/oidc/applications.ts';
import { oidcDb } from '../../server/src/oidc/tables.ts';
import { SigningKeys } from '../../server/src/signing/signing-keys.ts';
import { WeunionTokenError } from './errors.ts';
import { createTokenVerifier } from './token-verifier.ts';

const MOBILE_APP = { connection: 'demo-mobile-app', appid: demo('mobileApp').appid };
const MINI_PROGRAM = { connection: 'demo-mini-program', appid: demo('miniProgram').appid };
const REDIRECT = 'http://127.0.0.1:9/callback';
const tokensSchema = z.object({ access_token: z.string(), id_token: z.string(), refresh_token: z.string() });
const embedded = storageModes.find((m) => m.name === 'embedded');

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof WeunionTokenError)) throw new Error(`expected a WeunionTokenError, got ${String(error)}`);
  return error.code;
}

describe.skipIf(embedded === undefined || embedded.skip)('createTokenVerifier against a running weunion', () => {
  let world: LoginWorld;
  let issuer: string;

  beforeAll(async () => {
    if (embedded === undefined) throw new Error('no embedded storage');
    world = await LoginWorld.start(embedded);
    issuer = world.first.url;
  });
  afterAll(async () => {
    await world?.close();
  });

  /** S6: the person signs in to the mobile app with WeChat; the tokens the app gets. */
  async function mobileAppLogin(person: string) {
    const { code } = z
      .object({ code: z.string() })
      .parse(await world.sandbox('POST', '/actions/app-login', { personId: person, appid: MOBILE_APP.appid, state: 'st' }));
    const response = await fetch(`${issuer}/api/app/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appid: MOBILE_APP.appid, code, state: 'st' }),
    });
    const answer = z.object({ userId: z.string(), tokens: tokensSchema }).parse(await response.json());
    return answer;
  }

  it('accepts the ID and access tokens of an S6 mobile app login, with typed claims', async () => {
    const person = await world.person('Ivy');
    const { userId, tokens } = await mobileAppLogin(person);
    const verifier = createTokenVerifier({ issuer, audience: MOBILE_APP.connection });

    const id = await verifier.verifyIdToken(tokens.id_token);
    expect(id).toMatchObject({ iss: issuer, sub: userId, amr: ['s6'], nickname: 'Ivy' });
    expect(id.wechat_identities?.[0]?.appid).toBe(MOBILE_APP.appid);

    const access = await verifier.verifyAccessToken(tokens.access_token, { requiredScopes: ['openid'] });
    expect(access).toMatchObject({ sub: userId, client_id: MOBILE_APP.connection });
    expect(access.scopes).toContain('offline_access');
    expect(await refusal(verifier.verifyAccessToken(tokens.access_token, { requiredScopes: ['admin'] }))).toBe('insufficient_scope');
  });

  it('accepts the tokens of an S5 mini program login for the mini program’s connection', async () => {
    const person = await world.person('Jun');
    const jsLogin = async () =>
      z.string().parse((await world.sandbox('POST', '/actions/js-login', { personId: person, appid: MINI_PROGRAM.appid })).code);
    const phoneCode = z
      .string()
      .parse((await world.sandbox('POST', '/actions/phone-code', { personId: person, appid: MINI_PROGRAM.appid })).code);
    const response = await fetch(`${issuer}/api/mp/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appid: MINI_PROGRAM.appid, code: await jsLogin(), phoneCode }),
    });
    const { tokens, userId } = z.object({ userId: z.string(), tokens: tokensSchema }).parse(await response.json());
    const verifier = createTokenVerifier({ issuer, audience: [MINI_PROGRAM.connection, MOBILE_APP.connection] });
    expect(await verifier.verifyIdToken(tokens.id_token)).toMatchObject({ sub: userId, amr: ['s5'], phone_number_verified: true });
    expect(await verifier.verifyAccessToken(tokens.access_token)).toMatchObject({ sub: userId, client_id: MINI_PROGRAM.connection });
  });

  it('accepts an ID token from the OIDC provider (authorization code + PKCE)', async () => {
    const created = await createApplication(
      oidcDb(world.database.db),
      world.first.app.ctx.secrets,
      applicationInputSchema.parse({ id: 'verifier-web', name: 'Verifier', type: 'web', redirectUris: [REDIRECT] }),
    );
    const config = await client.discovery(new URL(issuer), 'verifier-web', created.clientSecret ?? '', undefined, {
      execute: [client.allowInsecureRequests],
    });
    const browser = new Browser();
    const person = await world.person('Kai');
    await loginWithS2(world, world.first, browser, person);
    const verifierCode = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    let url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid profile wechat',
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifierCode),
      code_challenge_method: 'S256',
    }).href;
    for (let hop = 0; hop < 8 && !url.startsWith(REDIRECT); hop++) {
      const next = (await browser.fetch(url)).headers.get('location');
      if (next === null) throw new Error(`stuck at ${url}`);
      url = new URL(next, url).href;
    }
    const tokens = await client.authorizationCodeGrant(config, new URL(url), {
      pkceCodeVerifier: verifierCode,
      expectedState: state,
      expectedNonce: nonce,
    });
    const idToken = tokens.id_token ?? '';

    const verifier = createTokenVerifier({ issuer, audience: 'verifier-web' });
    const claims = await verifier.verifyIdToken(idToken, { nonce });
    expect(claims).toMatchObject({ iss: issuer, aud: 'verifier-web', nonce });
    expect(claims.sub).toMatch(/^usr/);
    expect(await refusal(verifier.verifyIdToken(idToken, { nonce: 'another' }))).toBe('claims_invalid');
    // An ID token is not an access token (no at+jwt type), whatever its audience.
    expect(await refusal(verifier.verifyAccessToken(idToken))).toBe('claims_invalid');
  });

  it('refuses a wrong audience, a wrong issuer, an access token used as an ID token, and garbage', async () => {
    const { tokens } = await mobileAppLogin(await world.person());
    const forWeb = createTokenVerifier({ issuer, audience: 'shop-web' });
    expect(await refusal(forWeb.verifyIdToken(tokens.id_token))).toBe('audience_mismatch');
    expect(await refusal(forWeb.verifyAccessToken(tokens.access_token))).toBe('audience_mismatch');
    const verifier = createTokenVerifier({ issuer, audience: MOBILE_APP.connection });
    expect(await refusal(verifier.verifyIdToken(tokens.access_token))).toBe('token_invalid');
    expect(await refusal(verifier.verifyAccessToken('not.a.jwt'))).toBe('token_invalid');
    const otherIssuer = createTokenVerifier({ issuer: 'https://id.other.test', jwksUri: `${issuer}/jwks` });
    expect(await refusal(otherIssuer.verifyIdToken(tokens.id_token))).toBe('issuer_mismatch');
  });

  it('refuses an expired token signed with weunion’s own key', async () => {
    const { kid, alg, privateKey } = await world.first.app.signingKeys.current();
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ client_id: MOBILE_APP.connection, scope: 'openid', jti: 'j1' })
      .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setSubject('usr_expired')
      .setAudience(MOBILE_APP.connection)
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(privateKey);
    const verifier = createTokenVerifier({ issuer, audience: MOBILE_APP.connection });
    expect(await refusal(verifier.verifyAccessToken(expired))).toBe('token_expired');
  });

  it('refuses a token signed by another key, even one that claims weunion’s kid', async () => {
    const { kid } = await world.first.app.signingKeys.current();
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    expect((await exportJWK(publicKey)).kty).toBe('EC');
    const forge = (headerKid: string) =>
      new SignJWT({ amr: ['s6'] })
        .setProtectedHeader({ alg: 'ES256', kid: headerKid, typ: 'JWT' })
        .setIssuer(issuer)
        .setSubject('usr_forged')
        .setAudience(MOBILE_APP.connection)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
    const verifier = createTokenVerifier({ issuer, audience: MOBILE_APP.connection });
    expect(await refusal(verifier.verifyIdToken(await forge(kid)))).toBe('signature_invalid');
    expect(await refusal(verifier.verifyIdToken(await forge('unknown-kid')))).toBe('signature_invalid');
  });

  it('keeps verifying across a key rotation: old tokens still verify, new ones (new kid) are fetched on sight', async () => {
    // weunion publishes a rotated key a day before it signs; this test rotates with no delay, so
    // the verifier meets the new kid right after its first fetch — its refetch cooldown is shortened.
    const verifier = createTokenVerifier({ issuer, audience: MOBILE_APP.connection, jwksCooldownMs: 200 });
    const person = await world.person();
    const before = await mobileAppLogin(person);
    const oldKid = (await world.first.app.signingKeys.current()).kid;
    await verifier.verifyAccessToken(before.tokens.access_token);

    const rotated = await new SigningKeys(world.database, world.first.app.ctx.secrets, { publishDelayMs: 0 }).rotate();
    await world.first.app.signingKeys.list(); // the instance reloads its key set (it would within a minute anyway)
    await new Promise((resolve) => setTimeout(resolve, 300));

    const after = await mobileAppLogin(person);
    const header = z
      .object({ kid: z.string() })
      .parse(JSON.parse(Buffer.from(after.tokens.access_token.split('.')[0] ?? '', 'base64url').toString()));
    expect(header.kid).toBe(rotated.kid);
    expect(rotated.kid).not.toBe(oldKid);
    expect(await verifier.verifyAccessToken(after.tokens.access_token)).toMatchObject({ sub: after.userId });
    expect(await verifier.verifyIdToken(after.tokens.id_token)).toMatchObject({ sub: after.userId });
    expect(await verifier.verifyAccessToken(before.tokens.access_token)).toMatchObject({ sub: before.userId });
  });
});

import { createPrivateKey } from 'node:crypto';
import { decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { signJwt } from './compact-jwt.ts';

describe('signJwt', () => {
  for (const alg of ['ES256', 'RS256'] as const) {
    it(`${alg}: jose verifies it with the public key, header and claims as given`, async () => {
      const pair = await generateKeyPair(alg, { extractable: true });
      // As signing-keys.ts holds it: made from the private JWK.
      const privateKey = createPrivateKey({ key: await exportJWK(pair.privateKey), format: 'jwk' });
      const claims = {
        iss: 'https://id.example',
        sub: 'usr_1',
        aud: 'app',
        iat: 1_000,
        exp: 4_000_000_000,
        scope: 'openid 中文',
        amr: ['wechat'],
      };
      const token = signJwt({ alg, kid: 'k1', typ: 'at+jwt' }, claims, privateKey);
      expect(decodeProtectedHeader(token)).toEqual({ alg, kid: 'k1', typ: 'at+jwt' });
      const { payload } = await jwtVerify(token, pair.publicKey, { issuer: 'https://id.example', audience: 'app', typ: 'at+jwt' });
      expect(payload).toEqual(claims);
    });
  }

  it('a changed payload no longer verifies', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const privateKey = createPrivateKey({ key: await exportJWK(pair.privateKey), format: 'jwk' });
    const token = signJwt({ alg: 'ES256', kid: 'k1', typ: 'JWT' }, { sub: 'usr_1' }, privateKey);
    const [header, , signature] = token.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ sub: 'usr_2' })).toString('base64url')}.${signature}`;
    await expect(jwtVerify(forged, pair.publicKey)).rejects.toThrow();
  });

  it('refuses a key of the other kind instead of signing something no verifier accepts', async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    const privateKey = createPrivateKey({ key: await exportJWK(pair.privateKey), format: 'jwk' });
    expect(() => signJwt({ alg: 'ES256', kid: 'k1', typ: 'JWT' }, { sub: 'usr_1' }, privateKey)).toThrow(/cannot sign ES256/);
  });
});

/**
 * JWTs signed in this thread with node:crypto. jose's `SignJWT` signs through WebCrypto, whose
 * every signature is a job on the thread pool and a promise back; `crypto.sign` with a KeyObject
 * makes the same compact JWS for half the CPU of an ES256 token. The app logins (S5–S7) sign two
 * tokens each. Verification stays with jose (any JWS library reads these).
 */
import { type KeyObject, sign } from 'node:crypto';
import type { SigningAlgorithm } from './signing-keys.ts';

export interface JwtHeader {
  alg: SigningAlgorithm;
  kid: string;
  typ: string;
}

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * `header.payload.signature`, signed with the private `key` (signing-keys.ts `current().privateKey`) as
 * `header.alg` says (ES256: P-256 + SHA-256, IEEE P1363 signature; RS256: RSASSA-PKCS1-v1_5 + SHA-256).
 */
export function signJwt(header: JwtHeader, payload: Record<string, unknown>, key: KeyObject): string {
  const keyType = header.alg === 'ES256' ? 'ec' : 'rsa';
  if (key.asymmetricKeyType !== keyType) throw new TypeError(`a ${key.asymmetricKeyType} key cannot sign ${header.alg}`);
  const input = `${part(header)}.${part(payload)}`;
  const signature = sign('sha256', Buffer.from(input), header.alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${signature.toString('base64url')}`;
}

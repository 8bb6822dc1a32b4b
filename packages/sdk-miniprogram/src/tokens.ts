/**
 * Tokens as weunion answers them and as the SDK keeps them in `wx` storage. The ID token's claims
 * are read (not verified: the mini program shows them; the app's backend verifies tokens against
 * weunion's JWKS) with a base64url and UTF-8 decoder of its own, as `atob`/`TextDecoder` are not
 * available on every WeChat base library.
 */
import { type Fields, isObject, number, object, optionalString, string } from './answers.ts';
import { WeunionError } from './errors.ts';

export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  idToken: string;
  /** When the access token expires, ms since the epoch (by the SDK's clock when it was received). */
  expiresAt: number;
  scope: string;
}

/** The ID token's claims: `sub` is the weunion user id; profile and phone claims as the scope allows. */
export interface IdClaims extends Fields {
  sub: string;
  name?: string;
  picture?: string;
  phone_number?: string;
  phone_number_verified?: boolean;
}

export function parseTokenResponse(value: unknown, now: number): TokenSet {
  const fields = object(value, 'token answer');
  const tokenType = string(fields, 'token_type', 'token answer');
  if (tokenType !== 'Bearer') throw new WeunionError('invalid_response', `weunion answered token_type ${tokenType}`);
  return {
    accessToken: string(fields, 'access_token', 'token answer'),
    refreshToken: string(fields, 'refresh_token', 'token answer'),
    idToken: string(fields, 'id_token', 'token answer'),
    expiresAt: now + number(fields, 'expires_in', 'token answer') * 1000,
    scope: optionalString(fields, 'scope', 'token answer') ?? '',
  };
}

/** A stored token set, or null when what is stored is not one (nothing, or another version's shape). */
export function readStoredTokens(value: unknown): TokenSet | null {
  if (!isObject(value)) return null;
  const { accessToken, refreshToken, idToken, expiresAt, scope } = value;
  if (typeof accessToken !== 'string' || typeof refreshToken !== 'string' || typeof idToken !== 'string') return null;
  if (typeof expiresAt !== 'number' || typeof scope !== 'string') return null;
  return { accessToken, refreshToken, idToken, expiresAt, scope };
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function base64UrlBytes(text: string): number[] {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text.replace(/=+$/, '')) {
    const value = BASE64URL.indexOf(char);
    if (value < 0) throw new WeunionError('invalid_response', 'weunion answered an ID token that is not base64url');
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return bytes;
}

function utf8(bytes: number[]): string {
  try {
    return decodeURIComponent(bytes.map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join(''));
  } catch {
    throw new WeunionError('invalid_response', 'weunion answered an ID token that is not UTF-8');
  }
}

/** The claims of an ID token (payload only; no signature check, see above). */
export function idTokenClaims(idToken: string): IdClaims {
  const payload = idToken.split('.')[1];
  if (payload === undefined) throw new WeunionError('invalid_response', 'weunion answered an ID token that is not a JWT');
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8(base64UrlBytes(payload)));
  } catch (error) {
    if (error instanceof WeunionError) throw error;
    throw new WeunionError('invalid_response', 'weunion answered an ID token whose payload is not JSON');
  }
  const claims = object(parsed, 'ID token');
  return { ...claims, sub: string(claims, 'sub', 'ID token') };
}

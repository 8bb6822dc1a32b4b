/**
 * Identifiers of the virtual world, shaped like WeChat's own.
 *
 * OpenIDs and UnionIDs are derived, not stored: HMAC of (appid, person) and (Open Platform
 * account, person). So the same person keeps the same openid in an app across resets and
 * sandbox instances, and weunion can seed matching accounts without asking the sandbox.
 * Real openids are `o` + 27 characters and share a prefix per official account; so do these.
 */
import { createHmac, randomBytes, randomInt } from 'node:crypto';

const DERIVATION_KEY = 'weunion-sandbox-identities';
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function derive(...parts: string[]): string {
  return createHmac('sha256', DERIVATION_KEY).update(parts.join('\u0000')).digest('base64url');
}

/** The person's openid in one app: stable, different in every app. */
export function deriveOpenid(appid: string, personId: string): string {
  return `o${derive('app-prefix', appid).slice(0, 5)}${derive('openid', appid, personId).slice(0, 22)}`;
}

/** A snapshot-page ("朋友圈快照页") user's openid: a stand-in that matches no real follower. */
export function deriveSnapshotOpenid(appid: string, personId: string): string {
  return `o${derive('app-prefix', appid).slice(0, 5)}${derive('snapshot-openid', appid, personId).slice(0, 22)}`;
}

/** The person's unionid under one Open Platform account. */
export function deriveUnionid(openPlatformId: string, personId: string): string {
  return `o${derive('op-prefix', openPlatformId).slice(0, 5)}${derive('unionid', openPlatformId, personId).slice(0, 22)}`;
}

export function deriveSnapshotUnionid(openPlatformId: string, personId: string): string {
  return `o${derive('op-prefix', openPlatformId).slice(0, 5)}${derive('snapshot-unionid', openPlatformId, personId).slice(0, 22)}`;
}

export function randomAlphanumeric(length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return text;
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** Access tokens and refresh tokens: long opaque strings like WeChat's (~130 characters). */
export function newOpaqueToken(): string {
  return randomBytes(96).toString('base64url');
}

/** The request id WeChat appends to every errmsg: `rid: 6566ff5f-1a2b3c4d-5e6f7a8b`. */
export function newRid(): string {
  return `${randomHex(4)}-${randomHex(4)}-${randomHex(4)}`;
}

export function newAppid(): string {
  return `wx${randomHex(8)}`;
}

/** A mini program session_key: 16 random bytes, base64 (24 characters). */
export function newSessionKey(): string {
  return randomBytes(16).toString('base64');
}

/** An EncodingAESKey: 43 characters of base64 (32 bytes once '=' is appended). */
export function newEncodingAesKey(): string {
  return randomBytes(32).toString('base64').slice(0, 43);
}

/** Parametric QR tickets contain '+', '/' and '=', so clients must URL-encode them as WeChat's do. */
export function newQrTicket(): string {
  return `gQ${randomBytes(60).toString('base64')}`;
}

/**
 * TOTP for admin accounts: RFC 6238 with the parameters every authenticator app supports
 * (HMAC-SHA-1, 6 digits, 30-second steps), accepting the step before and after the current one
 * for clock drift. A code works once per account: the last accepted step is kept in shared state
 * and only ever moves forward (compare-and-set), so two instances cannot both accept one code and
 * a code seen over someone's shoulder is useless once its owner has used it.
 */
import type { SharedState } from '@weunion/state';
import { Secret, TOTP } from 'otpauth';

export const TOTP_PERIOD_SECONDS = 30;
const DIGITS = 6;
const WINDOW = 1;
const CODE = /^\d{6}$/;
/** Longer than any step a code can still match in (±1 step), so forgetting it cannot reopen one. */
const LAST_STEP_TTL_MS = 10 * TOTP_PERIOD_SECONDS * 1000;

const totp = (secret: string, label = 'admin', issuer = 'weunion') =>
  new TOTP({ issuer, label, algorithm: 'SHA1', digits: DIGITS, period: TOTP_PERIOD_SECONDS, secret: Secret.fromBase32(secret) });

/** A new random secret (160 bits, RFC 4226's recommendation), base32 as authenticator apps take it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The QR code library, loaded when an administrator first sets up a second factor (not at every start). */
const qrcode = async () => (await import('qrcode')).default;

/** The `otpauth://totp/…` URI an authenticator app scans. */
export function totpUri(secret: string, username: string, issuer = 'weunion'): string {
  return totp(secret, username, issuer).toString();
}

/** The URI as an SVG QR code (for the console) — no network, no external image service. */
export async function totpQrSvg(uri: string): Promise<string> {
  return (await qrcode()).toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** The URI as a QR code drawn with characters, for the CLI. */
export async function totpQrTerminal(uri: string): Promise<string> {
  return (await qrcode()).toString(uri, { type: 'terminal', small: true, errorCorrectionLevel: 'M' });
}

/** The code for `secret` at `timestamp` (tests and the sandbox-free CLI check). */
export function totpCode(secret: string, timestamp = Date.now()): string {
  return totp(secret).generate({ timestamp });
}

/** The time step `code` belongs to (within ±1 of now), or null when it matches none. */
export function matchTotpStep(secret: string, code: string, now = Date.now()): number | null {
  const token = code.replace(/\s/g, '');
  if (!CODE.test(token)) return null;
  const delta = totp(secret).validate({ token, timestamp: now, window: WINDOW });
  return delta === null ? null : Math.floor(now / 1000 / TOTP_PERIOD_SECONDS) + delta;
}

/**
 * Accepts `code` for `accountId` at most once: true when it matches a step later than the last
 * one accepted for this account (on any instance), which then becomes the last accepted step.
 */
export async function consumeTotpCode(
  state: SharedState,
  accountId: string,
  secret: string,
  code: string,
  now = Date.now(),
): Promise<boolean> {
  const step = matchTotpStep(secret, code, now);
  if (step === null) return false;
  const key = `admin-totp:last-step:${accountId}`;
  for (;;) {
    const last = await state.get(key);
    if (last !== null && Number(last) >= step) return false;
    if (await state.compareAndSet(key, last, String(step), LAST_STEP_TTL_MS)) return true;
    // Another instance accepted a code for this account in between; look again.
  }
}

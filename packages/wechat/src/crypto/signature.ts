/**
 * Signatures WeChat puts on pushes to the developer's server (the callback URL).
 *
 * Plain mode: `signature = sha1(sort([token, timestamp, nonce]).join(''))`.
 * Safe mode adds `msg_signature = sha1(sort([token, timestamp, nonce, Encrypt]).join(''))`.
 * The sort is a plain lexicographic sort of the strings, as in WeChat's samples.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

function sortedSha1(parts: readonly string[]): string {
  return createHash('sha1')
    .update([...parts].sort().join(''), 'utf8')
    .digest('hex');
}

/** The `signature` query parameter of a callback (URL check and every pushed message). */
export function callbackSignature(token: string, timestamp: string, nonce: string): string {
  return sortedSha1([token, timestamp, nonce]);
}

/** The `msg_signature` query parameter of a safe-mode callback, covering the `Encrypt` payload. */
export function messageSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return sortedSha1([token, timestamp, nonce, encrypt]);
}

/** Compares two strings in time independent of where they differ (length still leaks, which is public). */
export function timingSafeEqualString(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) return false;
  return timingSafeEqual(left, right);
}

export interface CallbackSignatureInput {
  token: string;
  timestamp: string;
  nonce: string;
  /** The `signature` query parameter as received. */
  signature: string;
}

/** Whether a callback's `signature` matches; WeChat sends it as lowercase hex. */
export function verifyCallbackSignature(input: CallbackSignatureInput): boolean {
  return timingSafeEqualString(callbackSignature(input.token, input.timestamp, input.nonce), input.signature.toLowerCase());
}

export interface MessageSignatureInput {
  token: string;
  timestamp: string;
  nonce: string;
  /** The `Encrypt` element of the safe-mode body. */
  encrypt: string;
  /** The `msg_signature` query parameter as received. */
  msgSignature: string;
}

/** Whether a safe-mode callback's `msg_signature` matches its `Encrypt` payload. */
export function verifyMessageSignature(input: MessageSignatureInput): boolean {
  return timingSafeEqualString(
    messageSignature(input.token, input.timestamp, input.nonce, input.encrypt),
    input.msgSignature.toLowerCase(),
  );
}

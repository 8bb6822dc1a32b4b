/**
 * Mini program session_key crypto ("开放数据校验与解密" and "wxa/checksession").
 *
 * Legacy `encryptedData` (old getPhoneNumber / getUserInfo): AES-128-CBC, key = base64(session_key),
 * iv = base64(iv), standard PKCS#7 (16-byte blocks, so Node's own padding is right here), JSON inside
 * with `watermark.appid` that must equal the mini program's appid.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '@weunion/errors';
import { z } from 'zod';

function decodeBytes(value: string, length: number, what: string): Buffer {
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length !== length) throw new AppError('wechat_decrypt_failed', `The ${what} must be ${length} bytes of base64`);
  return bytes;
}

export interface EncryptUserDataInput {
  /** base64 session_key from jscode2session. */
  sessionKey: string;
  /** Serialized as JSON. The sandbox adds the `watermark` itself. */
  data: unknown;
  /** 16 bytes; random by default. */
  iv?: Buffer;
}

/** Encrypts data the way WeChat hands it to a mini program (used by the sandbox and tests). */
export function encryptUserData(input: EncryptUserDataInput): { encryptedData: string; iv: string } {
  const key = decodeBytes(input.sessionKey, 16, 'session_key');
  const iv = input.iv ?? randomBytes(16);
  if (iv.length !== 16) throw new RangeError('iv must be 16 bytes');
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(JSON.stringify(input.data), 'utf8'), cipher.final()]);
  return { encryptedData: encrypted.toString('base64'), iv: iv.toString('base64') };
}

export interface DecryptUserDataInput {
  sessionKey: string;
  encryptedData: string;
  iv: string;
  /** The mini program's appid; the data's watermark must name it. */
  appid: string;
}

const watermarked = z.looseObject({ watermark: z.looseObject({ appid: z.string() }) });

/** Decrypts a mini program's `encryptedData` and checks its watermark; returns the JSON object. */
export function decryptUserData(input: DecryptUserDataInput): Record<string, unknown> {
  const key = decodeBytes(input.sessionKey, 16, 'session_key');
  const iv = decodeBytes(input.iv, 16, 'iv');
  let text: string;
  try {
    const decipher = createDecipheriv('aes-128-cbc', key, iv);
    text = Buffer.concat([decipher.update(Buffer.from(input.encryptedData, 'base64')), decipher.final()]).toString('utf8');
  } catch (error) {
    // A wrong or rotated session_key shows up here as bad padding.
    throw new AppError('wechat_decrypt_failed', 'The encrypted data could not be decrypted (stale session_key?)', { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AppError('wechat_decrypt_failed', 'The decrypted data is not JSON (stale session_key?)', { cause: error });
  }
  const parsed = watermarked.safeParse(json);
  if (!parsed.success) throw new AppError('wechat_decrypt_failed', 'The decrypted data has no watermark');
  if (parsed.data.watermark.appid !== input.appid) {
    throw new AppError('wechat_decrypt_failed', 'The decrypted data is watermarked for another appid');
  }
  return parsed.data;
}

/**
 * The `signature` of a request signed with the user's session_key (`sig_method=hmac_sha256`):
 * HMAC-SHA256 of the POST body (the empty string for `wxa/checksession`, which is a GET), keyed by
 * the session_key string exactly as jscode2session returned it (not base64-decoded).
 */
export function checkSessionSignature(sessionKey: string, body: string | Buffer = ''): string {
  return createHmac('sha256', sessionKey).update(body).digest('hex');
}

/**
 * The `signature` a mini program gets with `rawData` from wx.getUserInfo / getUserProfile
 * ("数据签名校验"): `sha1(rawData + session_key)`, lowercase hex. It proves the data came from WeChat
 * for this session; a rotated session_key no longer matches.
 */
export function rawDataSignature(rawData: string, sessionKey: string): string {
  return createHash('sha1')
    .update(rawData + sessionKey, 'utf8')
    .digest('hex');
}

/** Whether `signature` is `sha1(rawData + sessionKey)`, compared in constant time. */
export function verifyRawDataSignature(input: { rawData: string; sessionKey: string; signature: string }): boolean {
  const expected = Buffer.from(rawDataSignature(input.rawData, input.sessionKey), 'utf8');
  const given = Buffer.from(input.signature.toLowerCase(), 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

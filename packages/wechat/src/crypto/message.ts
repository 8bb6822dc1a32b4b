/**
 * Safe-mode message encryption ("消息加解密", WeChat's WXBizMsgCrypt samples).
 *
 * Quirks handled here:
 * - The key is base64(EncodingAESKey + '='): 43 chars → 32 bytes; the IV is the key's first 16 bytes.
 * - Padding is PKCS#7 to a multiple of 32 bytes (not AES's 16), pad byte 1..32, so Node's automatic
 *   padding must be off and we pad/unpad ourselves.
 * - Plaintext = 16 random bytes ‖ uint32 big-endian byte length of msg ‖ msg ‖ appid; the appid at
 *   the end must equal the configured one, or the message was meant for another app.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '@weunion/errors';

const BLOCK = 32;
const RANDOM_LENGTH = 16;

function decodeKey(encodingAesKey: string): Buffer {
  if (!/^[A-Za-z0-9+/]{43}$/.test(encodingAesKey)) {
    throw new AppError('config_invalid', 'EncodingAESKey must be 43 characters of base64');
  }
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  if (key.length !== 32) throw new AppError('config_invalid', 'EncodingAESKey must decode to 32 bytes');
  return key;
}

function pad(data: Buffer): Buffer {
  const amount = BLOCK - (data.length % BLOCK);
  return Buffer.concat([data, Buffer.alloc(amount, amount)]);
}

function decryptFailed(reason: string, cause?: unknown): AppError {
  return new AppError('wechat_decrypt_failed', `The WeChat message could not be decrypted: ${reason}`, {
    cause,
  });
}

export interface EncryptMessageInput {
  encodingAesKey: string;
  appid: string;
  message: string;
  /** 16 bytes; random by default. Fixed only in tests, to reproduce WeChat's vectors. */
  random?: Buffer;
}

/** Encrypts a message the way WeChat does in safe mode; returns the base64 `Encrypt` value. */
export function encryptMessage(input: EncryptMessageInput): string {
  const key = decodeKey(input.encodingAesKey);
  const random = input.random ?? randomBytes(RANDOM_LENGTH);
  if (random.length !== RANDOM_LENGTH) throw new RangeError('random must be 16 bytes');
  const message = Buffer.from(input.message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(message.length, 0);
  const plain = pad(Buffer.concat([random, length, message, Buffer.from(input.appid, 'utf8')]));
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
}

export interface DecryptMessageInput {
  encodingAesKey: string;
  /** The appid this app is configured with; the message must name the same one. */
  appid: string;
  /** The base64 `Encrypt` value. */
  encrypted: string;
}

/** Decrypts a safe-mode `Encrypt` value and checks it was meant for `appid`; returns the message text. */
export function decryptMessage(input: DecryptMessageInput): string {
  const key = decodeKey(input.encodingAesKey);
  const data = Buffer.from(input.encrypted, 'base64');
  if (data.length === 0 || data.length % 16 !== 0) throw decryptFailed('the ciphertext length is not a whole number of blocks');
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    decipher.setAutoPadding(false);
    plain = Buffer.concat([decipher.update(data), decipher.final()]);
  } catch (error) {
    throw decryptFailed('AES decryption failed', error);
  }
  const amount = plain[plain.length - 1] ?? 0;
  if (amount < 1 || amount > BLOCK || amount > plain.length) throw decryptFailed('the padding is not valid');
  for (let i = plain.length - amount; i < plain.length; i++) {
    if (plain[i] !== amount) throw decryptFailed('the padding is not valid');
  }
  const content = plain.subarray(0, plain.length - amount);
  if (content.length < RANDOM_LENGTH + 4) throw decryptFailed('the plaintext is too short');
  const length = content.readUInt32BE(RANDOM_LENGTH);
  const start = RANDOM_LENGTH + 4;
  if (start + length > content.length) throw decryptFailed('the message length is out of range');
  const appid = content.subarray(start + length).toString('utf8');
  if (appid !== input.appid) throw decryptFailed('the message is meant for another appid');
  return content.subarray(start, start + length).toString('utf8');
}

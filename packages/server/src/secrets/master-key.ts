/**
 * Secrets at rest (WeChat app secrets, EncodingAESKeys, mini program session keys) are sealed with
 * AES-256-GCM under the master key. Scale-out mode requires MASTER_KEY so every instance shares it;
 * embedded mode generates one on first start and keeps it beside the database, readable by the
 * owner only. The sealed format names its key by fingerprint, so a wrong key fails loudly.
 */
import { createCipheriv, createDecipheriv, createHash, createSecretKey, hkdfSync, type KeyObject, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '@weunion/errors';
import type { Config } from '../config/index.ts';

const VERSION = 'v1';
/** How many opened values a SecretBox remembers (connection secrets, client secrets, signing keys). */
const OPENED_CACHE_SIZE = 1024;

export class SecretBox {
  readonly #key: Buffer;
  /**
   * The same key as a KeyObject, made once: a cipher made from raw key bytes costs four times as
   * much CPU (Node prepares the key anew each time), and a mini program login seals and opens one.
   */
  readonly #cipherKey: KeyObject;
  /**
   * Values opened recently, by sealed text and associated data. A sealed text never changes its
   * meaning (a changed secret is sealed anew, with a fresh IV), so nothing here can go stale and
   * no instance has to tell another: the hot paths stop paying for AES-GCM on every request.
   */
  readonly #opened = new Map<string, string>();
  /** First 8 hex chars of SHA-256(key): identifies the key without revealing it. */
  readonly fingerprint: string;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new RangeError('master key must be 32 bytes');
    this.#key = key;
    this.#cipherKey = createSecretKey(key);
    this.fingerprint = createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  /**
   * A key for another purpose (e.g. signing cookies), derived from the master key with HKDF: the
   * same on every instance that shares MASTER_KEY, independent per purpose, never stored.
   */
  deriveKey(purpose: string, length = 32): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#key, Buffer.alloc(0), `weunion:${purpose}`, length));
  }

  /** `v1.<fingerprint>.<iv>.<tag>.<ciphertext>` (base64url parts). */
  seal(plaintext: string, associatedData = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#cipherKey, iv);
    cipher.setAAD(Buffer.from(associatedData));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      this.fingerprint,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      body.toString('base64url'),
    ].join('.');
  }

  /**
   * `remember: false` for a value opened once and then replaced (a mini program's session_key): it
   * would only push out the values worth remembering, and stay in memory longer than needed.
   */
  open(sealed: string, associatedData = '', options: { remember?: boolean } = {}): string {
    if (options.remember === false) return this.#open(sealed, associatedData);
    const cacheKey = `${associatedData}\u0000${sealed}`;
    const cached = this.#opened.get(cacheKey);
    if (cached !== undefined) {
      this.#opened.delete(cacheKey);
      this.#opened.set(cacheKey, cached);
      return cached;
    }
    const opened = this.#open(sealed, associatedData);
    this.#opened.set(cacheKey, opened);
    if (this.#opened.size > OPENED_CACHE_SIZE) {
      const oldest = this.#opened.keys().next().value;
      if (oldest !== undefined) this.#opened.delete(oldest);
    }
    return opened;
  }

  #open(sealed: string, associatedData: string): string {
    const [version, fingerprint, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || iv === undefined || tag === undefined || body === undefined) {
      throw new AppError('internal', 'sealed secret has an unknown format');
    }
    if (fingerprint !== this.fingerprint) {
      throw new AppError('config_invalid', `a secret was sealed with master key ${fingerprint}, but MASTER_KEY is ${this.fingerprint}`);
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#cipherKey, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(associatedData));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}

export function generateMasterKey(): string {
  return randomBytes(32).toString('base64');
}

/** The configured master key, or (embedded mode only) the one generated in DATA_DIR. */
export function loadSecretBox(config: Config): SecretBox {
  if (config.masterKey !== undefined) return new SecretBox(Buffer.from(config.masterKey, 'base64'));
  const file = path.join(config.dataDir, 'master.key');
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, `${generateMasterKey()}\n`, { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new AppError('config_invalid', `${file} does not hold a 32-byte base64 master key`);
  return new SecretBox(key);
}

/**
 * The keys that sign every token weunion issues: OIDC ID/access tokens and the app-scenario
 * (S5–S7) tokens alike, so an app's backend verifies all logins one way, through one JWKS.
 *
 * - Generated on first start (ES256 by default, RS256 available) and kept in the database; the
 *   private half is sealed with the master key.
 * - Rotation publishes before it signs: a rotated-in key appears in the JWKS at once but signs
 *   only after `publishDelayMs`, so every relying party's JWKS cache (and every instance's key
 *   cache, reloaded every `reloadMs`) has it before the first token signed with it arrives.
 * - A key that stopped signing stays in the JWKS for `retentionMs`, longer than any token lives.
 *
 * - Every algorithm in SIGNING_ALGORITHMS always has a key, so an application can ask for its ID
 *   tokens in either (OIDC Discovery requires RS256). The default algorithm is that of the newest
 *   rotated key; a key added only so that its algorithm is available (`secondary`) never becomes
 *   the default. Retirement runs per algorithm: a key retires when a newer key of its algorithm
 *   activates.
 *
 * The set is one JSON document in `settings`, written by compare-and-set: two instances that
 * start (or rotate) at the same moment cannot both win.
 */
import { createPrivateKey, type KeyObject, randomUUID } from 'node:crypto';
import { AppError } from '@weunion/errors';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '@weunion/management-api';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { z } from 'zod';
import type { SecretBox } from '../secrets/master-key.ts';
import type { Database } from '../storage/index.ts';

export { SIGNING_ALGORITHMS, type SigningAlgorithm };

const SETTINGS_KEY = 'signing_keys';

const storedKeySchema = z.object({
  kid: z.string(),
  alg: z.enum(SIGNING_ALGORITHMS),
  createdAt: z.number(),
  /** From this moment the key signs (until a newer key's activateAt). */
  activateAt: z.number(),
  publicJwk: z.record(z.string(), z.unknown()),
  sealedPrivateJwk: z.string(),
  /** Made so that its algorithm is available; it signs only when that algorithm is asked for. */
  secondary: z.boolean().optional(),
});
type StoredKey = z.infer<typeof storedKeySchema>;
const storedSetSchema = z.array(storedKeySchema);

export interface SigningKeyInfo {
  kid: string;
  alg: SigningAlgorithm;
  createdAt: number;
  activateAt: number;
  /** `next`: published, not yet signing; `current`: signing (for its algorithm); `retiring`: verifying only. */
  status: 'next' | 'current' | 'retiring';
  /** Signs everything that does not ask for an algorithm (the newest rotated key). */
  default: boolean;
}

export interface SigningKeysOptions {
  alg?: SigningAlgorithm;
  publishDelayMs?: number;
  retentionMs?: number;
  reloadMs?: number;
  now?: () => number;
}

export class SigningKeys {
  readonly #database: Database;
  readonly #box: SecretBox;
  readonly #alg: SigningAlgorithm;
  readonly #publishDelayMs: number;
  readonly #retentionMs: number;
  readonly #reloadMs: number;
  readonly #now: () => number;
  #cache: { raw: string; keys: StoredKey[]; loadedAt: number } | undefined;
  #fingerprint: { of: object; value: string; until: number } | undefined;
  readonly #privateKeys = new Map<string, KeyObject>();

  constructor(database: Database, box: SecretBox, options: SigningKeysOptions = {}) {
    this.#database = database;
    this.#box = box;
    this.#alg = options.alg ?? 'ES256';
    this.#publishDelayMs = options.publishDelayMs ?? 24 * 3600_000;
    this.#retentionMs = options.retentionMs ?? 7 * 24 * 3600_000;
    this.#reloadMs = options.reloadMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Creates the first key if there is none, and a key for every algorithm that has none (safe to
   * call from many instances at once).
   */
  async ensure(): Promise<void> {
    if ((await this.#load(true)).keys.length === 0) {
      const key = await this.#generate(this.#alg, this.#now());
      // If another instance inserted first, this does nothing and its key is the one loaded below.
      await this.#database.db
        .insertInto('settings')
        .values({ key: SETTINGS_KEY, value: JSON.stringify([key]), updated_at: this.#now() })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const { raw, keys } = await this.#load(true);
      const missing = SIGNING_ALGORITHMS.filter((alg) => !keys.some((k) => k.alg === alg));
      if (missing.length === 0) return;
      // Nothing was ever signed with a missing algorithm, so there is no cache to wait for: it signs at once.
      const added = await Promise.all(missing.map(async (alg) => ({ ...(await this.#generate(alg, this.#now())), secondary: true })));
      const updated = await this.#database.db
        .updateTable('settings')
        .set({ value: JSON.stringify([...keys, ...added]), updated_at: this.#now() })
        .where('key', '=', SETTINGS_KEY)
        .where('value', '=', raw)
        .executeTakeFirst();
      if (updated.numUpdatedRows === 1n) {
        await this.#load(true);
        return;
      }
    }
    throw new AppError('conflict', 'the signing keys changed while adding an algorithm; try again');
  }

  /**
   * The key that signs now by default (or for `alg`), with its private half as a KeyObject: jose
   * signs with it, and so does signing/compact-jwt.ts (node:crypto, in the request's thread).
   */
  async current(alg?: SigningAlgorithm): Promise<{ kid: string; alg: SigningAlgorithm; privateKey: KeyObject }> {
    const { keys } = await this.#load(false);
    const signing = this.#signing(keys, alg);
    if (signing === undefined) throw new AppError('internal', 'no signing key: the key set was not initialised');
    let privateKey = this.#privateKeys.get(signing.kid);
    if (privateKey === undefined) {
      const jwk = privateJwkSchema.parse(JSON.parse(this.#box.open(signing.sealedPrivateJwk, `signing-key:${signing.kid}`)));
      privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
      this.#privateKeys.set(signing.kid, privateKey);
    }
    return { kid: signing.kid, alg: signing.alg, privateKey };
  }

  /** The active key that signs for `alg`, or by default (the newest active key that is not secondary). */
  #signing(keys: StoredKey[], alg?: SigningAlgorithm): StoredKey | undefined {
    const now = this.#now();
    return keys
      .filter((k) => k.activateAt <= now && (alg === undefined ? k.secondary !== true : k.alg === alg))
      .sort((a, b) => b.activateAt - a.activateAt)[0];
  }

  /** The kids that sign now: the default one first, then one per algorithm. */
  #signingKids(keys: StoredKey[]): string[] {
    const kids = [this.#signing(keys)?.kid, ...SIGNING_ALGORITHMS.map((alg) => this.#signing(keys, alg)?.kid)];
    return [...new Set(kids.filter((kid) => kid !== undefined))];
  }

  /**
   * What identifies the key material in use: the published kids and the signing one. Cheap (read
   * from the cache), so callers holding derived state (the OIDC provider) can check it per request.
   */
  async fingerprint(): Promise<string> {
    const loaded = await this.#load(false);
    const now = this.#now();
    const memo = this.#fingerprint;
    if (memo !== undefined && memo.of === loaded && now < memo.until) return memo.value;
    const { keys } = loaded;
    const value = `${this.#signingKids(keys).join(',')}|${this.#published(keys)
      .map((k) => k.kid)
      .sort()
      .join(',')}`;
    // Asked on every request: the answer stands until the key set is reloaded, or until a key
    // activates or a retired one's retention ends (the only instants it depends on the time).
    const instants = keys.flatMap((k) => [k.activateAt, k.activateAt + this.#retentionMs]).filter((t) => t > now);
    this.#fingerprint = { of: loaded, value, until: Math.min(Number.POSITIVE_INFINITY, ...instants) };
    return value;
  }

  /** Reads the key set from the database now instead of waiting for the next reload. */
  async refresh(): Promise<void> {
    await this.#load(true);
  }

  /** The public JWKS: next, current and retiring keys. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const { keys } = await this.#load(false);
    return { keys: this.#published(keys).map((k) => ({ ...k.publicJwk, kid: k.kid, alg: k.alg, use: 'sig' })) };
  }

  /**
   * Private JWKs of the published keys, the signing ones first: oidc-provider signs with the first
   * key of the algorithm it needs.
   */
  async privateJwks(): Promise<{ keys: JWK[] }> {
    const { keys } = await this.#load(false);
    const signing = this.#signingKids(keys);
    const rank = (kid: string) => (signing.includes(kid) ? 0 : 1);
    const published = this.#published(keys).sort((a, b) => rank(a.kid) - rank(b.kid));
    return {
      keys: published.map((k) => ({
        ...privateJwkSchema.parse(JSON.parse(this.#box.open(k.sealedPrivateJwk, `signing-key:${k.kid}`))),
        kid: k.kid,
        alg: k.alg,
        use: 'sig',
      })),
    };
  }

  async list(): Promise<SigningKeyInfo[]> {
    const { keys } = await this.#load(true);
    const now = this.#now();
    const signing = this.#signingKids(keys);
    const defaultKid = this.#signing(keys)?.kid;
    return this.#published(keys).map((k) => ({
      kid: k.kid,
      alg: k.alg,
      createdAt: k.createdAt,
      activateAt: k.activateAt,
      status: k.activateAt > now ? 'next' : signing.includes(k.kid) ? 'current' : 'retiring',
      default: k.kid === defaultKid,
    }));
  }

  /**
   * Adds a key that is published now and signs from `now + publishDelayMs` (as the default key,
   * or with `keepDefault` only for its algorithm); drops keys whose retention is over.
   */
  async rotate(options: { alg?: SigningAlgorithm; keepDefault?: boolean } = {}): Promise<SigningKeyInfo> {
    await this.ensure();
    const now = this.#now();
    const generated = await this.#generate(options.alg ?? this.#alg, now + this.#publishDelayMs);
    const fresh = options.keepDefault === true ? { ...generated, secondary: true } : generated;
    for (let attempt = 0; attempt < 5; attempt++) {
      const { raw, keys } = await this.#load(true);
      const next = [...this.#published(keys), fresh];
      const updated = await this.#database.db
        .updateTable('settings')
        .set({ value: JSON.stringify(next), updated_at: now })
        .where('key', '=', SETTINGS_KEY)
        .where('value', '=', raw)
        .executeTakeFirst();
      if (updated.numUpdatedRows === 1n) {
        await this.#load(true);
        return { kid: fresh.kid, alg: fresh.alg, createdAt: fresh.createdAt, activateAt: fresh.activateAt, status: 'next', default: false };
      }
    }
    throw new AppError('conflict', 'the signing keys changed during rotation; try again');
  }

  /** Keys still worth publishing: all but those that stopped signing more than `retentionMs` ago. */
  #published(keys: StoredKey[]): StoredKey[] {
    const now = this.#now();
    return keys.filter((key) => {
      // A key stops signing when the next key of its algorithm activates; it is kept for the retention after that.
      const successor = keys
        .filter((k) => k.alg === key.alg && k.activateAt > key.activateAt)
        .sort((a, b) => a.activateAt - b.activateAt)[0];
      return successor === undefined || successor.activateAt > now || now - successor.activateAt < this.#retentionMs;
    });
  }

  async #load(force: boolean): Promise<{ raw: string; keys: StoredKey[] }> {
    if (!force && this.#cache !== undefined && this.#now() - this.#cache.loadedAt < this.#reloadMs) return this.#cache;
    const row = await this.#database.db.selectFrom('settings').select('value').where('key', '=', SETTINGS_KEY).executeTakeFirst();
    const raw = row?.value ?? '[]';
    const parsed = storedSetSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) throw new AppError('internal', 'the stored signing key set is corrupt');
    this.#cache = { raw, keys: parsed.data, loadedAt: this.#now() };
    return this.#cache;
  }

  async #generate(alg: SigningAlgorithm, activateAt: number): Promise<StoredKey> {
    const { privateKey, publicKey } = await generateKeyPair(alg, {
      extractable: true,
      ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
    });
    const kid = randomUUID();
    const publicJwk = await exportJWK(publicKey);
    const privateJwk = await exportJWK(privateKey);
    return {
      kid,
      alg,
      createdAt: this.#now(),
      activateAt,
      publicJwk: { ...publicJwk },
      sealedPrivateJwk: this.#box.seal(JSON.stringify(privateJwk), `signing-key:${kid}`),
    };
  }
}

const privateJwkSchema = z.looseObject({ kty: z.string(), d: z.string() });

/**
 * The tokens an app gets from an app login (S5 mini program, S6 mobile app, S7 app opens the mini
 * program): the same kind the OIDC provider issues, so an app's backend verifies every login one
 * way, through the JWKS at `/jwks`.
 *
 * - Issuer: `PUBLIC_URL`. Signed by `SigningKeys` (ES256 by default), the keys the OIDC provider
 *   signs with.
 * - `aud` of the ID token and `client_id`/`aud` of the access token: the id of the connection the
 *   app signed in through (`demo-mini-program`…). The OIDC provider's applications map their
 *   client ids onto connections the same way, so a client id means the same thing everywhere.
 * - ID token (`typ: JWT`): `iss sub aud azp exp iat auth_time amr sid` + the profile/phone claims
 *   of the account (claims.ts). `amr` names the login scenario (`["s5"]`).
 * - Access token: a JWT per RFC 9068 (`typ: at+jwt`) with `iss sub aud client_id scope jti exp iat
 *   auth_time amr sid`.
 * - Refresh token: opaque, 32 random bytes, stored as a SHA-256 hash. One family per sign-in
 *   (`sid` = family id). Every use rotates it; using a rotated token again (a replay — someone
 *   holds a copy) revokes the whole family, so the thief's and the owner's tokens both stop.
 * - Revoking a refresh token or an access token (logout) revokes its family; weunion's own
 *   endpoints then refuse that family's access tokens at once, other resource servers at expiry.
 * - A merged account's tokens follow it to the account it was merged into; blocked or deleted
 *   accounts cannot refresh.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AppError } from '@weunion/errors';
import { createLocalJWKSet, type JWK, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';
import { type ClaimsSource, getClaimsSource } from '../identity/users.ts';
import { signJwt } from '../signing/compact-jwt.ts';
import type { SigningKeys } from '../signing/signing-keys.ts';
import type { Database } from '../storage/index.ts';
import { precompiled } from '../storage/precompiled.ts';
import type { RefreshTokensTable, Tables } from '../storage/schema.ts';
import { APP_LOGIN_SCOPE, claimsForScope } from './claims.ts';

export interface TokenResponse {
  token_type: 'Bearer';
  access_token: string;
  /** Seconds until the access token expires. */
  expires_in: number;
  id_token: string;
  refresh_token: string;
  scope: string;
}

/** Who signed in, through which app and how. */
export interface TokenGrant {
  userId: string;
  /** The connection id the app signed in through. */
  clientId: string;
  /** The login scenario (`s5`, `s6`, `s7`): the token's `amr`. */
  method: string;
  /** When the person authenticated, ms. */
  authTime: number;
}

/** A verified access token of a live session. */
export interface AccessTokenClaims {
  userId: string;
  clientId: string;
  scope: string;
  sessionId: string;
}

export interface AppTokensOptions {
  issuer: string;
  accessTokenTtlSeconds?: number;
  idTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
  now?: () => number;
  /** Told of every sign-in that got tokens (login statistics); must not throw. */
  onIssued?: (grant: TokenGrant) => Promise<void>;
  /** The `sub` of ID tokens for an app (identity/subject.ts); the weunion id when absent. */
  subjectOf?: (clientId: string, userId: string) => Promise<string>;
}

const accessClaimsSchema = z.object({
  sub: z.string().min(1),
  client_id: z.string().min(1),
  scope: z.string(),
  sid: z.string().min(1),
});

const REFRESH_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');
const MAX_MERGE_HOPS = 8;

// Every app login runs it (storage/precompiled.ts: built once, run with new values).
const INSERT_REFRESH_TOKEN = precompiled<Tables, Omit<RefreshTokensTable, 'used_at' | 'revoked_at'>, unknown>((db, row) =>
  db.insertInto('refresh_tokens').values({
    id: row.id,
    token_hash: row.token_hash,
    family_id: row.family_id,
    user_id: row.user_id,
    client_id: row.client_id,
    scope: row.scope,
    amr: row.amr,
    auth_time: row.auth_time,
    created_at: row.created_at,
    expires_at: row.expires_at,
    used_at: null,
    revoked_at: null,
  }),
);

export class AppTokens {
  readonly #database: Database;
  readonly #signingKeys: () => SigningKeys;
  readonly #issuer: string;
  readonly #accessTtl: number;
  readonly #idTtl: number;
  readonly #refreshTtl: number;
  readonly #now: () => number;
  readonly #onIssued: ((grant: TokenGrant) => Promise<void>) | undefined;
  readonly #subjectOf: ((clientId: string, userId: string) => Promise<string>) | undefined;
  #ready: Promise<void> | undefined;

  /** `signingKeys` is read on first use, so building the app does not open the master key. */
  constructor(database: Database, signingKeys: () => SigningKeys, options: AppTokensOptions) {
    this.#database = database;
    this.#signingKeys = signingKeys;
    this.#issuer = options.issuer;
    this.#accessTtl = options.accessTokenTtlSeconds ?? 3600;
    this.#idTtl = options.idTokenTtlSeconds ?? 3600;
    this.#refreshTtl = options.refreshTokenTtlSeconds ?? 14 * 24 * 3600;
    this.#now = options.now ?? Date.now;
    this.#onIssued = options.onIssued;
    this.#subjectOf = options.subjectOf;
  }

  /** The public keys that verify these tokens (what `/jwks` serves). */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.ensureKeys();
    return this.#signingKeys().jwks();
  }

  /** The first signing key exists (created once, cluster-wide). */
  ensureKeys(): Promise<void> {
    this.#ready ??= this.#signingKeys()
      .ensure()
      .catch((error: unknown) => {
        this.#ready = undefined;
        throw error;
      });
    return this.#ready;
  }

  /** Tokens for a fresh sign-in: a new refresh-token family. */
  async issue(grant: TokenGrant): Promise<TokenResponse> {
    const user = await activeUser(this.#database, grant.userId);
    const familyId = randomUUID();
    const refreshToken = await this.#storeRefreshToken({
      familyId,
      userId: user.id,
      clientId: grant.clientId,
      scope: APP_LOGIN_SCOPE,
      amr: [grant.method],
      authTime: grant.authTime,
    });
    const response = await this.#respond(
      user,
      { clientId: grant.clientId, authTime: grant.authTime, scope: APP_LOGIN_SCOPE, amr: [grant.method], familyId },
      refreshToken,
    );
    await this.#onIssued?.(grant);
    return response;
  }

  /**
   * Exchanges a refresh token for new tokens and a new refresh token. A token used before revokes
   * its family (`refresh_token_reused`); unknown, expired or revoked ones are `token_invalid`.
   */
  async refresh(refreshToken: string, clientId?: string): Promise<TokenResponse> {
    const db = this.#database.db;
    const now = this.#now();
    const row = REFRESH_TOKEN_PATTERN.test(refreshToken)
      ? await db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', hashToken(refreshToken)).executeTakeFirst()
      : undefined;
    if (row === undefined || row.revoked_at !== null || row.expires_at <= now || (clientId !== undefined && clientId !== row.client_id)) {
      throw new AppError('token_invalid', 'The refresh token is not valid, has expired or was revoked');
    }
    // Claim the token: of any number of concurrent uses exactly one updates the row.
    const claimed =
      row.used_at === null
        ? await db
            .updateTable('refresh_tokens')
            .set({ used_at: now })
            .where('id', '=', row.id)
            .where('used_at', 'is', null)
            .where('revoked_at', 'is', null)
            .executeTakeFirst()
        : undefined;
    if (claimed === undefined || claimed.numUpdatedRows !== 1n) {
      await this.#revokeFamily(row.family_id, now);
      throw new AppError('refresh_token_reused');
    }
    let user: ClaimsSource;
    try {
      user = await activeUser(this.#database, row.user_id);
    } catch (error) {
      await this.#revokeFamily(row.family_id, now);
      throw error;
    }
    const amr = z.array(z.string()).parse(JSON.parse(row.amr));
    const grant = {
      userId: user.id,
      clientId: row.client_id,
      scope: row.scope,
      amr,
      authTime: row.auth_time,
      familyId: row.family_id,
    };
    const next = await this.#storeRefreshToken(grant);
    return this.#respond(user, grant, next);
  }

  /**
   * Revokes the session a refresh token or an access token belongs to (logout). Unknown or
   * invalid tokens are ignored, as RFC 7009 asks: the caller learns nothing from the answer.
   */
  async revoke(token: string): Promise<void> {
    const now = this.#now();
    if (REFRESH_TOKEN_PATTERN.test(token)) {
      const row = await this.#database.db
        .selectFrom('refresh_tokens')
        .select('family_id')
        .where('token_hash', '=', hashToken(token))
        .executeTakeFirst();
      if (row !== undefined) await this.#revokeFamily(row.family_id, now);
      return;
    }
    const claims = await this.verifyAccessToken(token).catch(() => undefined);
    if (claims !== undefined) await this.#revokeFamily(claims.sessionId, now);
  }

  /** Verifies an access token (signature, issuer, type, expiry) and that its session is live. */
  async verifyAccessToken(token: string): Promise<AccessTokenClaims> {
    await this.ensureKeys();
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, createLocalJWKSet(await this.jwks()), {
        issuer: this.#issuer,
        typ: 'at+jwt',
        currentDate: new Date(this.#now()),
      }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) throw new AppError('token_invalid', 'The access token is not valid or has expired');
      throw error;
    }
    const claims = accessClaimsSchema.safeParse(payload);
    if (!claims.success) throw new AppError('token_invalid', 'The access token lacks weunion claims');
    const revoked = await this.#database.db
      .selectFrom('refresh_tokens')
      .select('id')
      .where('family_id', '=', claims.data.sid)
      .where('revoked_at', 'is not', null)
      .executeTakeFirst();
    if (revoked !== undefined) throw new AppError('token_invalid', 'This session was ended');
    return { userId: claims.data.sub, clientId: claims.data.client_id, scope: claims.data.scope, sessionId: claims.data.sid };
  }

  async #revokeFamily(familyId: string, now: number): Promise<void> {
    await this.#database.db
      .updateTable('refresh_tokens')
      .set({ revoked_at: now })
      .where('family_id', '=', familyId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async #storeRefreshToken(grant: {
    familyId: string;
    userId: string;
    clientId: string;
    scope: string;
    amr: string[];
    authTime: number;
  }): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = this.#now();
    await INSERT_REFRESH_TOKEN.execute(this.#database.db, {
      id: randomUUID(),
      token_hash: hashToken(token),
      family_id: grant.familyId,
      user_id: grant.userId,
      client_id: grant.clientId,
      scope: grant.scope,
      amr: JSON.stringify(grant.amr),
      auth_time: grant.authTime,
      created_at: now,
      expires_at: now + this.#refreshTtl * 1000,
    });
    return token;
  }

  async #respond(
    user: ClaimsSource,
    grant: { clientId: string; scope: string; amr: string[]; authTime: number; familyId: string },
    refreshToken: string,
  ): Promise<TokenResponse> {
    await this.ensureKeys();
    const { kid, alg, privateKey } = await this.#signingKeys().current();
    const iat = Math.floor(this.#now() / 1000);
    const common = { auth_time: Math.floor(grant.authTime / 1000), amr: grant.amr, sid: grant.familyId };
    const accessToken = signJwt(
      { alg, kid, typ: 'at+jwt' },
      {
        ...common,
        client_id: grant.clientId,
        scope: grant.scope,
        iss: this.#issuer,
        sub: user.id,
        aud: grant.clientId,
        iat,
        exp: iat + this.#accessTtl,
        jti: randomUUID(),
      },
      privateKey,
    );
    // The access token keeps the weunion id (weunion resolves it); the ID token says what the app's backend knows the person by.
    const subject = (await this.#subjectOf?.(grant.clientId, user.id)) ?? user.id;
    const idToken = signJwt(
      { alg, kid, typ: 'JWT' },
      {
        ...claimsForScope(user, grant.scope),
        ...common,
        azp: grant.clientId,
        iss: this.#issuer,
        sub: subject,
        aud: grant.clientId,
        iat,
        exp: iat + this.#idTtl,
      },
      privateKey,
    );
    return {
      token_type: 'Bearer',
      access_token: accessToken,
      expires_in: this.#accessTtl,
      id_token: idToken,
      refresh_token: refreshToken,
      scope: grant.scope,
    };
  }
}

/** The active account behind `userId`, following merges; blocked or deleted accounts are refused. */
async function activeUser(database: Database, userId: string): Promise<ClaimsSource> {
  let id = userId;
  for (let hop = 0; hop < MAX_MERGE_HOPS; hop++) {
    const user = await getClaimsSource(database.db, id);
    if (user === null) break;
    if (user.status === 'active') return user;
    if (user.status !== 'merged' || user.mergedInto === null) break;
    id = user.mergedInto;
  }
  throw new AppError('login_refused', 'This account cannot sign in', { details: { reason: 'account_unavailable' } });
}

/**
 * Verifies the tokens weunion issues — OIDC ID tokens, and the ID and access tokens of the app
 * logins (S5 mini program, S6 mobile app, S7 app opens the mini program) — against the issuer's
 * JWKS, the way a resource server or an app backend should:
 *
 * - The JWKS comes from the issuer's discovery document (`jwks_uri`) unless given, and is cached by
 *   jose's `createRemoteJWKSet`; a token whose `kid` is not in the cache makes it refetch (at most
 *   once per cooldown), so a key rotated in by `weunion keys rotate` is picked up without restarts.
 * - `iss` must equal the issuer, `aud` must contain the audience when one is configured (the
 *   connection id for S5–S7 tokens, the client id for OIDC), `exp`/`nbf` are checked with a small
 *   clock tolerance. Only asymmetric algorithms weunion signs with (ES256, RS256) are accepted.
 * - Access tokens must be RFC 9068 JWTs (`typ: at+jwt`); an access token is refused as an ID token
 *   and the other way round, so one cannot be replayed as the other.
 * - The claims are parsed, not cast: a token lacking `sub` or carrying a malformed claim is refused.
 *
 * - Opaque access tokens (an OIDC login without `resource`) are checked by introspection
 *   (RFC 7662) with the application's own credentials: `introspectAccessToken`.
 *
 * Every refusal is a `WeunionTokenError` with a literal `code`.
 */
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';
import { WeunionTokenError } from './errors.ts';

const ALGORITHMS = ['ES256', 'RS256'];
const ACCESS_TOKEN_TYP = 'at+jwt';

const wechatIdentitySchema = z.object({
  appid: z.string(),
  app_type: z.string(),
  openid: z.string(),
  unionid: z.string().optional(),
});

/** Claims both kinds of token share. */
const baseClaimsSchema = z.looseObject({
  iss: z.string(),
  sub: z.string().min(1),
  aud: z.union([z.string(), z.array(z.string())]),
  exp: z.number(),
  iat: z.number(),
  auth_time: z.number().optional(),
  amr: z.array(z.string()).optional(),
  sid: z.string().optional(),
});

const profileClaimsSchema = z.object({
  name: z.string().optional(),
  nickname: z.string().optional(),
  picture: z.string().optional(),
  gender: z.string().optional(),
  locale: z.string().optional(),
  updated_at: z.number().optional(),
  phone_number: z.string().optional(),
  phone_number_verified: z.boolean().optional(),
  email: z.string().optional(),
  email_verified: z.boolean().optional(),
  wechat_identities: z.array(wechatIdentitySchema).optional(),
});

const idTokenClaimsSchema = z.looseObject({
  ...baseClaimsSchema.shape,
  ...profileClaimsSchema.shape,
  azp: z.string().optional(),
  nonce: z.string().optional(),
  at_hash: z.string().optional(),
});

const accessTokenClaimsSchema = z.looseObject({
  ...baseClaimsSchema.shape,
  ...profileClaimsSchema.shape,
  client_id: z.string().min(1),
  // RFC 9068 makes `scope` optional; a token for an API granted no profile scope carries none.
  scope: z.string().default(''),
  jti: z.string().min(1),
});

/** RFC 7662: what the introspection endpoint says about an active token. */
const introspectionSchema = z.looseObject({
  active: z.literal(true),
  sub: z.string().min(1),
  client_id: z.string().min(1),
  scope: z.string().default(''),
  exp: z.number(),
  iat: z.number(),
  iss: z.string(),
  token_type: z.string().optional(),
  aud: z.union([z.string(), z.array(z.string())]).optional(),
});

/** A WeChat identity of the person (`wechat` scope). */
export type WechatIdentityClaim = z.output<typeof wechatIdentitySchema>;
/** A verified ID token's claims: who signed in, when and how, and the profile claims released. */
export type IdTokenClaims = z.output<typeof idTokenClaimsSchema>;
/** A verified RFC 9068 access token's claims. `scopes` is `scope` split on spaces. */
export type AccessTokenClaims = z.output<typeof accessTokenClaimsSchema> & { scopes: string[] };
/** What introspection says about an active opaque access token. `scopes` is `scope` split on spaces. */
export type IntrospectedToken = z.output<typeof introspectionSchema> & { scopes: string[] };

export interface TokenVerifierOptions {
  /** weunion's `PUBLIC_URL` (the `iss` of every token it issues). */
  issuer: string;
  /**
   * Expected `aud`: the client id (OIDC) or connection id (S5–S7 app logins); several accepted
   * when an array. Without it the audience is not checked — only do that when every audience of
   * this issuer may call you.
   */
  audience?: string | string[];
  /** Where the keys are; default: the `jwks_uri` of the issuer's discovery document. */
  jwksUri?: string;
  /** Accepted clock skew for `exp`/`nbf`/`iat` (default 5 s). */
  clockToleranceSeconds?: number;
  /** How long fetched keys are trusted before a refetch (default 10 min). */
  jwksCacheMaxAgeMs?: number;
  /** Minimum time between two refetches triggered by an unknown `kid` (default 30 s). */
  jwksCooldownMs?: number;
  /**
   * For `introspectAccessToken`: the OIDC application's credentials (a web application's client id
   * and secret, sent with HTTP Basic). weunion tells a client only about the tokens issued to it.
   */
  client?: { id: string; secret: string };
}

export interface TokenVerifier {
  /** Verifies an ID token (signature, issuer, audience, expiry); resolves to its typed claims. */
  verifyIdToken(token: string, options?: { audience?: string | string[]; nonce?: string }): Promise<IdTokenClaims>;
  /** Verifies an RFC 9068 access token (S5–S7 app logins); resolves to its typed claims. */
  verifyAccessToken(token: string, options?: { audience?: string | string[]; requiredScopes?: string[] }): Promise<AccessTokenClaims>;
  /**
   * Asks weunion about an opaque OIDC access token (introspection, needs `client`); resolves when
   * it is active, issued to this client and carries `requiredScopes`. Every call is a request.
   */
  introspectAccessToken(token: string, options?: { requiredScopes?: string[] }): Promise<IntrospectedToken>;
}

const discoverySchema = z.looseObject({ issuer: z.string(), jwks_uri: z.string(), introspection_endpoint: z.string().optional() });

/** The issuer without a trailing slash: weunion's `iss` is `PUBLIC_URL` as configured. */
const trimIssuer = (issuer: string) => issuer.replace(/\/+$/, '');

async function discover(issuer: string): Promise<z.output<typeof discoverySchema>> {
  const url = `${issuer}/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' } });
  } catch (cause) {
    throw new WeunionTokenError('jwks_unavailable', `could not fetch ${url}`, { cause });
  }
  if (!response.ok) throw new WeunionTokenError('jwks_unavailable', `${url} answered ${response.status}`);
  const parsed = discoverySchema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) throw new WeunionTokenError('jwks_unavailable', `${url} is not an OpenID Connect discovery document`);
  if (trimIssuer(parsed.data.issuer) !== issuer) {
    throw new WeunionTokenError('jwks_unavailable', `the discovery document names issuer ${parsed.data.issuer}, expected ${issuer}`);
  }
  return parsed.data;
}

/** jose's refusals, translated to the few codes a caller acts on. */
function translate(error: unknown): WeunionTokenError {
  if (error instanceof WeunionTokenError) return error;
  if (error instanceof joseErrors.JWTExpired) return new WeunionTokenError('token_expired', 'the token has expired', { cause: error });
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const code = error.claim === 'aud' ? 'audience_mismatch' : error.claim === 'iss' ? 'issuer_mismatch' : 'claims_invalid';
    return new WeunionTokenError(code, error.message, { cause: error });
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey) {
    return new WeunionTokenError('signature_invalid', 'no key of the issuer matches the token', { cause: error });
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new WeunionTokenError('signature_invalid', 'the token signature does not verify', { cause: error });
  }
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
    return new WeunionTokenError('jwks_unavailable', error.message, { cause: error });
  }
  if (error instanceof joseErrors.JOSEError) return new WeunionTokenError('token_invalid', error.message, { cause: error });
  // createRemoteJWKSet rethrows network failures as they are.
  if (error instanceof TypeError) return new WeunionTokenError('jwks_unavailable', error.message, { cause: error });
  return new WeunionTokenError('token_invalid', error instanceof Error ? error.message : String(error), { cause: error });
}

function parseClaims<T extends z.ZodType>(schema: T, payload: JWTPayload): z.output<T> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WeunionTokenError('claims_invalid', `claim ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const issuer = trimIssuer(options.issuer);
  const clockTolerance = options.clockToleranceSeconds ?? 5;
  let jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;

  const keys = () => {
    jwks ??= (
      options.jwksUri === undefined ? discover(issuer).then((d) => new URL(d.jwks_uri)) : Promise.resolve(new URL(options.jwksUri))
    ).then(
      (uri) =>
        createRemoteJWKSet(uri, {
          cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
          cooldownDuration: options.jwksCooldownMs ?? 30_000,
        }),
      (error: unknown) => {
        // Discovery failed: try again on the next token instead of failing forever.
        jwks = undefined;
        throw error;
      },
    );
    return jwks;
  };

  async function verify(token: string, audience: string | string[] | undefined, typ: string | undefined) {
    const { payload, protectedHeader } = await jwtVerify(token, await keys(), {
      issuer,
      algorithms: ALGORITHMS,
      clockTolerance,
      ...(audience === undefined ? {} : { audience }),
      ...(typ === undefined ? {} : { typ }),
    });
    return { payload, typ: protectedHeader.typ?.toLowerCase().replace(/^application\//, '') };
  }

  return {
    async verifyIdToken(token, call = {}) {
      try {
        const { payload, typ } = await verify(token, call.audience ?? options.audience, undefined);
        if (typ === ACCESS_TOKEN_TYP) throw new WeunionTokenError('token_invalid', 'an access token is not an ID token');
        const claims = parseClaims(idTokenClaimsSchema, payload);
        if (call.nonce !== undefined && claims.nonce !== call.nonce) throw new WeunionTokenError('claims_invalid', 'nonce mismatch');
        return claims;
      } catch (error) {
        throw translate(error);
      }
    },

    async verifyAccessToken(token, call = {}) {
      try {
        const { payload } = await verify(token, call.audience ?? options.audience, ACCESS_TOKEN_TYP);
        const claims = parseClaims(accessTokenClaimsSchema, payload);
        const scopes = claims.scope.split(' ').filter((s) => s !== '');
        const missing = (call.requiredScopes ?? []).filter((s) => !scopes.includes(s));
        if (missing.length > 0) throw new WeunionTokenError('insufficient_scope', `the token lacks scope ${missing.join(' ')}`);
        return { ...claims, scopes };
      } catch (error) {
        throw translate(error);
      }
    },

    async introspectAccessToken(token, call = {}) {
      const credentials = options.client;
      if (credentials === undefined) throw new WeunionTokenError('introspection_unavailable', 'introspection needs the `client` option');
      let endpoint: string | undefined;
      try {
        endpoint = (await discover(issuer)).introspection_endpoint;
      } catch (error) {
        throw new WeunionTokenError('introspection_unavailable', error instanceof Error ? error.message : String(error), { cause: error });
      }
      if (endpoint === undefined) throw new WeunionTokenError('introspection_unavailable', 'the issuer has no introspection endpoint');
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers: {
            accept: 'application/json',
            'content-type': 'application/x-www-form-urlencoded',
            // RFC 6749 2.3.1: the client id and secret are form-encoded before Basic encoding.
            authorization: `Basic ${Buffer.from(`${encodeURIComponent(credentials.id)}:${encodeURIComponent(credentials.secret)}`).toString('base64')}`,
          },
          body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        });
      } catch (cause) {
        throw new WeunionTokenError('introspection_unavailable', `could not reach ${endpoint}`, { cause });
      }
      const body: unknown = await response.json().catch(() => undefined);
      if (!response.ok) throw new WeunionTokenError('introspection_unavailable', `${endpoint} answered ${response.status}`);
      if (typeof body === 'object' && body !== null && 'active' in body && body.active === false) {
        throw new WeunionTokenError('token_inactive', 'the token is not active');
      }
      const parsed = introspectionSchema.safeParse(body);
      if (!parsed.success)
        throw new WeunionTokenError('introspection_unavailable', `${endpoint} answered something that is not an introspection`);
      const claims = parsed.data;
      if (trimIssuer(claims.iss) !== issuer) throw new WeunionTokenError('issuer_mismatch', `the token was issued by ${claims.iss}`);
      if (claims.client_id !== credentials.id)
        throw new WeunionTokenError('audience_mismatch', `the token was issued to ${claims.client_id}`);
      const scopes = claims.scope.split(' ').filter((s) => s !== '');
      const missing = (call.requiredScopes ?? []).filter((s) => !scopes.includes(s));
      if (missing.length > 0) throw new WeunionTokenError('insufficient_scope', `the token lacks scope ${missing.join(' ')}`);
      return { ...claims, scopes };
    },
  };
}

/**
 * OpenID Connect for single-page applications (a `spa` application: public client, PKCE
 * required): the authorization code flow with PKCE S256, `state` and `nonce`.
 *
 * - `loginWithRedirect` keeps the code verifier, nonce and redirect URI in `sessionStorage` under
 *   the `state` (so two tabs logging in at once do not overwrite each other) and sends the browser
 *   to `/auth`.
 * - `handleRedirectCallback` accepts only a callback whose `state` it stored (used once, then
 *   deleted: a replayed or forged callback is `state_mismatch`), checks `iss` when the provider
 *   sends it (RFC 9207), exchanges the code at `/token`, and checks the ID token's `iss`, `aud`,
 *   `nonce` and expiry. Its signature is not checked here: the token came straight from the token
 *   endpoint over TLS, which OIDC Core §3.1.3.7 accepts for this case. A backend receiving the token
 *   from the browser must verify it (`@weunion/sdk-node`).
 * Endpoints are oidc-provider's paths at weunion's root.
 */
import { type Fields, isObject, number, object, optionalNumber, optionalString, string } from './answers.ts';
import { WeunionError } from './errors.ts';
import { absoluteUrl, type Connection } from './http.ts';

const AUTHORIZATION_PATH = '/auth';
const TOKEN_PATH = '/token';
const END_SESSION_PATH = '/session/end';
const STORAGE_PREFIX = 'weunion.oidc.';
/** A login left unfinished this long is forgotten. */
const PENDING_TTL_MS = 3600_000;
const CLOCK_TOLERANCE_S = 60;

/** The part of the Web Storage API the SDK uses (`sessionStorage` by default). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface LoginWithRedirectOptions {
  clientId: string;
  /** Registered exactly in the application's `redirectUris`. */
  redirectUri: string;
  /** Default `openid profile`. */
  scope?: string;
  /** `login` forces a fresh login, `none` fails instead of showing a page. */
  prompt?: 'login' | 'none' | 'consent';
  /** Anything JSON the page wants back after the callback (where to go next…). */
  appState?: unknown;
  /** Sends the browser away; default `location.assign`. */
  navigate?: (url: string) => void;
}

export interface TokenSet {
  accessToken: string;
  tokenType: string;
  /** Seconds the access token lives. */
  expiresIn?: number;
  idToken?: string;
  refreshToken?: string;
  scope?: string;
}

/** The ID token's claims, read (see the file comment on why not verified here). */
export type IdTokenClaims = Fields & { iss: string; sub: string; aud: string | string[]; exp: number; iat: number; nonce?: string };

export interface RedirectCallbackResult {
  tokens: TokenSet;
  /** Present when the scope included `openid`. */
  claims?: IdTokenClaims;
  appState?: unknown;
}

interface PendingLogin {
  clientId: string;
  redirectUri: string;
  codeVerifier: string;
  nonce: string;
  createdAt: number;
  appState?: unknown;
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): string {
  const padded = text
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(text.length / 4) * 4, '=');
  const binary = atob(padded);
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

const randomToken = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

async function codeChallenge(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

function parsePending(raw: string | null): PendingLogin | undefined {
  if (raw === null) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  const { clientId, redirectUri, codeVerifier, nonce, createdAt } = value;
  if (typeof clientId !== 'string' || typeof redirectUri !== 'string' || typeof codeVerifier !== 'string') return undefined;
  if (typeof nonce !== 'string' || typeof createdAt !== 'number') return undefined;
  return { clientId, redirectUri, codeVerifier, nonce, createdAt, ...('appState' in value ? { appState: value.appState } : {}) };
}

export function defaultStorage(): KeyValueStorage {
  if (typeof sessionStorage === 'undefined') {
    throw new WeunionError('validation_failed', 'no sessionStorage here: pass createWeunion({ storage })');
  }
  return sessionStorage;
}

export async function loginWithRedirect(
  connection: Connection,
  storage: KeyValueStorage,
  options: LoginWithRedirectOptions,
): Promise<string> {
  const state = randomToken();
  const pending: PendingLogin = {
    clientId: options.clientId,
    redirectUri: options.redirectUri,
    codeVerifier: randomToken(),
    nonce: randomToken(),
    createdAt: Date.now(),
    ...(options.appState === undefined ? {} : { appState: options.appState }),
  };
  storage.setItem(`${STORAGE_PREFIX}${state}`, JSON.stringify(pending));
  const url = new URL(absoluteUrl(connection, AUTHORIZATION_PATH));
  url.search = new URLSearchParams({
    client_id: options.clientId,
    redirect_uri: options.redirectUri,
    response_type: 'code',
    scope: options.scope ?? 'openid profile',
    state,
    nonce: pending.nonce,
    code_challenge: await codeChallenge(pending.codeVerifier),
    code_challenge_method: 'S256',
    ...(options.prompt === undefined ? {} : { prompt: options.prompt }),
  }).toString();
  const navigate = options.navigate ?? ((target: string) => globalThis.location.assign(target));
  navigate(url.href);
  return url.href;
}

function parseTokenSet(value: unknown): TokenSet {
  const fields = object(value, 'token response');
  const expiresIn = optionalNumber(fields, 'expires_in', 'token response');
  const idToken = optionalString(fields, 'id_token', 'token response');
  const refreshToken = optionalString(fields, 'refresh_token', 'token response');
  const scope = optionalString(fields, 'scope', 'token response');
  return {
    accessToken: string(fields, 'access_token', 'token response'),
    tokenType: string(fields, 'token_type', 'token response'),
    ...(expiresIn === undefined ? {} : { expiresIn }),
    ...(idToken === undefined ? {} : { idToken }),
    ...(refreshToken === undefined ? {} : { refreshToken }),
    ...(scope === undefined ? {} : { scope }),
  };
}

/** Reads an ID token's payload and checks what a client must (OIDC Core §3.1.3.7). */
export function checkIdToken(idToken: string, expected: { issuer: string; clientId: string; nonce: string }): IdTokenClaims {
  const payloadPart = idToken.split('.')[1];
  let payload: unknown;
  try {
    payload = JSON.parse(fromBase64url(payloadPart ?? ''));
  } catch (cause) {
    throw new WeunionError('invalid_response', 'the ID token is not a JWT', 0, { cause });
  }
  const fields = object(payload, 'ID token');
  const iss = string(fields, 'iss', 'ID token');
  const sub = string(fields, 'sub', 'ID token');
  const exp = number(fields, 'exp', 'ID token');
  const iat = number(fields, 'iat', 'ID token');
  const aud = fields.aud;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) && aud.every((a) => typeof a === 'string') ? aud : undefined;
  if (audiences === undefined) throw new WeunionError('invalid_response', 'the ID token has no audience');
  if (iss !== expected.issuer) throw new WeunionError('invalid_id_token', `the ID token was issued by ${iss}, not ${expected.issuer}`);
  if (!audiences.includes(expected.clientId)) throw new WeunionError('invalid_id_token', 'the ID token is for another client');
  if (fields.nonce !== expected.nonce) throw new WeunionError('invalid_id_token', 'the ID token nonce does not match this login');
  if (exp + CLOCK_TOLERANCE_S < Date.now() / 1000) throw new WeunionError('invalid_id_token', 'the ID token has expired');
  const nonce = optionalString(fields, 'nonce', 'ID token');
  return { ...fields, iss, sub, aud: typeof aud === 'string' ? aud : audiences, exp, iat, ...(nonce === undefined ? {} : { nonce }) };
}

export async function handleRedirectCallback(
  connection: Connection,
  storage: KeyValueStorage,
  callbackUrl: string,
): Promise<RedirectCallbackResult> {
  const params = new URL(callbackUrl).searchParams;
  const state = params.get('state') ?? '';
  const key = `${STORAGE_PREFIX}${state}`;
  const pending = state === '' ? undefined : parsePending(storage.getItem(key));
  // Used once, whatever happens next.
  if (state !== '') storage.removeItem(key);
  if (pending === undefined || Date.now() - pending.createdAt > PENDING_TTL_MS) {
    throw new WeunionError(
      'state_mismatch',
      'this callback does not belong to a login started in this browser (or it was already handled)',
    );
  }
  const issuer = connection.baseUrl;
  const iss = params.get('iss');
  if (iss !== null && iss !== issuer) throw new WeunionError('state_mismatch', `the callback comes from issuer ${iss}, not ${issuer}`);
  const error = params.get('error');
  if (error !== null) throw new WeunionError(error, params.get('error_description') ?? error);
  const code = params.get('code');
  if (code === null || code === '') throw new WeunionError('invalid_response', 'the callback carries neither a code nor an error');

  let response: Response;
  try {
    response = await connection.fetch(absoluteUrl(connection, TOKEN_PATH), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: pending.redirectUri,
        client_id: pending.clientId,
        code_verifier: pending.codeVerifier,
      }).toString(),
    });
  } catch (cause) {
    throw new WeunionError('network_error', 'could not reach the token endpoint', 0, { cause });
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const code = isObject(body) && typeof body.error === 'string' ? body.error : `http_${response.status}`;
    const description = isObject(body) && typeof body.error_description === 'string' ? body.error_description : code;
    throw new WeunionError(code, description, response.status);
  }
  const tokens = parseTokenSet(body);
  const claims =
    tokens.idToken === undefined ? undefined : checkIdToken(tokens.idToken, { issuer, clientId: pending.clientId, nonce: pending.nonce });
  return { tokens, ...(claims === undefined ? {} : { claims }), ...('appState' in pending ? { appState: pending.appState } : {}) };
}

export interface LogoutUrlOptions {
  /** The ID token of the session being ended: lets the provider skip its confirmation page. */
  idTokenHint?: string;
  /** Registered in the application's `postLogoutRedirectUris`. */
  postLogoutRedirectUri?: string;
  clientId?: string;
  state?: string;
}

/** RP-initiated logout (the provider's end-session endpoint). */
export function logoutUrl(connection: Connection, options: LogoutUrlOptions = {}): string {
  const url = new URL(absoluteUrl(connection, END_SESSION_PATH));
  if (options.idTokenHint !== undefined) url.searchParams.set('id_token_hint', options.idTokenHint);
  if (options.postLogoutRedirectUri !== undefined) url.searchParams.set('post_logout_redirect_uri', options.postLogoutRedirectUri);
  if (options.clientId !== undefined) url.searchParams.set('client_id', options.clientId);
  if (options.state !== undefined) url.searchParams.set('state', options.state);
  return url.href;
}

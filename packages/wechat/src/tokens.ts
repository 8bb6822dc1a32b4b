/**
 * The app access_token (cgi-bin/token or cgi-bin/stable_token), cached in the shared-state store.
 *
 * Why shared: fetching a new token invalidates the previous one after a 5-minute overlap, so every
 * instance of a cluster must use ONE cached token; an instance fetching its own silently kills the
 * others' five minutes later. Hence:
 * - one key per appid holds the token; one lock per appid lets exactly one caller (across all
 *   instances) fetch; everyone else polls the key until the holder has stored the new token;
 * - the token is refreshed ahead of expiry (the refresher holds the lock, the others keep using
 *   the old token, which stays valid meanwhile);
 * - a token WeChat rejected (40001/40014/42001) is passed back as `rejected`: the lock holder fetches a
 *   replacement once, and every other caller that saw the same rejection waits for it;
 * - when the holder's fetch fails, it leaves the failure in the store for a moment so the waiting
 *   callers fail with the same error instead of each trying again (a wrong secret would otherwise
 *   cost one request per waiter).
 */
import { randomUUID } from 'node:crypto';
import { AppError, type ErrorCode, errorRegistry } from '@weunion/errors';
import type { SharedState } from '@weunion/state';
import { z } from 'zod';
import { isAccessTokenRejected, unreachableError } from './errcodes.ts';
import type { WechatTransport } from './transport.ts';

const TOKEN_PATH = 'cgi-bin/token';
const STABLE_TOKEN_PATH = 'cgi-bin/stable_token';

/** Which WeChat API issues the app's access_token. The two are isolated: each has its own token. */
export type AccessTokenSource = 'token' | 'stable_token';

/** What the client needs to act as an app. */
export interface WechatAppCredentials {
  appid: string;
  secret: string;
  /** Default `token` (cgi-bin/token). `stable_token` suits apps whose token other systems also fetch. */
  tokenSource?: AccessTokenSource;
}

export interface CachedAccessToken {
  appid: string;
  accessToken: string;
  source: AccessTokenSource;
  /** Epoch ms after which the token must not be used (a little before WeChat's own expiry). */
  expiresAt: number;
  /** Epoch ms from which the next caller refreshes it ahead of expiry. */
  refreshAt: number;
}

export interface AccessTokenCacheOptions {
  state: SharedState;
  transport: WechatTransport;
  /** Refresh this long before expiry (default 5 minutes, WeChat's overlap window). */
  refreshAheadMs?: number;
  /** Pause between polls while another caller fetches (grows up to 8× this). Default 25 ms. */
  pollIntervalMs?: number;
}

const tokenAnswer = z.looseObject({ access_token: z.string().min(1), expires_in: z.number().int().positive() });

const storedToken = z.object({
  accessToken: z.string(),
  source: z.enum(['token', 'stable_token']),
  expiresAt: z.number(),
  refreshAt: z.number(),
});

const storedFailure = z.object({
  id: z.string(),
  code: z.custom<ErrorCode>((value) => typeof value === 'string' && Object.hasOwn(errorRegistry, value)),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});

/** How long a failed fetch is remembered for the callers who were waiting on it. */
const FAILURE_MEMORY_MS = 5_000;
/** Never hand out a token in the last minute of its life (or last tenth, for short-lived ones). */
const EXPIRY_MARGIN_MS = 60_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class AccessTokenCache {
  readonly #state: SharedState;
  readonly #transport: WechatTransport;
  readonly #refreshAheadMs: number;
  readonly #pollIntervalMs: number;

  constructor(options: AccessTokenCacheOptions) {
    this.#state = options.state;
    this.#transport = options.transport;
    this.#refreshAheadMs = options.refreshAheadMs ?? 5 * 60_000;
    this.#pollIntervalMs = options.pollIntervalMs ?? 25;
  }

  /** The cached token for `appid`, as every instance sees it, or null; never fetches. */
  async peek(appid: string): Promise<CachedAccessToken | null> {
    const cached = await this.#read(appid);
    return cached === null ? null : { appid, ...cached };
  }

  /** Forgets the cached token (e.g. after the AppSecret was rotated). */
  async forget(appid: string): Promise<void> {
    await this.#state.delete(tokenKey(appid));
  }

  /**
   * A usable access_token for the app: the cached one, or a fresh one fetched by exactly one caller.
   * Pass `rejected` with a token WeChat just refused, to get a different one.
   */
  async get(app: WechatAppCredentials, options: { rejected?: string; signal?: AbortSignal } = {}): Promise<string> {
    const { rejected } = options;
    // Long enough for the holder's fetch with all its retries, plus the stable_token second call.
    const lockTtlMs = 2 * this.#transport.worstCaseMs + 1_000;
    const deadline = Date.now() + lockTtlMs + this.#transport.timeoutMs;
    let poll = this.#pollIntervalMs;
    let failureSeen: string | null | undefined;

    for (;;) {
      // A waiter checks first whether the holder it waited for failed: the holder stores its failure
      // before releasing the lock, so this must come before trying the lock again.
      if (failureSeen !== undefined) {
        const failure = await this.#state.get(failureKey(app.appid));
        if (failure !== null && failure !== failureSeen) throw reviveFailure(failure);
      }
      const cached = await this.#read(app.appid);
      const usable = cached !== null && cached.accessToken !== rejected ? cached : null;
      if (usable !== null && Date.now() < usable.refreshAt) return usable.accessToken;

      const lock = await this.#state.acquireLock(tokenKey(app.appid), lockTtlMs);
      if (lock !== null) {
        try {
          return await this.#refreshHoldingLock(app, rejected);
        } finally {
          await lock.release();
        }
      }
      // Another caller is refreshing ahead of expiry: the current token is still good meanwhile.
      if (usable !== null) return usable.accessToken;

      if (failureSeen === undefined) failureSeen = await this.#state.get(failureKey(app.appid));
      if (Date.now() > deadline) {
        throw unreachableError(TOKEN_PATH, 'timed out waiting for another caller to fetch the access token');
      }
      options.signal?.throwIfAborted();
      await sleep(poll);
      poll = Math.min(poll * 2, this.#pollIntervalMs * 8);
    }
  }

  async #refreshHoldingLock(app: WechatAppCredentials, rejected: string | undefined): Promise<string> {
    // Someone may have stored a fresh token between our read and our lock.
    const cached = await this.#read(app.appid);
    const usable = cached !== null && cached.accessToken !== rejected ? cached : null;
    if (usable !== null && Date.now() < usable.refreshAt) return usable.accessToken;
    try {
      const fresh = await this.#fetch(app, rejected);
      await this.#state.set(tokenKey(app.appid), JSON.stringify(fresh.stored), { ttlMs: fresh.ttlMs });
      return fresh.stored.accessToken;
    } catch (error) {
      // Refreshing ahead failed, but the old token is still valid: keep using it; the next caller retries.
      if (usable !== null) return usable.accessToken;
      await this.#rememberFailure(app.appid, error);
      throw error;
    }
  }

  /** `rejected`: the token WeChat just refused, if that is why we fetch (not merely refreshing ahead). */
  async #fetch(app: WechatAppCredentials, rejected: string | undefined) {
    const source = app.tokenSource ?? 'token';
    const startedAt = Date.now();
    let answer = await this.#request(app, source, false);
    // Quirk: stable_token in normal mode hands back the current token while WeChat thinks it valid
    // (and a new one only in its last 5 minutes). If that is the very token WeChat just refused,
    // ask for a new one explicitly; force_refresh is limited to 20 a day, so only then, never
    // merely to refresh ahead.
    if (source === 'stable_token' && rejected !== undefined && answer.access_token === rejected) {
      answer = await this.#request(app, source, true);
    }
    const lifetimeMs = answer.expires_in * 1000;
    const expiresAt = startedAt + lifetimeMs - Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 10);
    const refreshAt = startedAt + lifetimeMs - Math.min(this.#refreshAheadMs, lifetimeMs / 2);
    const stored: z.infer<typeof storedToken> = { accessToken: answer.access_token, source, expiresAt, refreshAt };
    return { stored, ttlMs: Math.max(1, Math.floor(expiresAt - Date.now())) };
  }

  #request(app: WechatAppCredentials, source: AccessTokenSource, forceRefresh: boolean) {
    if (source === 'stable_token') {
      return this.#transport.json(
        {
          endpoint: STABLE_TOKEN_PATH,
          query: [],
          body: { grant_type: 'client_credential', appid: app.appid, secret: app.secret, force_refresh: forceRefresh },
          secrets: [app.secret],
        },
        tokenAnswer,
      );
    }
    return this.#transport.json(
      {
        endpoint: TOKEN_PATH,
        query: [
          ['grant_type', 'client_credential'],
          ['appid', app.appid],
          ['secret', app.secret],
        ],
        secrets: [app.secret],
      },
      tokenAnswer,
    );
  }

  async #read(appid: string): Promise<z.infer<typeof storedToken> | null> {
    const raw = await this.#state.get(tokenKey(appid));
    if (raw === null) return null;
    const parsed = storedToken.safeParse(safeJson(raw));
    if (!parsed.success || Date.now() >= parsed.data.expiresAt) return null;
    return parsed.data;
  }

  async #rememberFailure(appid: string, error: unknown): Promise<void> {
    const failure =
      error instanceof AppError
        ? { id: randomUUID(), code: error.code, message: error.message, details: error.details }
        : { id: randomUUID(), code: 'wechat_error', message: 'Fetching the WeChat access token failed' };
    await this.#state.set(failureKey(appid), JSON.stringify(failure), { ttlMs: FAILURE_MEMORY_MS }).catch(() => false);
  }
}

function tokenKey(appid: string): string {
  return `wechat:access_token:${appid}`;
}

function failureKey(appid: string): string {
  return `wechat:access_token_failure:${appid}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function reviveFailure(raw: string): AppError {
  const parsed = storedFailure.safeParse(safeJson(raw));
  if (!parsed.success) return new AppError('wechat_error', 'Fetching the WeChat access token failed');
  return new AppError(parsed.data.code, parsed.data.message, { details: parsed.data.details });
}

/**
 * Runs `call` with the app's access token; when WeChat rejects the token (40001/40014/42001),
 * fetches a replacement (once across all callers) and runs `call` once more.
 */
export async function withAccessToken<T>(
  tokens: AccessTokenCache,
  app: WechatAppCredentials,
  call: (accessToken: string) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const token = await tokens.get(app, { signal });
  try {
    return await call(token);
  } catch (error) {
    if (!isAccessTokenRejected(error)) throw error;
    const fresh = await tokens.get(app, { rejected: token, signal });
    return call(fresh);
  }
}

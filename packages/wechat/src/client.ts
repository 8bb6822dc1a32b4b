/**
 * The WeChat client: one object per weunion process, shared by every scenario.
 *
 *   const wechat = createWechatClient({ state, endpoints: sandboxEndpoints(url) });
 *   const session = await wechat.miniProgram.codeToSession(app, code);
 */
import type { SharedState } from '@weunion/state';
import { type CredentialsClient, createCredentialsClient } from './credentials.ts';
import { resolveEndpoints, type WechatEndpoints } from './endpoints.ts';
import { createJsSdkClient, type JsSdkClient } from './js-sdk.ts';
import { createMiniProgramClient, type MiniProgramClient } from './mini-program.ts';
import { createOAuthClient, type OAuthClient } from './oauth.ts';
import { createOfficialAccountClient, type OfficialAccountClient } from './official-account.ts';
import { AccessTokenCache, type CachedAccessToken, type WechatAppCredentials } from './tokens.ts';
import { DEFAULT_RETRY, type RetryOptions, WechatTransport } from './transport.ts';

export interface WechatClientOptions {
  /** Shared-state store holding the app access_tokens (Redis in a cluster, so all instances share one). */
  state: SharedState;
  /** Base URLs; real WeChat for each one not given. */
  endpoints?: Partial<WechatEndpoints>;
  /** Timeout of each HTTP call to WeChat, in ms (default 5000). */
  timeoutMs?: number;
  /** Retries on errcode -1 (system busy). Default: 3 tries, 200 ms doubling, capped at 2 s. */
  retry?: Partial<RetryOptions>;
  /** Refresh app access_tokens this long before they expire (default 5 minutes). */
  tokenRefreshAheadMs?: number;
  /** A fetch implementation to call WeChat through (default: node:http with keep-alive agents), e.g. to go through a proxy. */
  fetch?: typeof fetch;
}

export interface AccessTokens {
  /**
   * A valid app access_token, fetched once across the cluster when needed. Pass `rejected` with a
   * token WeChat just refused (e.g. reported by an app backend) to get a replacement, fetched once
   * however many callers report the same token.
   */
  get(app: WechatAppCredentials, options?: { rejected?: string; signal?: AbortSignal }): Promise<string>;
  /** The cached token and its expiry, without fetching (e.g. to hand to an app's backend). */
  peek(appid: string): Promise<CachedAccessToken | null>;
  /** Drops the cached token, e.g. after the AppSecret was rotated. */
  forget(appid: string): Promise<void>;
}

export interface WechatClient {
  readonly endpoints: WechatEndpoints;
  readonly oauth: OAuthClient;
  readonly officialAccount: OfficialAccountClient;
  readonly miniProgram: MiniProgramClient;
  /** The JS-SDK of pages in the WeChat browser: the jsapi ticket (cached cluster-wide) and `wx.config`. */
  readonly jsSdk: JsSdkClient;
  readonly tokens: AccessTokens;
  /** Whether an appid + AppSecret are right, asked without disturbing the app's tokens. */
  readonly credentials: CredentialsClient;
}

export function createWechatClient(options: WechatClientOptions): WechatClient {
  const endpoints = resolveEndpoints(options.endpoints);
  const timeoutMs = options.timeoutMs ?? 5_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new RangeError('timeoutMs must be a positive integer');
  const retry: RetryOptions = { ...DEFAULT_RETRY, ...options.retry };
  if (!Number.isInteger(retry.attempts) || retry.attempts < 1) throw new RangeError('retry.attempts must be at least 1');
  const transport = new WechatTransport({
    apiBase: endpoints.api,
    timeoutMs,
    retry,
    fetch: options.fetch,
  });
  const cache = new AccessTokenCache({ state: options.state, transport, refreshAheadMs: options.tokenRefreshAheadMs });
  return {
    endpoints,
    oauth: createOAuthClient({ endpoints, transport }),
    officialAccount: createOfficialAccountClient({ endpoints, transport, tokens: cache }),
    miniProgram: createMiniProgramClient({ transport, tokens: cache }),
    jsSdk: createJsSdkClient({ state: options.state, transport, tokens: cache }),
    credentials: createCredentialsClient({ transport }),
    tokens: {
      get: (app, callOptions = {}) => cache.get(app, callOptions),
      peek: (appid) => cache.peek(appid),
      forget: (appid) => cache.forget(appid),
    },
  };
}

/**
 * The JS-SDK of pages in the WeChat browser: the jsapi ticket (`cgi-bin/ticket/getticket`) and
 * the `wx.config` a page needs (JS-SDK 说明文档, 附录1).
 *
 * Quirks handled here:
 * - The ticket lives 7200 s and `getticket` is tightly rate-limited, so like the access_token it is
 *   cached in the shared-state store: one key per appid, one lock so exactly one caller across the
 *   cluster fetches, the others poll the key meanwhile. It is refreshed a few minutes before it
 *   expires (WeChat answers the same ticket while it lives, so nothing else is lost by asking).
 * - The signature covers the page URL without its `#` fragment, exactly as the browser has it.
 * - Answers come as `{errcode: 0, errmsg: "ok", ticket, expires_in}`: errcode 0 is a success.
 */
import { randomBytes } from 'node:crypto';
import type { SharedState } from '@weunion/state';
import { z } from 'zod';
import { jsSdkSignature, jsSdkSignedUrl } from './crypto/js-sdk.ts';
import { unreachableError } from './errcodes.ts';
import { type AccessTokenCache, type WechatAppCredentials, withAccessToken } from './tokens.ts';
import type { CallOptions, WechatTransport } from './transport.ts';

const GETTICKET_PATH = 'cgi-bin/ticket/getticket';

const ticketAnswer = z.looseObject({ ticket: z.string().min(1), expires_in: z.number().int().positive() });
const storedTicket = z.object({ ticket: z.string(), expiresAt: z.number(), refreshAt: z.number() });

/** Never sign with a ticket in its last minute; refresh it in its last five. */
const EXPIRY_MARGIN_MS = 60_000;
const REFRESH_AHEAD_MS = 5 * 60_000;

/** What a page passes to `wx.config` (plus its `jsApiList`, which is the page's own choice). */
export interface JsSdkConfig {
  appId: string;
  /** Unix seconds. */
  timestamp: number;
  nonceStr: string;
  signature: string;
}

export interface JsSdkClient {
  /** The official account's jsapi ticket, fetched once across the cluster and cached. */
  getJsapiTicket(app: WechatAppCredentials, options?: CallOptions): Promise<string>;
  /** The cached ticket and its expiry (epoch ms), as every instance sees it, or null; never fetches. */
  peekJsapiTicket(appid: string): Promise<{ ticket: string; expiresAt: number } | null>;
  /** Drops the cached ticket (e.g. when WeChat said `config:invalid signature` for a fresh signature). */
  forgetJsapiTicket(appid: string): Promise<void>;
  /** The `wx.config` values for a page at `url` (its `#` fragment is ignored, as WeChat does). */
  config(app: WechatAppCredentials, url: string, options?: CallOptions & { now?: Date; nonceStr?: string }): Promise<JsSdkConfig>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function ticketKey(appid: string): string {
  return `wechat:jsapi_ticket:${appid}`;
}

function parseStored(raw: string | null): z.infer<typeof storedTicket> | null {
  if (raw === null) return null;
  try {
    const parsed = storedTicket.safeParse(JSON.parse(raw));
    return parsed.success && Date.now() < parsed.data.expiresAt ? parsed.data : null;
  } catch {
    return null;
  }
}

export function createJsSdkClient(context: {
  state: SharedState;
  transport: WechatTransport;
  tokens: AccessTokenCache;
  /** Pause between polls while another caller fetches. Default 25 ms. */
  pollIntervalMs?: number;
}): JsSdkClient {
  const { state, transport, tokens } = context;
  const pollIntervalMs = context.pollIntervalMs ?? 25;

  async function fetchTicket(app: WechatAppCredentials, options: CallOptions): Promise<z.infer<typeof storedTicket>> {
    const startedAt = Date.now();
    const answer = await withAccessToken(
      tokens,
      app,
      (accessToken) =>
        transport.json(
          {
            endpoint: GETTICKET_PATH,
            query: [
              ['access_token', accessToken],
              ['type', 'jsapi'],
            ],
            secrets: [accessToken],
            signal: options.signal,
          },
          ticketAnswer,
        ),
      options.signal,
    );
    const lifetimeMs = answer.expires_in * 1000;
    return {
      ticket: answer.ticket,
      expiresAt: startedAt + lifetimeMs - Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 10),
      refreshAt: startedAt + lifetimeMs - Math.min(REFRESH_AHEAD_MS, lifetimeMs / 2),
    };
  }

  async function getJsapiTicket(app: WechatAppCredentials, options: CallOptions = {}): Promise<string> {
    // Long enough for the holder's token fetch and its getticket, each with their retries.
    const lockTtlMs = 3 * transport.worstCaseMs + 1_000;
    const deadline = Date.now() + lockTtlMs + transport.timeoutMs;
    let poll = pollIntervalMs;
    for (;;) {
      const cached = parseStored(await state.get(ticketKey(app.appid)));
      if (cached !== null && Date.now() < cached.refreshAt) return cached.ticket;
      const lock = await state.acquireLock(ticketKey(app.appid), lockTtlMs);
      if (lock !== null) {
        try {
          const again = parseStored(await state.get(ticketKey(app.appid)));
          if (again !== null && Date.now() < again.refreshAt) return again.ticket;
          try {
            const fresh = await fetchTicket(app, options);
            await state.set(ticketKey(app.appid), JSON.stringify(fresh), { ttlMs: Math.max(1, Math.floor(fresh.expiresAt - Date.now())) });
            return fresh.ticket;
          } catch (error) {
            // Refreshing ahead failed but the old ticket still lives: keep signing with it.
            if (again !== null) return again.ticket;
            throw error;
          }
        } finally {
          await lock.release();
        }
      }
      // Someone else is refreshing ahead of expiry: the current ticket is still good meanwhile.
      if (cached !== null) return cached.ticket;
      if (Date.now() > deadline) throw unreachableError(GETTICKET_PATH, 'timed out waiting for another caller to fetch the jsapi ticket');
      options.signal?.throwIfAborted();
      await sleep(poll);
      poll = Math.min(poll * 2, pollIntervalMs * 8);
    }
  }

  return {
    getJsapiTicket,

    async peekJsapiTicket(appid) {
      const cached = parseStored(await state.get(ticketKey(appid)));
      return cached === null ? null : { ticket: cached.ticket, expiresAt: cached.expiresAt };
    },

    async forgetJsapiTicket(appid) {
      await state.delete(ticketKey(appid));
    },

    async config(app, url, options = {}) {
      const ticket = await getJsapiTicket(app, options);
      const timestamp = Math.floor((options.now ?? new Date()).getTime() / 1000);
      const nonceStr = options.nonceStr ?? randomBytes(12).toString('base64url');
      return {
        appId: app.appid,
        timestamp,
        nonceStr,
        signature: jsSdkSignature({ ticket, nonceStr, timestamp, url: jsSdkSignedUrl(url) }),
      };
    },
  };
}

/**
 * Checking an appid + AppSecret without disturbing the app (for an admin pasting a new secret).
 *
 * - Official accounts and mini programs: `cgi-bin/stable_token` with `force_refresh: false`. In that
 *   mode WeChat hands back the stable token it already has (or issues one if none), and never
 *   invalidates a token: production, which may use `cgi-bin/token` or the stable token itself,
 *   keeps working. `cgi-bin/token` would not do: each call replaces the previous token after five
 *   minutes. The token in the answer is dropped here, never cached or returned.
 * - Website and mobile apps have no client-credential call. `sns/oauth2/access_token` with a code
 *   that cannot exist is the probe: WeChat checks the appid (40013), then the secret (40125),
 *   before the code, so 40029 (invalid code) means the appid and the secret are both right.
 */
import { AppError } from '@weunion/errors';
import { z } from 'zod';
import type { WechatAppType } from './app-type.ts';
import type { CallOptions, WechatTransport } from './transport.ts';

const STABLE_TOKEN_PATH = 'cgi-bin/stable_token';
const OAUTH_ACCESS_TOKEN_PATH = 'sns/oauth2/access_token';
/** A code WeChat cannot have issued (its codes are 32 characters of [0-9A-Za-z]). */
const IMPOSSIBLE_CODE = 'weunion-credential-probe';
/** "invalid code", "code been used", "code expired": the code failed, so appid and secret passed. */
const CODE_ERRCODES: ReadonlySet<number> = new Set([40029, 40163, 42003]);

export interface CredentialCheck {
  /** Whether WeChat accepted the appid and AppSecret. */
  ok: boolean;
  method: 'stable_token' | 'oauth_probe';
  /** WeChat's errcode (null when a token was issued). */
  errcode: number | null;
  errmsg: string | null;
}

export interface CredentialsClient {
  /**
   * Asks WeChat whether `appid` + `secret` are right for an app of `appType`, without changing
   * anything the app relies on. Throws only when WeChat could not be asked (unreachable, nonsense).
   */
  check(app: { appType: WechatAppType; appid: string; secret: string }, options?: CallOptions): Promise<CredentialCheck>;
}

const tokenIssued = z.looseObject({ access_token: z.string().min(1) });
const errorDetails = z.looseObject({ errcode: z.number().int(), errmsg: z.string() });

export function createCredentialsClient(context: { transport: WechatTransport }): CredentialsClient {
  const { transport } = context;
  return {
    async check(app, options = {}) {
      const method = app.appType === 'official_account' || app.appType === 'mini_program' ? 'stable_token' : 'oauth_probe';
      try {
        if (method === 'stable_token') {
          await transport.json(
            {
              endpoint: STABLE_TOKEN_PATH,
              query: [],
              body: { grant_type: 'client_credential', appid: app.appid, secret: app.secret, force_refresh: false },
              secrets: [app.secret],
              signal: options.signal,
            },
            tokenIssued,
          );
          return { ok: true, method, errcode: null, errmsg: null };
        }
        await transport.json(
          {
            endpoint: OAUTH_ACCESS_TOKEN_PATH,
            query: [
              ['appid', app.appid],
              ['secret', app.secret],
              ['code', IMPOSSIBLE_CODE],
              ['grant_type', 'authorization_code'],
            ],
            secrets: [app.secret],
            signal: options.signal,
          },
          z.looseObject({}),
        );
        // WeChat accepted a code it cannot have issued: nothing to conclude about the secret.
        return { ok: false, method, errcode: null, errmsg: 'WeChat accepted a code it cannot have issued' };
      } catch (error) {
        const answered = error instanceof AppError ? errorDetails.safeParse(error.details) : null;
        if (answered === null || !answered.success) throw error;
        const { errcode, errmsg } = answered.data;
        return { ok: method === 'oauth_probe' && CODE_ERRCODES.has(errcode), method, errcode, errmsg };
      }
    },
  };
}

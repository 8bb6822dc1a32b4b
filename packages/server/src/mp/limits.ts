/**
 * Rate limits of the app-login endpoints (S3 confirm, S5–S7). Each call may cost WeChat quota
 * (jscode2session, sns/oauth2) or money (getuserphonenumber), so every endpoint counts per client
 * IP and per appid before calling WeChat; the scenarios count per openid once WeChat has named
 * the person (`MINI_PROGRAM_LIMITS`). Counters are cluster-wide (`RateLimiter`).
 */
import type { RateLimiter, RateRule } from '../http/rate-limit.ts';

export const APP_LOGIN_LIMITS = {
  /** One device or NAT: generous enough for an office behind one address. */
  perIp: { name: 'app-login-ip', limit: 120, windowMs: 60_000 },
  /** One app's logins, well under WeChat's own per-app quota. */
  perAppid: { name: 'app-login-appid', limit: 5_000, windowMs: 60_000 },
  /** Token refresh and revocation: no WeChat cost, but each touches the database. */
  tokenPerIp: { name: 'token-ip', limit: 300, windowMs: 60_000 },
} satisfies Record<string, RateRule>;

/** Counts one call of an endpoint that talks to WeChat for `appid`. */
export async function limitAppLogin(limiter: RateLimiter, ip: string, appid: string): Promise<void> {
  await limiter.consumeAll([
    [APP_LOGIN_LIMITS.perIp, ip],
    [APP_LOGIN_LIMITS.perAppid, appid],
  ]);
}

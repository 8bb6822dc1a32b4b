/**
 * Rate limits shared by every instance (counters live in shared state, so a client cannot multiply
 * its allowance by hitting another instance). Each subject's window opens with its first call and
 * lasts `windowMs` (the counter expires then): one INCR per check, and, unlike windows aligned to
 * the clock, a burst cannot get twice the limit by straddling a boundary. Good enough for what
 * they guard here — WeChat quota, paid phone-number calls and guessable codes. A refused call is a
 * 429 problem with `Retry-After` (the time left in the window).
 */
import { AppError } from '@weunion/errors';
import type { SharedState } from '@weunion/state';

export interface RateRule {
  /** Name of what is limited, e.g. `mp-login` (part of the key and of the error). */
  name: string;
  limit: number;
  windowMs: number;
}

export class RateLimiter {
  readonly #state: SharedState;

  constructor(state: SharedState) {
    this.#state = state;
  }

  /**
   * Counts one call of `subject` (an IP, an appid, an openid…) against `rule`; throws a
   * `rate_limited` AppError with `retryAfterSeconds` once the window's limit is passed.
   */
  async consume(rule: RateRule, subject: string): Promise<{ remaining: number }> {
    const key = `rate:${rule.name}:${subject}`;
    const count = await this.#state.increment(key, { ttlMs: rule.windowMs });
    if (count > rule.limit) {
      const left = (await this.#state.ttl(key)) ?? rule.windowMs;
      const retryAfterSeconds = Math.max(1, Math.ceil(left / 1000));
      throw new AppError('rate_limited', `Too many requests (${rule.name}); try again in ${retryAfterSeconds} s`, {
        details: { retryAfterSeconds, limit: rule.limit },
      });
    }
    return { remaining: rule.limit - count };
  }

  /** Checks several rules (e.g. per IP and per appid); all must pass. */
  async consumeAll(checks: [RateRule, string][]): Promise<void> {
    for (const [rule, subject] of checks) await this.consume(rule, subject);
  }
}

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

/** The shared-state key counting `rule` for `subject` (deleting it lifts the limit at once). */
export function rateKey(rule: RateRule, subject: string): string {
  return `rate:${rule.name}:${subject}`;
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
    return this.consumeAll([[rule, subject]]).then((remaining) => ({ remaining: remaining[0] ?? 0 }));
  }

  /**
   * Checks several rules (e.g. per IP, then per appid); all must pass. A call refused by one rule
   * uses up none of the others: what it counted is given back. So a client over its per-IP limit
   * cannot spend an app's shared budget, and an app out of budget does not eat the client's.
   * (Give-back is an INCR by -1: should a window end between the two, the new window starts at
   * -1, one call more — far better than the other way round.)
   */
  async consumeAll(checks: [RateRule, string][]): Promise<number[]> {
    // One step for all the rules (one transaction / round trip): a login checks up to three.
    const counters = checks.map(([rule, subject]) => ({ key: rateKey(rule, subject), ttlMs: rule.windowMs }));
    const counts = await this.#state.incrementAll(counters);
    const refused = checks.findIndex(([rule], i) => (counts[i] ?? 0) > rule.limit);
    if (refused >= 0) {
      const [rule] = checks[refused] as [RateRule, string];
      const left = (await this.#state.ttl(counters[refused]?.key ?? '')) ?? rule.windowMs;
      await this.#state.incrementAll(counters.map((counter) => ({ ...counter, by: -1 })));
      const retryAfterSeconds = Math.max(1, Math.ceil(left / 1000));
      throw new AppError('rate_limited', `Too many requests (${rule.name}); try again in ${retryAfterSeconds} s`, {
        details: { retryAfterSeconds, limit: rule.limit },
      });
    }
    return checks.map(([rule], i) => rule.limit - (counts[i] ?? 0));
  }
}

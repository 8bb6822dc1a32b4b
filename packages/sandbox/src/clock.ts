/**
 * The sandbox's notion of "now". Real time plus an offset that tests move forward through the
 * control API (`POST /_sandbox/clock`), so expiry of codes and tokens (minutes, days) is tested
 * without waiting. Nothing in the sandbox reads `Date.now()` for lifetimes; it asks the clock.
 */
export class SandboxClock {
  #offsetMs = 0;

  /** Milliseconds since the epoch, as the virtual world sees them. */
  now(): number {
    return Date.now() + this.#offsetMs;
  }

  /** Seconds since the epoch (WeChat's `CreateTime`, `timestamp`, watermark). */
  nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  advance(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError('the clock only moves forward');
    this.#offsetMs += seconds * 1000;
  }

  get offsetSeconds(): number {
    return this.#offsetMs / 1000;
  }

  reset(): void {
    this.#offsetMs = 0;
  }
}

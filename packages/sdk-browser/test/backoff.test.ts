/** The reconnection backoff: grows by doubling, stays jittered within its band, never exceeds its cap. */
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/qr-login.ts';

describe('backoffDelay', () => {
  it('waits 50–100 % of 0.5 s · 2^attempt, capped at 10 s, whatever the attempt count', () => {
    expect([0, 1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, () => 1))).toEqual([500, 1000, 2000, 4000, 8000, 10_000]);
    expect([0, 1, 5].map((attempt) => backoffDelay(attempt, () => 0))).toEqual([250, 500, 5000]);
    for (const attempt of [6, 30, 1000, Number.MAX_SAFE_INTEGER]) {
      expect(backoffDelay(attempt, () => 1)).toBe(10_000);
      expect(backoffDelay(attempt, () => 0)).toBe(5000);
    }
  });
});

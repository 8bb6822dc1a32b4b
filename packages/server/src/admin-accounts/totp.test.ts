import { MemorySharedState } from '@weunion/state';
import { describe, expect, it } from 'vitest';
import { consumeTotpCode, matchTotpStep, newTotpSecret, totpCode, totpUri } from './totp.ts';

/** RFC 6238 appendix B: the SHA-1 seed "12345678901234567890", base32. */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('TOTP', () => {
  // The RFC's 8-digit values; a 6-digit code is the same number modulo 10^6.
  it.each([
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ])('matches the RFC 6238 SHA-1 vector at T=%i', (seconds, expected) => {
    expect(totpCode(RFC_SECRET, seconds * 1000)).toBe(expected.slice(-6));
  });

  it('accepts the previous and next step for clock drift, not two steps away', () => {
    const now = 1_234_567_890_000;
    const step = Math.floor(now / 30_000);
    expect(matchTotpStep(RFC_SECRET, totpCode(RFC_SECRET, now - 30_000), now)).toBe(step - 1);
    expect(matchTotpStep(RFC_SECRET, totpCode(RFC_SECRET, now + 30_000), now)).toBe(step + 1);
    expect(matchTotpStep(RFC_SECRET, totpCode(RFC_SECRET, now - 60_000), now)).toBeNull();
    expect(matchTotpStep(RFC_SECRET, 'abcdef', now)).toBeNull();
  });

  it('a code is accepted once per account, and never an older one after a newer', async () => {
    const state = new MemorySharedState();
    const secret = newTotpSecret();
    const now = 1_700_000_000_000;
    const code = totpCode(secret, now);
    expect(await consumeTotpCode(state, 'adm_a', secret, code, now)).toBe(true);
    expect(await consumeTotpCode(state, 'adm_a', secret, code, now)).toBe(false);
    expect(await consumeTotpCode(state, 'adm_b', secret, code, now)).toBe(true);
    expect(await consumeTotpCode(state, 'adm_a', secret, totpCode(secret, now - 30_000), now)).toBe(false);
    expect(await consumeTotpCode(state, 'adm_a', secret, totpCode(secret, now + 30_000), now + 30_000)).toBe(true);
  });

  it('of two concurrent uses of one code exactly one wins', async () => {
    const state = new MemorySharedState();
    const secret = newTotpSecret();
    const now = Date.now();
    const code = totpCode(secret, now);
    const results = await Promise.all(Array.from({ length: 5 }, () => consumeTotpCode(state, 'adm_c', secret, code, now)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('the otpauth URI names the issuer, account and parameters', () => {
    const uri = new URL(totpUri(RFC_SECRET, 'alice'));
    expect(uri.protocol).toBe('otpauth:');
    expect(decodeURIComponent(uri.pathname)).toContain('weunion:alice');
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({
      secret: RFC_SECRET,
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
      issuer: 'weunion',
    });
  });
});

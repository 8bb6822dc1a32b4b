import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkReturnTo, returnToOrNull } from './return-to.ts';

const SERVICE = 'https://login.example.com';
const SEED = 20261207;

/** Where a browser given `location` on a page of the service ends up (WHATWG URL parsing, as browsers do). */
function landing(location: string): URL {
  return new URL(location, `${SERVICE}/some/page?x=1`);
}

describe('checkReturnTo', () => {
  it.each([
    '/.//evil.example',
    '/..//evil.example',
    '/%2e%2e//evil.example',
    '/%2E.//evil.example',
    '/a/..//evil.example',
    '/./%2e/..//evil.example',
    '//evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    ' //evil.example',
    'https://evil.example/',
    'https://login.example.com.evil.example/',
    'https://login.example.com@evil.example/',
    'https://user:pass@login.example.com/',
    'javascript:alert(1)',
    'data:text/html,hi',
    'http://login.example.com/',
    `/${'a'.repeat(2000)}`,
  ])('refuses %#: %.40s', (value) => {
    expect(() => checkReturnTo(value, SERVICE)).toThrowError(/returnTo/);
  });

  it.each([
    [undefined, '/'],
    ['', '/'],
    ['/app', '/app'],
    ['/app/../next?x=1#top', '/next?x=1#top'],
    ['/a b', '/a%20b'],
    ['/ünï', '/%C3%BCn%C3%AF'],
    ['https://login.example.com/deep/path?q', '/deep/path?q'],
  ])('accepts %j as %j', (value, expected) => {
    expect(checkReturnTo(value, SERVICE)).toBe(expected);
  });

  it('another origin is accepted only when allowed, and then in full', () => {
    expect(() => checkReturnTo('https://app.example/done', SERVICE)).toThrow();
    const allowed = { allowedOrigins: ['https://app.example'] };
    expect(checkReturnTo('https://app.example/done?x#y', SERVICE, allowed)).toBe('https://app.example/done?x#y');
    expect(checkReturnTo('/app', SERVICE, allowed)).toBe('/app');
    expect(() => checkReturnTo('https://app.example.evil/done', SERVICE, allowed)).toThrow();
    expect(() => checkReturnTo('//app.example.evil/done', SERVICE, allowed)).toThrow();
    expect(() => checkReturnTo('http://app.example/done', SERVICE, allowed)).toThrow();
  });

  it('falls back to null instead of throwing where a page must render anyway', () => {
    expect(returnToOrNull('/.//evil.example', SERVICE)).toBeNull();
    expect(returnToOrNull('/ok', SERVICE)).toBe('/ok');
  });

  // The property: whatever the input, an accepted return-to lands a browser on the service (or an
  // allowed origin), and checking the result again gives the result (it is a fixed point).
  const pieces = fc.constantFrom(
    '/',
    '//',
    '.',
    '..',
    '%2e',
    '%2E',
    '%2e%2e',
    '.%2e',
    '\\',
    '%5c',
    '%2f',
    '\t',
    '\n',
    '\r',
    ' ',
    '\u0000',
    '@',
    ':',
    '?',
    '#',
    '%',
    '%%',
    'evil.example',
    'login.example.com',
    'https:',
    'javascript:',
    '\u3002',
    '\uff0f',
    '\u2215',
    '\u0130',
    '\ud800',
    'a',
    '\u00e9',
  );
  const candidate = fc.oneof(
    fc.array(pieces, { maxLength: 12 }).map((parts) => parts.join('')),
    fc.array(pieces, { maxLength: 12 }).map((parts) => `/${parts.join('')}`),
    fc.tuple(fc.array(pieces, { maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 12 })).map(([p, s]) => `/${p.join('')}${s}`),
  );

  it('no accepted value leaves the origin (property, seeded)', () => {
    const allowedOrigins = ['https://app.example'];
    fc.assert(
      fc.property(candidate, fc.boolean(), (value, withAllowlist) => {
        const options = withAllowlist ? { allowedOrigins } : {};
        const result = returnToOrNull(value, SERVICE, options);
        if (result === null) return;
        const target = landing(result);
        const origins = withAllowlist ? [SERVICE, ...allowedOrigins] : [SERVICE];
        expect(origins, `${JSON.stringify(value)} → ${result}`).toContain(target.origin);
        expect(checkReturnTo(result, SERVICE, options)).toBe(result);
        expect(result).not.toMatch(/^\/\/|^\/\\|\s/);
      }),
      { seed: SEED, numRuns: 20_000 },
    );
  });
});

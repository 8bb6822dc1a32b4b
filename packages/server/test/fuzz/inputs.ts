/**
 * What the fuzzer sends: a seeded random source, the values no client should send, and the
 * mutations that turn a plausible request into a hostile one. Everything is drawn from `Random`,
 * so one seed always makes the same requests.
 */

/** mulberry32: small, fast and good enough to pick test inputs; the same seed, the same stream. */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)] as T;
  }
}

/** Strings no honest client sends, each aimed at a layer: storage, URL handling, HTML, parsers. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\ud83d',
  '\uffff',
  '\ufeff',
  '\u202e',
  '😀',
  'é'.repeat(3000),
  '%',
  '%00',
  '%zz',
  '%E0%A4%A',
  "' OR '1'='1",
  '"; DROP TABLE users; --',
  "1' UNION SELECT password FROM users --",
  '../../etc/passwd',
  '..%2f..%2f',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as text
  '${7*7}',
  '{{7*7}}',
  '\r\nSet-Cookie: x=y',
  '\t',
  'null',
  'undefined',
  '0',
  '-1',
  '1e309',
  'NaN',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'toString',
  '\\',
  '/',
  '//evil.example',
  '/.//evil.example',
  'javascript:alert(1)',
  'wx',
  'wxd00000000000a001',
  'wx0000000000000000000000000000000',
  'usr_',
  'a'.repeat(300),
  'b'.repeat(70_000),
  '+8613900000000',
  'x@y',
];

export const WRONG_TYPES: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  [],
  [1, 'two'],
  {},
  { nested: { deeper: [null] } },
];

export function randomString(random: Random): string {
  const length = random.pick([1, 5, 20, 64, 200]);
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(random.chance(0.8) ? 0x20 + random.int(0x5f) : random.int(0x10000));
  return text;
}

export function nastyValue(random: Random): unknown {
  const roll = random.next();
  if (roll < 0.55) return random.pick(NASTY_STRINGS);
  if (roll < 0.85) return random.pick(WRONG_TYPES);
  return randomString(random);
}

/** `[[[…]]]` or `{"a":{"a":…}}` nested `depth` levels. */
export function nestedJson(depth: number, random: Random): string {
  return random.chance(0.5) ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Bodies that are not what they claim to be. */
export function garbageBody(random: Random): string {
  return random.pick([
    '{',
    '{"a":',
    '}',
    'null',
    '[]',
    '"text"',
    '1e999',
    '\ufeff{}',
    '{"a":1,"a":2}',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    'a=1&b=2',
    '<xml><ToUserName>x</ToUserName></xml>',
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml>&e;</xml>',
    '\u0000\u0001\u0002',
    '--boundary\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--boundary--',
    randomString(random),
  ]);
}

export const CONTENT_TYPES: readonly (string | undefined)[] = [
  undefined,
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=boundary',
  'text/xml',
  'application/xml',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/octet-stream',
  'application/json-patch+json',
  'application/problem+json',
  '*/*',
  'application/json;;;',
  'x',
];

/** Header values a client may send (Node only sends tab, printable ASCII and Latin-1 bytes). */
export function headerSafe(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (code === 9 || (code >= 0x20 && code <= 0x7e) || (code >= 0x80 && code <= 0xff)) out += char;
  }
  return out;
}

export function oddCookie(random: Random): string {
  return random.pick([
    'a=%',
    'a=%zz; b=%E0%A4%A',
    'wu_session=%',
    'wu_session=x%00y',
    'wu_browser=%ff',
    'wu_pending=; wu_pending=x',
    `wu_console=${'x'.repeat(5000)}`,
    '=;=;;;',
    'a',
    'wu_session="quoted"',
    `wu_ticket_x=${encodeURIComponent('\u00e9')}`,
    headerSafe(randomString(random)),
  ]);
}

export function oddAuthorization(random: Random, key: string): string {
  return random.pick([
    'Bearer',
    'Bearer ',
    `Bearer ${key}x`,
    `bearer ${key}`,
    'Basic Og==',
    `Bearer ${'a'.repeat(5000)}`,
    'Bearer wu_%00',
    'Bearer wu_\u00ff',
  ]);
}

/** A path segment: a plausible id, or something hostile, percent-encoded or raw. */
export function oddSegment(random: Random): string {
  return random.pick([
    '%00',
    '%',
    '%zz',
    '%ED%A0%80',
    '..%2F..%2F',
    '%2e%2e',
    encodeURIComponent('\u0000x'),
    encodeURIComponent('😀'),
    'a'.repeat(2000),
    '-1',
    '0',
    'null',
    encodeURIComponent("' OR 1=1 --"),
    encodeURIComponent(randomString(random).toWellFormed()),
  ]);
}

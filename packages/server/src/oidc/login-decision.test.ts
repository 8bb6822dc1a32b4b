/**
 * The rules of the `login` prompt as a table: which reasons the current weunion session answers,
 * and which need the person to log in with WeChat again.
 */
import { describe, expect, it } from 'vitest';
import type { LoginSession } from '../login/sessions.ts';
import { decideLogin } from './login-decision.ts';

const NOW = 1_800_000_000_000;
const session: LoginSession = { userId: 'usr_a', methods: ['s2'], createdAt: NOW - 60_000, expiresAt: NOW + 3600_000 };
const hint = (sub: string) => `e30.${Buffer.from(JSON.stringify({ sub })).toString('base64url')}.sig`;
const options = { freshForInteraction: false, servesApplication: true, now: NOW };

const table: {
  name: string;
  reasons: string[];
  details?: Record<string, unknown>;
  fresh?: boolean;
  expected: 'finish' | 'login' | 'refuse';
}[] = [
  { name: 'no provider session: the weunion session answers', reasons: ['no_session'], expected: 'finish' },
  { name: 'prompt=login: never the session that existed before', reasons: ['login_prompt'], expected: 'login' },
  { name: 'prompt=login: a login made for this interaction answers', reasons: ['login_prompt'], fresh: true, expected: 'finish' },
  { name: 'max_age older than the login: answers', reasons: ['max_age'], details: { max_age: 120 }, expected: 'finish' },
  { name: 'max_age younger than the login: log in again', reasons: ['max_age'], details: { max_age: 30 }, expected: 'login' },
  { name: 'max_age that is not a number: log in again', reasons: ['max_age'], details: { max_age: 'soon' }, expected: 'login' },
  {
    name: 'id_token_hint of this person: answers',
    reasons: ['id_token_hint'],
    details: { id_token_hint: hint('usr_a') },
    expected: 'finish',
  },
  {
    name: 'id_token_hint of someone else: log in',
    reasons: ['id_token_hint'],
    details: { id_token_hint: hint('usr_b') },
    expected: 'login',
  },
  { name: 'id_token_hint unreadable: log in', reasons: ['id_token_hint'], details: { id_token_hint: 'x' }, expected: 'login' },
  {
    name: 'claims sub value of this person',
    reasons: ['claims_id_token_sub_value'],
    details: { sub: { value: 'usr_a' } },
    expected: 'finish',
  },
  {
    name: 'claims sub value of someone else',
    reasons: ['claims_id_token_sub_value'],
    details: { sub: { value: 'usr_b' } },
    expected: 'login',
  },
  {
    name: 'essential acr wechat: answers',
    reasons: ['essential_acr'],
    details: { acr: { essential: true, value: 'wechat' } },
    expected: 'finish',
  },
  {
    name: 'essential acr weunion never gives: refused',
    reasons: ['essential_acrs'],
    details: { acr: { essential: true, values: ['gold'] } },
    expected: 'refuse',
  },
  {
    name: 'essential acr refused even right after a login',
    reasons: ['essential_acr'],
    details: { acr: { value: 'gold' } },
    fresh: true,
    expected: 'refuse',
  },
  { name: 'a reason this code does not know: log in', reasons: ['something_new'], expected: 'login' },
  {
    name: 'several reasons: the strictest wins',
    reasons: ['no_session', 'max_age', 'login_prompt'],
    details: { max_age: 3600 },
    expected: 'login',
  },
];

describe('decideLogin', () => {
  for (const row of table) {
    it(row.name, () => {
      const decision = decideLogin({ reasons: row.reasons, details: row.details ?? {} }, session, {
        ...options,
        freshForInteraction: row.fresh ?? false,
      });
      expect(decision.kind).toBe(row.expected);
    });
  }

  it('no session, or a session the application does not accept: log in', () => {
    expect(decideLogin({ reasons: ['no_session'], details: {} }, null, options).kind).toBe('login');
    expect(decideLogin({ reasons: ['no_session'], details: {} }, session, { ...options, servesApplication: false }).kind).toBe('login');
  });

  it('the login it finishes carries the WeChat login time, the scenario and the ACR', () => {
    const decision = decideLogin({ reasons: ['no_session'], details: {} }, session, options);
    expect(decision).toEqual({
      kind: 'finish',
      login: { accountId: 'usr_a', ts: Math.floor(session.createdAt / 1000), amr: ['s2', 'wechat'], acr: 'wechat' },
    });
  });
});

/** The SMS login rule as a table: who a verified phone signs in as, under which policy. */
import { describe, expect, it } from 'vitest';
import { resolvePhoneLogin, smsLoginPolicy } from './phone-sign-in.ts';
import type { KnownUser } from './resolve.ts';

const active: KnownUser = { id: 'usr_a', status: 'active' };

describe('resolvePhoneLogin', () => {
  const cases: [string, KnownUser | null, Parameters<typeof smsLoginPolicy>[0], ReturnType<typeof resolvePhoneLogin>['kind'], string?][] = [
    ['an active holder, default SMS policy', active, {}, 'existing'],
    ['an active holder, the app does not match by phone', active, { fieldMatching: [] }, 'refuse', 'phone_not_matched'],
    ['a blocked holder', { id: 'usr_b', status: 'blocked' }, {}, 'refuse', 'account_blocked'],
    ['a merged-away holder', { id: 'usr_m', status: 'merged' }, {}, 'refuse', 'account_unavailable'],
    ['nobody, registration open', null, {}, 'create'],
    ['nobody, binding offered (creating stays possible)', null, { queryBinding: 'offer' }, 'create'],
    ['nobody, registration closed', null, { registration: 'deny' }, 'refuse', 'registration_closed'],
    ['nobody, binding required', null, { queryBinding: 'require' }, 'refuse', 'binding_required'],
    ['a known number under binding required still signs in', active, { queryBinding: 'require' }, 'existing'],
  ];
  for (const [name, owner, policy, kind, reason] of cases) {
    it(name, () => {
      const decision = resolvePhoneLogin(owner, smsLoginPolicy(policy));
      expect(decision.kind).toBe(kind);
      if (reason !== undefined) expect(decision).toMatchObject({ reason });
      if (decision.kind === 'existing') expect(decision.userId).toBe(owner?.id);
    });
  }
});

/**
 * Issue #13's own stories, scripted through the same model: each is a sequence of steps the issue
 * describes, checked against the rule group it breaks today. They are the fixed points the random
 * sequences of identity-model.test.ts must also find, and they document the rules by example.
 */
import type { IdentityPolicy } from '../../packages/server/src/identity/policy.ts';
import type { Group, Runner } from './model.ts';

export interface Example {
  title: string;
  group: Group;
  policy: Partial<IdentityPolicy>;
  play(r: Runner): Promise<void>;
}

export const EXAMPLES: Example[] = [
  {
    title: 'item 1: a recycled phone does not let its new holder into the old holder’s account (fieldMatching [phone], S5)',
    group: 'stranger',
    policy: { fieldMatching: ['phone'] },
    async play(r) {
      await r.addPerson(true);
      await r.addPerson(false);
      await r.login(0, 's5', true, 0);
      await r.recyclePhone(0, 1, true);
      await r.login(1, 's5', true, 0);
    },
  },
  {
    title: 'item 3: after the late mini program is bound, the person’s next login offers both accounts (select)',
    group: 'quadrant3',
    policy: {},
    async play(r) {
      await r.addPerson(false);
      await r.login(0, 's2', false, 0);
      await r.login(0, 's5-late', false, 0);
      await r.bindLateInWechat();
      await r.bindLateConnection();
      await r.login(0, 's5-late', false, 0);
      await r.login(0, 's2', false, 0);
      await r.login(0, 's3', false, 0);
    },
  },
  {
    title: 'item 3: … onMultipleMatches refuse refuses it',
    group: 'quadrant3',
    policy: { onMultipleMatches: 'refuse' },
    async play(r) {
      await r.addPerson(false);
      await r.login(0, 's2', false, 0);
      await r.login(0, 's5-late', false, 0);
      await r.bindLateInWechat();
      await r.bindLateConnection();
      await r.login(0, 's5-late', false, 0);
    },
  },
  {
    title: 'item 3: … autoMergeOnUnionid merges, and every scenario then agrees',
    group: 'agree',
    policy: { autoMergeOnUnionid: true },
    async play(r) {
      await r.addPerson(false);
      await r.login(0, 's2', false, 0);
      await r.login(0, 's5-late', false, 0);
      await r.bindLateInWechat();
      await r.bindLateConnection();
      await r.login(0, 's5-late', false, 0);
      for (const s of ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's5-late'] as const) await r.login(0, s, false, 0);
    },
  },
  {
    title: 'item 4: choosing the phone’s account at a selection takes the person’s unionid along (all scenarios agree)',
    group: 'agree',
    policy: { fieldMatching: ['phone'] },
    async play(r) {
      await r.addPerson(true);
      await r.login(0, 's2', false, 0);
      await r.adminAccount(0);
      await r.login(0, 's5', true, 1);
      for (const s of ['s1', 's2', 's3', 's4', 's5', 's6', 's7'] as const) await r.login(0, s, false, 0);
    },
  },
  {
    title: 'item 5: bound in WeChat first, then on the connection: the person seen meanwhile is reconciled at the next login',
    group: 'quadrant3',
    policy: {},
    async play(r) {
      await r.addPerson(false);
      await r.login(0, 's6', false, 0);
      await r.bindLateInWechat();
      await r.login(0, 's5-late', false, 0);
      await r.bindLateConnection();
      await r.login(0, 's6', false, 0);
    },
  },
  {
    title: 'item 7: an app channel that offers binding by SMS can send the code (S5, S6, S7)',
    group: 'binding',
    policy: { queryBinding: 'require', bindingMethods: ['sms'] },
    async play(r) {
      await r.addPerson(true);
      await r.login(0, 's5', false, 0);
      await r.login(0, 's6', false, 0);
      await r.login(0, 's7', false, 0);
    },
  },
  {
    title: 'item 2: binding by password to an account that holds another person’s openid in the app is refused',
    group: 'binding',
    policy: { queryBinding: 'require', bindingMethods: ['password'] },
    async play(r) {
      await r.addPerson(true);
      await r.addPerson(true);
      await r.adminAccount(0);
      await r.login(0, 's2', false, 0);
      await r.login(1, 's2', false, 1);
    },
  },
  {
    title: 'item 9: with registration closed on the mobile app, S7 from that app creates no account either',
    group: 'quadrant3',
    policy: {},
    async play(r) {
      await r.addPerson(false);
      await r.setPolicy('app', { registration: 'deny' });
      await r.login(0, 's6', false, 0);
      await r.login(0, 's7', false, 0);
    },
  },
  {
    title: 'item 6: merging keeps the verified phone on the merged account; undo restores both exactly',
    group: 'merge',
    policy: {},
    async play(r) {
      await r.addPerson(true);
      await r.login(0, 's5-late', true, 0);
      await r.login(0, 's2', false, 0);
      await r.merge(0, 1);
      await r.undoLastMerge();
    },
  },
  {
    title: 'item 10: a second mini program of the same Open Platform account does not buy the phone again',
    group: 'billing',
    policy: {},
    async play(r) {
      await r.addPerson(true);
      await r.bindLateInWechat();
      await r.bindLateConnection();
      await r.login(0, 's5', true, 0);
      await r.login(0, 's3', true, 0);
      await r.login(0, 's7', true, 0);
      await r.login(0, 's5-late', true, 0);
    },
  },
  {
    title: 'item 10: concurrent first logins of one person buy the phone once',
    group: 'billing',
    policy: {},
    async play(r) {
      await r.addPerson(true);
      await r.concurrentFirstLogins(0, 3);
    },
  },
  {
    title: 'item 10: a phone that belongs to another account is not bought again at every login (field matching off)',
    group: 'billing',
    policy: {},
    async play(r) {
      await r.addPerson(true);
      await r.adminAccount(0);
      await r.login(0, 's5', true, 0);
      await r.login(0, 's5', true, 0);
    },
  },
  {
    title: 'item 10: a login refused because the account is blocked buys no phone',
    group: 'billing',
    policy: {},
    async play(r) {
      await r.addPerson(true);
      await r.login(0, 's6', false, 0);
      await r.block(0, true);
      await r.login(0, 's5', true, 0);
    },
  },
];

import { MemorySharedState } from '@weunion/state';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';
import type { IdentityAssertion } from './assertion.ts';
import { SYSTEM_ACTOR } from './audit.ts';
import { BindingAttempts, bindingSubjects } from './binding-attempts.ts';
import {
  completeBindingWithCode,
  completeBindingWithPassword,
  completeSelection,
  createInsteadOfBinding,
  describePendingSignIn,
  type IdentityDeps,
  maskEmail,
  maskPhone,
  sendBindingCode,
  signIn,
} from './pending-sign-in.ts';
import { DEFAULT_POLICY, type IdentityPolicy } from './policy.ts';
import { createUser } from './users.ts';
import { type CodeMessage, createLogCodeSender, VerificationCodes } from './verification-codes.ts';

const policy = (overrides: Partial<IdentityPolicy> = {}): IdentityPolicy => ({ ...DEFAULT_POLICY, ...overrides });
let sequence = 0;
const newcomer = (extra: Partial<IdentityAssertion> = {}): IdentityAssertion => {
  sequence += 1;
  return { appid: 'wx_mp', appType: 'mini_program', openPlatformId: 'op_test', openid: `o_pending_${sequence}`, ...extra };
};
const phoneNumber = () => {
  sequence += 1;
  return `+8613700${String(sequence).padStart(6, '0')}`;
};

describe('masking what the selection page shows', () => {
  it('hides the middle four digits of a phone (138****0001), and all but the first letter and domain of an email', () => {
    expect(maskPhone('+8613800000001')).toBe('+86138****0001');
    expect(maskEmail('alice@example.com')).toBe('a***@example.com');
  });
});

describe('verification codes', () => {
  const capture = () => {
    const sent: CodeMessage[] = [];
    return { sent, sender: { send: async (m: CodeMessage) => void sent.push(m) } };
  };

  it('of many concurrent checks of the right code, exactly one succeeds', async () => {
    const { sent, sender } = capture();
    const codes = new VerificationCodes(new MemorySharedState(), sender, { maxAttempts: 50 });
    await codes.send('binding', 'sms', '+8613800000009');
    const code = sent[0]?.code ?? '';
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => codes.verify('binding', 'sms', '+8613800000009', code)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('after too many wrong codes even the right one is refused', async () => {
    const { sent, sender } = capture();
    const codes = new VerificationCodes(new MemorySharedState(), sender, { maxAttempts: 3 });
    await codes.send('binding', 'email', 'a@example.com');
    for (let i = 0; i < 3; i++)
      await expect(codes.verify('binding', 'email', 'a@example.com', 'wrong')).rejects.toMatchObject({ code: 'verification_failed' });
    await expect(codes.verify('binding', 'email', 'a@example.com', sent[0]?.code ?? '')).rejects.toMatchObject({
      code: 'verification_attempts_exceeded',
    });
  });

  it('a second code to the same destination within the resend window is refused', async () => {
    const codes = new VerificationCodes(new MemorySharedState(), capture().sender);
    await codes.send('binding', 'sms', '+8613800000008');
    await expect(codes.send('binding', 'sms', '+8613800000008')).rejects.toMatchObject({ code: 'rate_limited' });
  });

  it('the log sender leaves the code out unless told to reveal it', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = { info: (details: Record<string, unknown>) => void lines.push(details) };
    const message = { channel: 'sms' as const, destination: '+8613800000007', code: '123456', purpose: 'binding' };
    await createLogCodeSender(logger, { revealCodes: false }).send(message);
    await createLogCodeSender(logger, { revealCodes: true }).send(message);
    expect(JSON.stringify(lines[0])).not.toContain('123456');
    expect(lines[1]).toMatchObject({ code: '123456' });
  });
});

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`selection and binding: ${backend.name}`, () => {
    let database: TestDatabase;
    let deps: IdentityDeps;
    const sent: CodeMessage[] = [];
    let codes: VerificationCodes;
    beforeAll(async () => {
      database = await backend.open();
      deps = { database, state: new MemorySharedState() };
      codes = new VerificationCodes(deps.state, { send: async (m) => void sent.push(m) });
    });
    afterAll(async () => {
      await database?.dispose();
    });
    const ledgerOf = async (userId: string) =>
      database.db.selectFrom('wechat_identities').select(['appid', 'openid']).where('user_id', '=', userId).execute();

    it("several matching accounts: the person picks one, and all their WeChat identities follow it (the choice is the person's, not one app's)", async () => {
      const phone = phoneNumber();
      const web = newcomer({ appid: 'wx_web', appType: 'website', unionid: `u_sel_${sequence}` });
      const byUnionidOpenid = web.openid;
      const byUnionid = await signIn(deps, web, policy());
      const byPhone = await createUser(
        database.db,
        { nickname: 'Phone owner', phoneNumber: phone, phoneNumberVerified: true },
        SYSTEM_ACTOR,
      );
      const assertion = newcomer({ unionid: `u_sel_${sequence - 1}`, phone });
      const outcome = await signIn(deps, assertion, policy({ fieldMatching: ['phone'] }));
      if (outcome.kind !== 'select' || byUnionid.kind !== 'signed_in') throw new Error(`expected a selection, got ${outcome.kind}`);
      expect(outcome.candidates.map((c) => [c.userId, c.via])).toEqual([
        [byUnionid.userId, ['unionid']],
        [byPhone.id, ['phone']],
      ]);
      expect(outcome.candidates[1]).toMatchObject({ nickname: 'Phone owner', maskedPhone: maskPhone(phone) });
      expect(JSON.stringify(outcome)).not.toContain(phone);
      expect(await describePendingSignIn(deps, outcome.pendingId)).toMatchObject({ kind: 'select', appid: 'wx_mp' });

      await expect(completeSelection(deps, outcome.pendingId, 'usr_not_offered')).rejects.toMatchObject({ code: 'bad_request' });
      const chosen = await completeSelection(deps, outcome.pendingId, byPhone.id);
      expect(chosen).toMatchObject({ kind: 'signed_in', userId: byPhone.id, via: 'selection', suggestionIds: [] });
      // The website identity under the same unionid moved too: byUnionid held nothing else, so it was merged (undoable).
      expect((await ledgerOf(byPhone.id)).map((r) => r.appid).sort()).toEqual(['wx_mp', 'wx_web']);
      const merged = await database.db
        .selectFrom('users')
        .select(['status', 'merged_into'])
        .where('id', '=', byUnionid.userId)
        .executeTakeFirstOrThrow();
      expect(merged).toEqual({ status: 'merged', merged_into: byPhone.id });
      const linked = await database.db
        .selectFrom('audit_log')
        .select(['after', 'actor_kind', 'actor_id'])
        .where('subject_id', '=', byPhone.id)
        .where('action', '=', 'identity.linked')
        .executeTakeFirstOrThrow();
      expect(linked).toMatchObject({ actor_kind: 'user', actor_id: byPhone.id });
      expect(JSON.parse(linked.after ?? '{}')).toMatchObject({ via: 'selection', openid: assertion.openid });
      await expect(completeSelection(deps, outcome.pendingId, byPhone.id)).rejects.toMatchObject({ code: 'login_expired' });
      // Next time the openid is known: straight in, no question.
      expect(await signIn(deps, assertion, policy({ fieldMatching: ['phone'] }))).toMatchObject({ kind: 'signed_in', userId: byPhone.id });
      // And the website, where the person first signed in, agrees.
      expect(
        await signIn(
          deps,
          { ...assertion, appid: 'wx_web', appType: 'website', openid: byUnionidOpenid },
          policy({ fieldMatching: ['phone'] }),
        ),
      ).toMatchObject({ kind: 'signed_in', userId: byPhone.id });
    });

    it('binding by password: a wrong password links nothing; the right one links the identity to that account, once', async () => {
      const phone = phoneNumber();
      const account = await createUser(
        database.db,
        { phoneNumber: phone, phoneNumberVerified: true, password: 'correct horse battery' },
        SYSTEM_ACTOR,
      );
      const outcome = await signIn(deps, newcomer(), policy({ queryBinding: 'require', bindingMethods: ['password'] }));
      if (outcome.kind !== 'bind') throw new Error(`expected binding, got ${outcome.kind}`);
      expect(outcome).toMatchObject({ methods: ['password'], mayCreateInstead: false });
      await expect(completeBindingWithPassword(deps, outcome.pendingId, { login: phone, password: 'wrong' })).rejects.toMatchObject({
        code: 'binding_failed',
      });
      await expect(
        completeBindingWithPassword(deps, outcome.pendingId, { login: '+8613999999990', password: 'correct horse battery' }),
      ).rejects.toMatchObject({
        code: 'binding_failed',
        message: 'No account matches these details',
      });
      expect(await ledgerOf(account.id)).toEqual([]);
      const bound = await completeBindingWithPassword(deps, outcome.pendingId, { login: phone, password: 'correct horse battery' });
      expect(bound).toMatchObject({ kind: 'signed_in', userId: account.id, via: 'binding', linked: true });
      await expect(
        completeBindingWithPassword(deps, outcome.pendingId, { login: phone, password: 'correct horse battery' }),
      ).rejects.toMatchObject({ code: 'login_expired' });
      await expect(createInsteadOfBinding(deps, outcome.pendingId)).rejects.toMatchObject({ code: 'login_expired' });
    });

    it('binding ends after five wrong answers with the target locked, and nothing is linked', async () => {
      const outcome = await signIn(deps, newcomer(), policy({ queryBinding: 'require' }));
      if (outcome.kind !== 'bind') throw new Error('expected binding');
      for (let i = 0; i < 4; i++) {
        await expect(
          completeBindingWithPassword(deps, outcome.pendingId, { login: '+8613999999991', password: 'guess' }),
        ).rejects.toMatchObject({ code: 'binding_failed' });
      }
      await expect(
        completeBindingWithPassword(deps, outcome.pendingId, { login: '+8613999999991', password: 'guess' }),
      ).rejects.toMatchObject({
        code: 'binding_locked',
        details: { retryAfterSeconds: 900 },
      });
      await expect(describePendingSignIn(deps, outcome.pendingId)).rejects.toMatchObject({ code: 'login_expired' });
    });

    it('binding by SMS code links to the account holding the verified phone', async () => {
      const phone = phoneNumber();
      const account = await createUser(database.db, { phoneNumber: phone, phoneNumberVerified: true }, SYSTEM_ACTOR);
      const outcome = await signIn(deps, newcomer(), policy({ queryBinding: 'offer', bindingMethods: ['sms'] }));
      if (outcome.kind !== 'bind') throw new Error('expected binding');
      await expect(
        sendBindingCode(deps, codes, outcome.pendingId, { channel: 'email', destination: 'a@example.com' }),
      ).rejects.toMatchObject({ code: 'bad_request' });
      await sendBindingCode(deps, codes, outcome.pendingId, { channel: 'sms', destination: phone });
      const code = sent.findLast((m) => m.destination === phone)?.code ?? '';
      await expect(
        completeBindingWithCode(deps, codes, outcome.pendingId, {
          channel: 'sms',
          destination: phone,
          code: code === '000000' ? '000001' : '000000',
        }),
      ).rejects.toMatchObject({
        code: 'verification_failed',
      });
      const bound = await completeBindingWithCode(deps, codes, outcome.pendingId, { channel: 'sms', destination: phone, code });
      expect(bound).toMatchObject({ kind: 'signed_in', userId: account.id, via: 'binding' });
    });

    it('declining to bind creates an account when the policy offers it, and is refused when binding is required', async () => {
      const offered = await signIn(deps, newcomer(), policy({ queryBinding: 'offer' }));
      if (offered.kind !== 'bind') throw new Error('expected binding');
      expect(offered.mayCreateInstead).toBe(true);
      expect(await createInsteadOfBinding(deps, offered.pendingId)).toMatchObject({ kind: 'signed_in', created: true });

      const required = await signIn(deps, newcomer(), policy({ queryBinding: 'require' }));
      if (required.kind !== 'bind') throw new Error('expected binding');
      await expect(createInsteadOfBinding(deps, required.pendingId)).rejects.toMatchObject({ code: 'forbidden' });
    });

    it('binding to a blocked account is refused and links nothing', async () => {
      const phone = phoneNumber();
      const account = await createUser(
        database.db,
        { phoneNumber: phone, phoneNumberVerified: true, password: 'correct horse battery' },
        SYSTEM_ACTOR,
      );
      await database.db.updateTable('users').set({ status: 'blocked' }).where('id', '=', account.id).execute();
      const outcome = await signIn(deps, newcomer(), policy({ queryBinding: 'require' }));
      if (outcome.kind !== 'bind') throw new Error('expected binding');
      expect(await completeBindingWithPassword(deps, outcome.pendingId, { login: phone, password: 'correct horse battery' })).toMatchObject(
        {
          kind: 'refused',
          reason: 'account_blocked',
        },
      );
      expect(await ledgerOf(account.id)).toEqual([]);
    });
  });
}

describe('binding attempts across sign-ins', () => {
  const assertion = (): IdentityAssertion => newcomer({ unionid: `u_${sequence}` });
  const rules = { failures: 3, windowMs: 60_000, firstLockMs: 40, maxLockMs: 100, escalationMs: 60_000 };

  /** Waits (bounded) until the subjects are open again: lock lengths here are tens of milliseconds. */
  async function untilOpen(attempts: BindingAttempts, subjects: ReturnType<typeof bindingSubjects>): Promise<void> {
    for (let i = 0; i < 200; i++) {
      try {
        return await attempts.assertOpen(subjects);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    throw new Error('the lock never ended');
  }

  it('each lock within the escalation window doubles, up to the maximum; the subject is refused while locked', async () => {
    const attempts = new BindingAttempts(new MemorySharedState(), rules);
    const subjects = bindingSubjects({ kind: 'phone', value: phoneNumber() }, assertion());
    const lengths: number[] = [];
    for (let lock = 0; lock < 4; lock++) {
      for (let i = 0; i < rules.failures - 1; i++) expect(await attempts.recordFailure(subjects)).toEqual([]);
      const locks = await attempts.recordFailure(subjects);
      // The target, the openid and the unionid all reached the limit together.
      expect(locks.map((l) => l.subject.kind)).toEqual(['target', 'wechat_identity', 'wechat_identity']);
      lengths.push(locks[0]?.lockMs ?? 0);
      await expect(attempts.assertOpen(subjects)).rejects.toMatchObject({ code: 'binding_locked' });
      await untilOpen(attempts, subjects);
    }
    expect(lengths).toEqual([40, 80, 100, 100]);
  });

  it('concurrent failures crossing the limit lock once', async () => {
    const attempts = new BindingAttempts(new MemorySharedState(), rules);
    const subjects = bindingSubjects({ kind: 'email', value: 'x@example.com' }, assertion());
    const results = await Promise.all(Array.from({ length: 10 }, () => attempts.recordFailure(subjects)));
    expect(results.flat().filter((l) => l.subject.kind === 'target')).toHaveLength(1);
  });

  it('a success starts the count afresh; another WeChat identity and another target count apart', async () => {
    const attempts = new BindingAttempts(new MemorySharedState(), rules);
    const person = assertion();
    const phone = phoneNumber();
    const subjects = bindingSubjects({ kind: 'phone', value: phone }, person);
    await attempts.recordFailure(subjects);
    await attempts.recordFailure(subjects);
    await attempts.recordSuccess(subjects);
    expect(await attempts.recordFailure(subjects)).toEqual([]);
    expect(await attempts.recordFailure(bindingSubjects({ kind: 'phone', value: phoneNumber() }, assertion()))).toEqual([]);
  });
});

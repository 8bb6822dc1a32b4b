/**
 * The binding-attempt limits against a reference model: random sequences of attempts by a few
 * WeChat identities at a few targets (fixed seeds; a failing seed and step are printed), in memory
 * and on Redis when REDIS_URL is set. After every step the real limiter and the model agree on
 * who is refused, what a failure locks, and that no subject ever gets more than `failures` tries
 * between locks.
 */
import { randomUUID } from 'node:crypto';
import { MemorySharedState, openSharedState, type SharedState } from '@weunion/state';
import { describe, expect, it } from 'vitest';
import type { IdentityAssertion } from './assertion.ts';
import { type BindingAttemptRules, BindingAttempts, bindingSubjects } from './binding-attempts.ts';

/** Locks never end during a run: the model has no clock, and neither does the test. */
const RULES: BindingAttemptRules = {
  failures: 5,
  windowMs: 3_600_000,
  firstLockMs: 3_600_000,
  maxLockMs: 7_200_000,
  escalationMs: 86_400_000,
};
const SEEDS = [1, 2, 3, 42, 2024, 77_777];
const STEPS = 120;

/** mulberry32: a tiny seeded generator, so a failing run can be replayed from its seed. */
function generator(seed: number): (below: number) => number {
  let a = seed >>> 0;
  return (below) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4_294_967_296) * below);
  };
}

const people: IdentityAssertion[] = [
  { appid: 'wx_web', appType: 'website', openPlatformId: 'op', openid: 'o_web_1', unionid: 'u_1' },
  // The same person through another app: the unionid is shared, the openid is not.
  { appid: 'wx_mp', appType: 'mini_program', openPlatformId: 'op', openid: 'o_mp_1', unionid: 'u_1' },
  { appid: 'wx_web', appType: 'website', openPlatformId: 'op', openid: 'o_web_2', unionid: 'u_2' },
  { appid: 'wx_app', appType: 'mobile_app', openPlatformId: null, openid: 'o_app_3' },
];
const targets = [
  { kind: 'phone', value: '+8613800000001' },
  { kind: 'phone', value: '+8613800000002' },
  { kind: 'email', value: 'a@example.com' },
] as const;

/** The reference: per subject key, failures since the last lock or success, and whether it is locked. */
class Model {
  readonly failures = new Map<string, number>();
  readonly locked = new Set<string>();
  readonly levels = new Map<string, number>();
}

const backends: { name: string; skip: boolean; open(): Promise<SharedState> }[] = [
  { name: 'memory', skip: false, open: async () => new MemorySharedState() },
  {
    name: 'redis',
    skip: process.env.REDIS_URL === undefined,
    open: () => openSharedState({ redisUrl: process.env.REDIS_URL, prefix: `test:${randomUUID()}:` }),
  },
];

for (const backend of backends) {
  describe.skipIf(backend.skip)(`binding attempts against the model (${backend.name})`, () => {
    it.each(SEEDS)('seed %i: refusals and locks match the model at every step', async (seed) => {
      const state = await backend.open();
      const attempts = new BindingAttempts(state, RULES);
      const model = new Model();
      const random = generator(seed);
      try {
        for (let step = 0; step < STEPS; step++) {
          const person = people[random(people.length)];
          const target = targets[random(targets.length)];
          if (person === undefined || target === undefined) throw new Error('unreachable');
          const succeeds = random(10) === 0;
          const subjects = bindingSubjects(target, person);
          const keys = subjects.map((s) => `${s.kind}:${s.key}`);
          const where = `seed ${seed}, step ${step}`;

          const refused = await attempts.assertOpen(subjects).then(
            () => false,
            (error: unknown) => {
              expect(error, where).toMatchObject({ code: 'binding_locked' });
              return true;
            },
          );
          expect(refused, where).toBe(keys.some((k) => model.locked.has(k)));
          if (refused) continue;

          if (succeeds) {
            await attempts.recordSuccess(subjects);
            for (const key of keys) model.failures.delete(key);
            continue;
          }
          const locks = await attempts.recordFailure(subjects);
          const expected: { key: string; level: number }[] = [];
          for (const key of keys) {
            const failures = (model.failures.get(key) ?? 0) + 1;
            expect(failures, `${where}: a subject got more tries than the limit`).toBeLessThanOrEqual(RULES.failures);
            if (failures < RULES.failures) {
              model.failures.set(key, failures);
              continue;
            }
            const level = (model.levels.get(key) ?? 0) + 1;
            model.levels.set(key, level);
            model.locked.add(key);
            model.failures.delete(key);
            expected.push({ key, level });
          }
          expect(
            locks.map((l) => ({ key: `${l.subject.kind}:${l.subject.key}`, level: l.level })),
            where,
          ).toEqual(expected);
          for (const lock of locks) expect(lock.lockMs, where).toBe(RULES.firstLockMs);
        }
        // Some subject was locked in every run, so the check above was exercised.
        expect(model.locked.size, `seed ${seed}`).toBeGreaterThan(0);
      } finally {
        await state.close();
      }
    });
  });
}

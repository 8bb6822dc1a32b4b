/**
 * Failed attempts to prove an existing account (binding by password, SMS or email code) are
 * counted across pending sign-ins, instances and client addresses: per target (the phone or email
 * typed — what names the account) and per WeChat identity (its openid in the app, and its unionid,
 * so switching between apps of one Open Platform account does not reset it). A restarted sign-in
 * starts with a fresh pending id, so the pending sign-in's own five-answer limit alone would let
 * one person guess without end; these counters live in shared state and survive it.
 *
 * Five failures within fifteen minutes lock the subject for fifteen minutes; each further lock
 * within a day doubles (30 min, 1 h, … at most 24 h). A locked subject is refused before any
 * password is checked or code is sent.
 *
 * A target is counted by the value typed, whether or not an account has it, so the answers — and
 * the work behind them — are the same for an existing account and a missing one.
 */
import { createHash } from 'node:crypto';
import { AppError } from '@weunion/errors';
import type { SharedState } from '@weunion/state';
import type { IdentityAssertion } from './assertion.ts';

export interface BindingAttemptRules {
  /** Failures that lock a subject. */
  failures: number;
  /** Window the failures are counted in (opens with the first failure). */
  windowMs: number;
  /** The first lock; each further lock within `escalationMs` doubles it. */
  firstLockMs: number;
  maxLockMs: number;
  /** How long earlier locks count towards a longer one. */
  escalationMs: number;
}

export const BINDING_ATTEMPT_RULES: BindingAttemptRules = {
  failures: 5,
  windowMs: 15 * 60_000,
  firstLockMs: 15 * 60_000,
  maxLockMs: 24 * 60 * 60_000,
  escalationMs: 24 * 60 * 60_000,
};

/** What a binding attempt is counted against. */
export interface BindingSubject {
  kind: 'target' | 'wechat_identity';
  /** Opaque key part (a hash: no phone number, email or openid is stored in shared state keys). */
  key: string;
}

/** A subject that has just been locked (for the audit log). */
export interface NewLock {
  subject: BindingSubject;
  lockMs: number;
  /** Which lock within the escalation window this is (1 = first). */
  level: number;
}

const digest = (value: string) => createHash('sha256').update(value).digest('base64url');

/** The subjects of one attempt: the target typed, and the WeChat identity binding it. */
export function bindingSubjects(target: { kind: 'phone' | 'email'; value: string }, assertion: IdentityAssertion): BindingSubject[] {
  const subjects: BindingSubject[] = [
    { kind: 'target', key: digest(`${target.kind}:${target.value}`) },
    { kind: 'wechat_identity', key: digest(`openid:${assertion.appid}:${assertion.openid}`) },
  ];
  if (assertion.unionid !== undefined) {
    subjects.push({ kind: 'wechat_identity', key: digest(`unionid:${assertion.openPlatformId ?? ''}:${assertion.unionid}`) });
  }
  return subjects;
}

const failuresKey = (s: BindingSubject) => `binding:failures:${s.kind}:${s.key}`;
const lockKey = (s: BindingSubject) => `binding:lock:${s.kind}:${s.key}`;
const levelKey = (s: BindingSubject) => `binding:lock-level:${s.kind}:${s.key}`;

export class BindingAttempts {
  readonly #state: SharedState;
  readonly #rules: BindingAttemptRules;

  constructor(state: SharedState, rules: BindingAttemptRules = BINDING_ATTEMPT_RULES) {
    this.#state = state;
    this.#rules = rules;
  }

  /** Throws `binding_locked` (with `retryAfterSeconds`) when any subject is locked. */
  async assertOpen(subjects: BindingSubject[]): Promise<void> {
    let longest = 0;
    for (const subject of subjects) longest = Math.max(longest, (await this.#state.ttl(lockKey(subject))) ?? 0);
    if (longest > 0) throw lockedError(longest);
  }

  /** Counts a failure against every subject; returns the subjects it locked. */
  async recordFailure(subjects: BindingSubject[]): Promise<NewLock[]> {
    const locks: NewLock[] = [];
    for (const subject of subjects) {
      const failures = await this.#state.increment(failuresKey(subject), { ttlMs: this.#rules.windowMs });
      if (failures < this.#rules.failures) continue;
      // Exactly one of concurrent failures crossing the limit takes the lock and raises the level.
      if (!(await this.#state.set(lockKey(subject), 'locking', { ttlMs: this.#rules.firstLockMs, ifAbsent: true }))) continue;
      const level = await this.#state.increment(levelKey(subject), { ttlMs: this.#rules.escalationMs });
      const lockMs = Math.min(this.#rules.maxLockMs, this.#rules.firstLockMs * 2 ** (level - 1));
      await this.#state.set(lockKey(subject), String(level), { ttlMs: lockMs });
      await this.#state.delete(failuresKey(subject));
      locks.push({ subject, lockMs, level });
    }
    return locks;
  }

  /** A successful binding: its subjects start counting afresh (earlier locks still escalate). */
  async recordSuccess(subjects: BindingSubject[]): Promise<void> {
    for (const subject of subjects) await this.#state.delete(failuresKey(subject));
  }
}

export function lockedError(remainingMs: number): AppError {
  const retryAfterSeconds = Math.max(1, Math.ceil(remainingMs / 1000));
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return new AppError(
    'binding_locked',
    `Too many failed attempts to link an account; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`,
    { details: { retryAfterSeconds } },
  );
}

/**
 * Sign-in with a person in the loop: when resolution asks the person to choose among their
 * accounts (selection) or to prove an existing account (binding), the verified assertion waits in
 * shared state under an unguessable id until the page comes back with the answer. Any instance can
 * finish it; it finishes at most once; wrong answers are limited.
 *
 * This is what scenario code and the hosted pages call: `signIn` first, then one of the
 * `complete…` functions with the `pendingId` it returned.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '@weunion/errors';
import type { SharedState } from '@weunion/state';
import { z } from 'zod';
import { RateLimiter, type RateRule } from '../http/rate-limit.ts';
import type { Database } from '../storage/database.ts';
import { linkAssertionToUser, type SignInResult, signInWithAssertion } from './apply.ts';
import { type IdentityAssertion, identityAssertionSchema, normalizeEmail } from './assertion.ts';
import { recordAudit, SYSTEM_ACTOR } from './audit.ts';
import { BindingAttempts, type BindingSubject, bindingSubjects, lockedError, type NewLock } from './binding-attempts.ts';
import { findIdentifierOwner } from './facts.ts';
import { checkPassword } from './password.ts';
import { BINDING_METHODS, type BindingMethod, type IdentityPolicy, identityPolicySchema } from './policy.ts';
import type { CandidateSignal } from './resolve.ts';
import type { CodeChannel, VerificationCodes } from './verification-codes.ts';

export interface IdentityDeps {
  database: Database;
  state: SharedState;
  /** Where operator notices go (an app bound to the Open Platform in WeChat only); optional in tests. */
  log?: { warn(details: object, message: string): void } | undefined;
}

/**
 * What the selection page (and an app's `select` answer) shows for one account: enough for its
 * owner to recognise it — nickname and avatar, masked phone/email, when and through which app it
 * last signed in — never a full phone number or email.
 */
export interface AccountCandidate {
  userId: string;
  via: CandidateSignal[];
  nickname: string | null;
  picture: string | null;
  maskedPhone: string | null;
  maskedEmail: string | null;
  lastLoginAt: number | null;
  /** The app (connection name) of the account's most recent WeChat sign-in; null when none is known. */
  lastLoginApp: string | null;
}

export type SignInOutcome =
  | Extract<SignInResult, { kind: 'signed_in' | 'refused' }>
  | { kind: 'select'; pendingId: string; candidates: AccountCandidate[] }
  | { kind: 'bind'; pendingId: string; methods: BindingMethod[]; mayCreateInstead: boolean };

const PENDING_TTL_MS = 10 * 60_000;
const CODE_SEND_PER_PERSON: RateRule = { name: 'code-send-person', limit: 10, windowMs: 24 * 3600_000 };
const CODE_SEND_PER_DESTINATION: RateRule = { name: 'code-send-destination', limit: 10, windowMs: 24 * 3600_000 };
const MAX_WRONG_ANSWERS = 5;
const BINDING_PURPOSE = 'binding';

const pendingSchema = z.object({
  kind: z.enum(['select', 'bind']),
  assertion: identityAssertionSchema,
  policy: identityPolicySchema,
  candidates: z.array(z.object({ userId: z.string(), via: z.array(z.enum(['openid', 'unionid', 'phone', 'email'])) })),
  methods: z.array(z.enum(BINDING_METHODS)),
  mayCreateInstead: z.boolean(),
});
type Pending = z.output<typeof pendingSchema>;

const pendingKey = (id: string) => `identity:pending:${id}`;
const attemptsKey = (id: string) => `identity:pending-attempts:${id}`;

export function maskPhone(phone: string): string {
  return phone.length <= 7 ? '****' : `${phone.slice(0, phone.length - 8)}****${phone.slice(-4)}`;
}

export function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}***@${domain}`;
}

/** The name of the app an account last signed in through with WeChat (its most recently seen identity). */
async function lastLoginApp(database: Database, userId: string): Promise<string | null> {
  const row = await database.db
    .selectFrom('wechat_identities as w')
    .leftJoin('connections as c', 'c.appid', 'w.appid')
    .select(['c.name'])
    .where('w.user_id', '=', userId)
    .orderBy('w.last_seen_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.name ?? null;
}

async function describeCandidates(database: Database, candidates: Pending['candidates']): Promise<AccountCandidate[]> {
  if (candidates.length === 0) return [];
  const rows = await database.db
    .selectFrom('users')
    .select(['id', 'nickname', 'picture', 'phone_number', 'email', 'last_login_at'])
    .where(
      'id',
      'in',
      candidates.map((c) => c.userId),
    )
    .execute();
  const described: AccountCandidate[] = [];
  for (const candidate of candidates) {
    const row = rows.find((r) => r.id === candidate.userId);
    if (row === undefined) continue;
    described.push({
      userId: row.id,
      via: candidate.via,
      nickname: row.nickname,
      picture: row.picture,
      maskedPhone: row.phone_number === null ? null : maskPhone(row.phone_number),
      maskedEmail: row.email === null ? null : maskEmail(row.email),
      lastLoginAt: row.last_login_at,
      lastLoginApp: await lastLoginApp(database, row.id),
    });
  }
  return described;
}

/**
 * Signs a verified WeChat assertion in under the connection's policy. Selection and binding come
 * back with a `pendingId` for the follow-up; nothing is written for them until it arrives.
 */
export async function signIn(deps: IdentityDeps, assertion: IdentityAssertion, policy: IdentityPolicy): Promise<SignInOutcome> {
  const result = await signInWithAssertion(deps.database, assertion, policy, undefined, (notice) =>
    deps.log?.warn(
      { appid: notice.appid, openPlatformHint: notice.openPlatformHint },
      notice.openPlatformHint === null
        ? `WeChat sent a unionid for ${notice.appid}, whose connection names no Open Platform account: bind the connection, or every person will be split`
        : `WeChat sent a unionid for ${notice.appid} that belongs to Open Platform account ${notice.openPlatformHint}: set the connection's openPlatformId to it`,
    ),
  );
  if (result.kind === 'signed_in' || result.kind === 'refused') return result;
  const pending: Pending = {
    kind: result.kind,
    assertion,
    policy,
    candidates: result.kind === 'select' ? result.candidates : [],
    methods: result.kind === 'bind' ? result.methods : [],
    mayCreateInstead: result.kind === 'bind' ? result.mayCreateInstead : false,
  };
  const pendingId = randomBytes(24).toString('base64url');
  await deps.state.set(pendingKey(pendingId), JSON.stringify(pending), { ttlMs: PENDING_TTL_MS });
  if (result.kind === 'select')
    return { kind: 'select', pendingId, candidates: await describeCandidates(deps.database, pending.candidates) };
  return { kind: 'bind', pendingId, methods: pending.methods, mayCreateInstead: pending.mayCreateInstead };
}

async function readPending(deps: IdentityDeps, pendingId: string, kind: Pending['kind']): Promise<Pending> {
  const raw = await deps.state.get(pendingKey(pendingId));
  if (raw === null) throw new AppError('login_expired');
  const pending = pendingSchema.parse(JSON.parse(raw));
  if (pending.kind !== kind)
    throw new AppError('bad_request', `This sign-in is waiting for ${pending.kind === 'select' ? 'an account choice' : 'binding'}`);
  return pending;
}

/** Takes the pending sign-in for good; only one caller ever succeeds. */
async function takePending(deps: IdentityDeps, pendingId: string): Promise<void> {
  if ((await deps.state.consume(pendingKey(pendingId))) === null) throw new AppError('login_expired');
  await deps.state.delete(attemptsKey(pendingId));
}

/** Counts a wrong answer; too many end the pending sign-in. */
async function wrongAnswer(deps: IdentityDeps, pendingId: string, error: AppError): Promise<never> {
  const attempts = await deps.state.increment(attemptsKey(pendingId), { ttlMs: PENDING_TTL_MS });
  if (attempts >= MAX_WRONG_ANSWERS) {
    await deps.state.delete(pendingKey(pendingId));
    throw new AppError('verification_attempts_exceeded', 'Too many wrong attempts; please sign in again');
  }
  // The binding page tells the person how many tries remain before the sign-in ends.
  throw new AppError(error.code, error.message, {
    status: error.status,
    details: { ...error.details, attemptsLeft: MAX_WRONG_ANSWERS - attempts },
  });
}

/** What a page needs to render a pending sign-in (the choice, or the binding form). */
export async function describePendingSignIn(
  deps: IdentityDeps,
  pendingId: string,
): Promise<
  | { kind: 'select'; appid: string; candidates: AccountCandidate[] }
  | { kind: 'bind'; appid: string; methods: BindingMethod[]; mayCreateInstead: boolean }
> {
  const raw = await deps.state.get(pendingKey(pendingId));
  if (raw === null) throw new AppError('login_expired');
  const pending = pendingSchema.parse(JSON.parse(raw));
  if (pending.kind === 'select') {
    return { kind: 'select', appid: pending.assertion.appid, candidates: await describeCandidates(deps.database, pending.candidates) };
  }
  return { kind: 'bind', appid: pending.assertion.appid, methods: pending.methods, mayCreateInstead: pending.mayCreateInstead };
}

/**
 * The person declined to choose or bind: the pending sign-in ends (nothing was written for it) and
 * its id is worth nothing afterwards. `login_expired` when it had already ended.
 */
export async function cancelPendingSignIn(deps: IdentityDeps, pendingId: string): Promise<void> {
  await takePending(deps, pendingId);
}

/** The person chose one of the candidate accounts: link this WeChat identity to it. */
export async function completeSelection(deps: IdentityDeps, pendingId: string, userId: string): Promise<SignInResult> {
  const pending = await readPending(deps, pendingId, 'select');
  if (!pending.candidates.some((c) => c.userId === userId)) throw new AppError('bad_request', 'That account was not one of the choices');
  await takePending(deps, pendingId);
  return linkAssertionToUser(deps.database, pending.assertion, userId, 'selection', { kind: 'user', id: userId });
}

const BINDING_REFUSED = 'No account matches these details';

/** A binding target as typed, normalized: the account's verified phone (E.164) or email. */
function bindingTarget(login: string): { kind: 'phone' | 'email'; value: string } {
  const trimmed = login.trim();
  return trimmed.includes('@') ? { kind: 'email', value: normalizeEmail(trimmed) } : { kind: 'phone', value: trimmed };
}

const maskTarget = (target: { kind: 'phone' | 'email'; value: string }) =>
  target.kind === 'phone' ? maskPhone(target.value) : maskEmail(target.value);

/** Audit entries for subjects a failure has just locked: the target account (when it exists) or the WeChat identity. */
async function auditLocks(
  deps: IdentityDeps,
  locks: NewLock[],
  context: {
    assertion: IdentityAssertion;
    target: { kind: 'phone' | 'email'; value: string };
    ownerId: string | null;
    method: BindingMethod;
  },
): Promise<void> {
  for (const lock of locks) {
    await recordAudit(deps.database.db, {
      actor: SYSTEM_ACTOR,
      action: 'binding.locked',
      subjectId: lock.subject.kind === 'target' ? context.ownerId : null,
      after: {
        locked: lock.subject.kind,
        method: context.method,
        target: maskTarget(context.target),
        appid: context.assertion.appid,
        openid: context.assertion.openid,
        lockedForSeconds: Math.round(lock.lockMs / 1000),
        level: lock.level,
      },
    });
  }
}

/**
 * A failed binding attempt: counted per target and per WeChat identity across sign-ins (which may
 * lock them: `binding_locked`), then against this pending sign-in's own five answers.
 */
async function failedBinding(
  deps: IdentityDeps,
  pendingId: string,
  subjects: BindingSubject[],
  context: Parameters<typeof auditLocks>[2],
  error: AppError,
): Promise<never> {
  const locks = await new BindingAttempts(deps.state).recordFailure(subjects);
  if (locks.length > 0) {
    await auditLocks(deps, locks, context);
    // The person can do nothing more here for a while: the pending sign-in ends with the lock.
    await deps.state.delete(pendingKey(pendingId));
    throw lockedError(Math.max(...locks.map((l) => l.lockMs)));
  }
  return wrongAnswer(deps, pendingId, error);
}

/** Binding by password: `login` is the account's verified phone (E.164) or email. */
export async function completeBindingWithPassword(
  deps: IdentityDeps,
  pendingId: string,
  credentials: { login: string; password: string },
): Promise<SignInResult> {
  const pending = await readPending(deps, pendingId, 'bind');
  if (!pending.methods.includes('password')) throw new AppError('bad_request', 'This app does not accept a password to bind an account');
  const target = bindingTarget(credentials.login);
  const subjects = bindingSubjects(target, pending.assertion);
  const attempts = new BindingAttempts(deps.state);
  // A locked target is refused before its owner is even looked up: same answer, same work.
  await attempts.assertOpen(subjects);
  const owner = await findIdentifierOwner(deps.database.db, target.kind, target.value);
  // The password is checked (and costs the same time) whether or not the account exists, and the
  // answer is the same, so this form cannot be used to find out who has an account.
  const valid = await checkPassword(deps.database.db, owner?.id ?? '', credentials.password);
  if (owner === undefined || !valid) {
    return failedBinding(
      deps,
      pendingId,
      subjects,
      { assertion: pending.assertion, target, ownerId: owner?.id ?? null, method: 'password' },
      new AppError('binding_failed', BINDING_REFUSED),
    );
  }
  await takePending(deps, pendingId);
  await attempts.recordSuccess(subjects);
  return linkAssertionToUser(deps.database, pending.assertion, owner.id, 'binding', { kind: 'user', id: owner.id });
}

function channelMethod(channel: CodeChannel): BindingMethod {
  return channel === 'sms' ? 'sms' : 'email';
}

function normalizedDestination(channel: CodeChannel, destination: string): string {
  if (channel === 'email') return normalizeEmail(destination);
  if (!/^\+[1-9]\d{4,16}$/.test(destination)) throw new AppError('validation_failed', 'destination: must be an E.164 phone number');
  return destination;
}

/**
 * Sends a binding code. It is sent whether or not an account has that phone/email, so the answer
 * does not reveal who is registered; binding then fails the same way for both.
 */
export async function sendBindingCode(
  deps: IdentityDeps,
  codes: VerificationCodes,
  pendingId: string,
  target: { channel: CodeChannel; destination: string },
  language?: 'zh-CN' | 'en',
): Promise<{ expiresInMs: number }> {
  const pending = await readPending(deps, pendingId, 'bind');
  if (!pending.methods.includes(channelMethod(target.channel)))
    throw new AppError('bad_request', `This app does not accept ${target.channel} codes to bind an account`);
  const destination = normalizedDestination(target.channel, target.destination);
  // No code (and no SMS bill) for a locked destination or WeChat identity.
  await new BindingAttempts(deps.state).assertOpen(bindingSubjects(codeTarget(target.channel, destination), pending.assertion));
  // Each code costs a message: capped per person (their WeChat identity, whatever pending sign-in
  // or address they come from) and per destination per day, besides the caller's per-IP limit.
  await new RateLimiter(deps.state).consumeAll([
    [CODE_SEND_PER_PERSON, `${pending.assertion.appid}:${pending.assertion.openid}`],
    [CODE_SEND_PER_DESTINATION, `${target.channel}:${destination}`],
  ]);
  return codes.send(BINDING_PURPOSE, target.channel, destination, language === undefined ? {} : { language });
}

function codeTarget(channel: CodeChannel, destination: string): { kind: 'phone' | 'email'; value: string } {
  return { kind: channel === 'sms' ? 'phone' : 'email', value: destination };
}

/** Binding by a code sent to the account's verified phone or email. */
export async function completeBindingWithCode(
  deps: IdentityDeps,
  codes: VerificationCodes,
  pendingId: string,
  answer: { channel: CodeChannel; destination: string; code: string },
): Promise<SignInResult> {
  const pending = await readPending(deps, pendingId, 'bind');
  if (!pending.methods.includes(channelMethod(answer.channel)))
    throw new AppError('bad_request', `This app does not accept ${answer.channel} codes to bind an account`);
  const destination = normalizedDestination(answer.channel, answer.destination);
  const target = codeTarget(answer.channel, destination);
  const subjects = bindingSubjects(target, pending.assertion);
  const attempts = new BindingAttempts(deps.state);
  await attempts.assertOpen(subjects);
  const context = { assertion: pending.assertion, target, method: channelMethod(answer.channel) };
  try {
    await codes.verify(BINDING_PURPOSE, answer.channel, destination, answer.code);
  } catch (error) {
    if (error instanceof AppError && error.code === 'verification_failed') {
      const owner = await findIdentifierOwner(deps.database.db, target.kind, target.value);
      return failedBinding(deps, pendingId, subjects, { ...context, ownerId: owner?.id ?? null }, error);
    }
    throw error;
  }
  const owner = await findIdentifierOwner(deps.database.db, target.kind, destination);
  if (owner === undefined)
    return failedBinding(deps, pendingId, subjects, { ...context, ownerId: null }, new AppError('binding_failed', BINDING_REFUSED));
  await takePending(deps, pendingId);
  await attempts.recordSuccess(subjects);
  return linkAssertionToUser(deps.database, pending.assertion, owner.id, 'binding', { kind: 'user', id: owner.id });
}

/** The person declined binding and the policy lets them create an account instead. */
export async function createInsteadOfBinding(deps: IdentityDeps, pendingId: string): Promise<SignInOutcome> {
  const pending = await readPending(deps, pendingId, 'bind');
  if (!pending.mayCreateInstead) throw new AppError('forbidden', 'This app does not create new accounts; bind an existing one');
  await takePending(deps, pendingId);
  // Resolved again rather than created blindly: someone may have linked this person meanwhile.
  return signIn(deps, pending.assertion, { ...pending.policy, queryBinding: 'off', registration: 'allow' });
}

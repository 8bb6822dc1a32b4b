/**
 * SMS code login: a phone number the person has just proved with a code, as a login of its own.
 * The same rules as a WeChat login's field matching, decided by a pure function and applied in one
 * retried transaction (a concurrent first login of the same number loses on the unique identifier
 * and runs again, finding the winner):
 *
 * - an account holds the number as a verified identifier → that account, when the policy matches
 *   by phone (`fieldMatching` includes `phone`, the default for SMS login); a blocked or removed
 *   account refuses; a policy that does not match by phone refuses (the number is someone's, and
 *   a second account cannot hold it);
 * - nobody holds it → a new account with the verified number (`registration: allow`), or refused
 *   (`registration: deny`). `queryBinding: require` refuses too: proving another account needs a
 *   WeChat identity to link, which an SMS login does not have; `offer` creates.
 */
import type { Kysely } from 'kysely';
import { recordLoginStat } from '../stats/login-stats.ts';
import type { Database } from '../storage/database.ts';
import type { Tables } from '../storage/schema.ts';
import { inRetriedTransaction } from './apply.ts';
import { type Actor, recordAudit, SYSTEM_ACTOR } from './audit.ts';
import { findIdentifierOwner } from './facts.ts';
import { newId } from './ids.ts';
import { DEFAULT_POLICY, type IdentityPolicy } from './policy.ts';
import type { KnownUser } from './resolve.ts';

export type PhoneRefusal = 'account_blocked' | 'account_unavailable' | 'registration_closed' | 'phone_not_matched' | 'binding_required';

export type PhoneDecision =
  | { kind: 'existing'; userId: string }
  | { kind: 'create' }
  | { kind: 'refuse'; reason: PhoneRefusal; message: string };

export type PhoneSignInResult =
  | { kind: 'signed_in'; userId: string; created: boolean }
  | { kind: 'refused'; reason: PhoneRefusal; message: string };

const MESSAGES: Record<PhoneRefusal, string> = {
  account_blocked: 'This account is blocked',
  account_unavailable: 'This account is no longer available',
  registration_closed: 'No account has this phone number, and this application does not create new accounts',
  phone_not_matched: 'This phone number belongs to an account that this application does not sign in by phone number; log in with WeChat',
  binding_required: 'This application must link the login to an existing account, which an SMS login cannot do; log in with WeChat',
};

/** The policy an SMS login starts from: link by the verified phone (it is the login), then the application's overrides. */
export function smsLoginPolicy(applicationPolicy: Partial<IdentityPolicy> = {}): IdentityPolicy {
  return { ...DEFAULT_POLICY, fieldMatching: ['phone'], ...applicationPolicy };
}

const refuse = (reason: PhoneRefusal): PhoneDecision => ({ kind: 'refuse', reason, message: MESSAGES[reason] });

export function resolvePhoneLogin(owner: KnownUser | null, policy: IdentityPolicy): PhoneDecision {
  if (owner !== null) {
    if (owner.status === 'blocked') return refuse('account_blocked');
    if (owner.status !== 'active') return refuse('account_unavailable');
    const fieldMatching: readonly string[] = policy.fieldMatching;
    return fieldMatching.includes('phone') ? { kind: 'existing', userId: owner.id } : refuse('phone_not_matched');
  }
  if (policy.queryBinding === 'require') return refuse('binding_required');
  if (policy.registration === 'deny') return refuse('registration_closed');
  return { kind: 'create' };
}

async function createPhoneUser(trx: Kysely<Tables>, phone: string, actor: Actor, now: number): Promise<string> {
  const userId = newId('usr');
  const user = {
    id: userId,
    status: 'active' as const,
    name: null,
    nickname: null,
    picture: null,
    gender: null,
    locale: null,
    phone_number: phone,
    phone_number_verified: 1,
    email: null,
    email_verified: 0,
    merged_into: null,
    created_at: now,
    updated_at: now,
    last_login_at: now,
  };
  await trx.insertInto('users').values(user).execute();
  await recordAudit(trx, { actor, action: 'user.created', subjectId: userId, after: { ...user, source: { login: 'sms' } } }, now);
  // One owner per verified phone is a unique constraint: a concurrent first login fails here and runs again.
  await trx
    .insertInto('user_identifiers')
    .values({ id: newId('idf'), user_id: userId, kind: 'phone', value: phone, verified_at: now })
    .execute();
  await recordAudit(
    trx,
    { actor, action: 'identifier.added', subjectId: userId, after: { kind: 'phone', value: phone, source: 'sms' } },
    now,
  );
  return userId;
}

/** Signs a verified phone in under `policy`. */
export async function signInWithVerifiedPhone(database: Database, phone: string, policy: IdentityPolicy): Promise<PhoneSignInResult> {
  const result = await inRetriedTransaction(database, async (trx): Promise<PhoneSignInResult> => {
    const now = Date.now();
    const owner = (await findIdentifierOwner(trx, 'phone', phone)) ?? null;
    const decision = resolvePhoneLogin(owner, policy);
    if (decision.kind === 'refuse') return { kind: 'refused', reason: decision.reason, message: decision.message };
    if (decision.kind === 'create')
      return { kind: 'signed_in', userId: await createPhoneUser(trx, phone, SYSTEM_ACTOR, now), created: true };
    // The profile's phone is the verified one when it has none (after a merge moved it, or an admin cleared it).
    const current = await trx.selectFrom('users').select('phone_number').where('id', '=', decision.userId).executeTakeFirst();
    await trx
      .updateTable('users')
      .set({
        last_login_at: now,
        ...(current?.phone_number == null ? { phone_number: phone, phone_number_verified: 1, updated_at: now } : {}),
      })
      .where('id', '=', decision.userId)
      .execute();
    return { kind: 'signed_in', userId: decision.userId, created: false };
  });
  if (result.kind === 'signed_in' && result.created) await recordLoginStat(database.db, { metric: 'new_user' });
  return result;
}

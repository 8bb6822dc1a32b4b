/**
 * The indexed lookups resolution needs, each one row by a unique or indexed key, so resolving a
 * login costs the same at ten thousand users as at ten million.
 */
import type { Kysely } from 'kysely';
import type { IdentifierKind, Tables } from '../storage/schema.ts';
import { type IdentityAssertion, normalizeEmail } from './assertion.ts';
import { type KnownFacts, type KnownUser, scopedUnionid } from './resolve.ts';

export async function findKnownFacts(db: Kysely<Tables>, assertion: IdentityAssertion): Promise<KnownFacts> {
  const unionid = scopedUnionid(assertion);
  const [identity, unionidOwner, phoneOwner, emailOwner] = await Promise.all([
    db
      .selectFrom('wechat_identities as i')
      .innerJoin('users as u', 'u.id', 'i.user_id')
      .select(['i.id', 'i.unionid', 'i.open_platform_id', 'u.id as user_id', 'u.status'])
      .where('i.appid', '=', assertion.appid)
      .where('i.openid', '=', assertion.openid)
      .executeTakeFirst(),
    unionid === undefined || assertion.openPlatformId === null
      ? undefined
      : db
          .selectFrom('unionid_owners as o')
          .innerJoin('users as u', 'u.id', 'o.user_id')
          .select(['u.id', 'u.status'])
          .where('o.open_platform_id', '=', assertion.openPlatformId)
          .where('o.unionid', '=', unionid)
          .executeTakeFirst(),
    assertion.phone === undefined ? undefined : findIdentifierOwner(db, 'phone', assertion.phone),
    assertion.email === undefined ? undefined : findIdentifierOwner(db, 'email', normalizeEmail(assertion.email)),
  ]);
  return {
    identity:
      identity === undefined
        ? null
        : {
            id: identity.id,
            unionid: identity.unionid,
            openPlatformId: identity.open_platform_id,
            user: { id: identity.user_id, status: identity.status },
          },
    unionidOwner: unionidOwner ?? null,
    phoneOwner: phoneOwner ?? null,
    emailOwner: emailOwner ?? null,
  };
}

export async function findIdentifierOwner(db: Kysely<Tables>, kind: IdentifierKind, value: string): Promise<KnownUser | undefined> {
  return db
    .selectFrom('user_identifiers as x')
    .innerJoin('users as u', 'u.id', 'x.user_id')
    .select(['u.id', 'u.status'])
    .where('x.kind', '=', kind)
    .where('x.value', '=', value)
    .executeTakeFirst();
}

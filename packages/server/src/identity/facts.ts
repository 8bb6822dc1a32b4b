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

export interface KnownWechatIdentity {
  userId: string;
  userStatus: KnownUser['status'];
  /** The unionid on record for this row (null: not yet seen). */
  unionid: string | null;
  /** The user already has a verified phone, so a scenario need not pay WeChat for it again. */
  hasVerifiedPhone: boolean;
}

/**
 * What weunion already knows about one WeChat identity, for scenarios deciding what to ask WeChat
 * for: S4 can stay with silent `snsapi_base` for a known person whose unionid is on record, S3/S5
 * can skip the paid phone-number call when the person's phone is already verified. Read-only: it
 * never signs anyone in.
 */
export async function lookupWechatIdentity(
  db: Kysely<Tables>,
  key: { appid: string; openid: string },
): Promise<KnownWechatIdentity | null> {
  const row = await db
    .selectFrom('wechat_identities as i')
    .innerJoin('users as u', 'u.id', 'i.user_id')
    .select(['u.id', 'u.status', 'i.unionid'])
    .where('i.appid', '=', key.appid)
    .where('i.openid', '=', key.openid)
    .executeTakeFirst();
  if (row === undefined) return null;
  const phone = await db
    .selectFrom('user_identifiers')
    .select('id')
    .where('user_id', '=', row.id)
    .where('kind', '=', 'phone')
    .executeTakeFirst();
  return { userId: row.id, userStatus: row.status, unionid: row.unionid, hasVerifiedPhone: phone !== undefined };
}

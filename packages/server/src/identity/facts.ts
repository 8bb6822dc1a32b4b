/**
 * The indexed lookups resolution needs, each one row by a unique or indexed key, so resolving a
 * login costs the same at ten thousand users as at ten million.
 */
import type { Kysely } from 'kysely';
import { precompiled } from '../storage/precompiled.ts';
import type { IdentifierKind, Tables, UserStatus } from '../storage/schema.ts';
import { type IdentityAssertion, normalizeEmail } from './assertion.ts';
import { type KnownFacts, type KnownUser, scopedUnionid } from './resolve.ts';

// Every login runs these (storage/precompiled.ts: built once, run with new values).
const LEDGER_ROW = precompiled<Tables, { appid: string; openid: string }, LedgerRow>((db, p) =>
  db
    .selectFrom('wechat_identities as i')
    .innerJoin('users as u', 'u.id', 'i.user_id')
    .select(['i.id', 'i.unionid', 'i.open_platform_id', 'i.phone', 'u.id as user_id', 'u.status'])
    .where('i.appid', '=', p.appid)
    .where('i.openid', '=', p.openid),
);
const UNIONID_OWNER = precompiled<Tables, { openPlatformId: string; unionid: string }, AccountStatus>((db, p) =>
  db
    .selectFrom('unionid_owners as o')
    .innerJoin('users as u', 'u.id', 'o.user_id')
    .select(['u.id', 'u.status'])
    .where('o.open_platform_id', '=', p.openPlatformId)
    .where('o.unionid', '=', p.unionid),
);
// One person has one row per app, so this is a handful of rows whatever the number of users.
const UNIONID_HOLDERS = precompiled<Tables, { openPlatformId: string; unionid: string }, AccountStatus>((db, p) =>
  db
    .selectFrom('wechat_identities as i')
    .innerJoin('users as u', 'u.id', 'i.user_id')
    .select(['u.id', 'u.status'])
    .distinct()
    .where('i.open_platform_id', '=', p.openPlatformId)
    .where('i.unionid', '=', p.unionid),
);

type AccountStatus = { id: string; status: UserStatus };
type LedgerRow = {
  id: string;
  unionid: string | null;
  open_platform_id: string | null;
  phone: string | null;
  user_id: string;
  status: UserStatus;
};

export async function findKnownFacts(db: Kysely<Tables>, assertion: IdentityAssertion): Promise<KnownFacts> {
  const unionid = scopedUnionid(assertion);
  const openPlatformId = assertion.openPlatformId;
  const [identity, unionidOwner, holders, phoneOwner, emailOwner, hint] = await Promise.all([
    LEDGER_ROW.execute(db, { appid: assertion.appid, openid: assertion.openid }).then((r) => r.rows[0]),
    unionid === undefined || openPlatformId === null
      ? undefined
      : UNIONID_OWNER.execute(db, { openPlatformId, unionid }).then((r) => r.rows[0]),
    unionid === undefined || openPlatformId === null ? [] : UNIONID_HOLDERS.execute(db, { openPlatformId, unionid }).then((r) => r.rows),
    assertion.phone === undefined ? undefined : findIdentifierOwner(db, 'phone', assertion.phone),
    assertion.email === undefined ? undefined : findIdentifierOwner(db, 'email', normalizeEmail(assertion.email)),
    openPlatformId !== null || assertion.unionid === undefined
      ? undefined
      : db
          .selectFrom('wechat_identities')
          .select('open_platform_id')
          .where('unionid', '=', assertion.unionid)
          .where('open_platform_id', 'is not', null)
          .limit(1)
          .executeTakeFirst(),
  ]);
  const owner = unionidOwner ?? null;
  const unionidHolders = holders.filter((h) => h.id !== owner?.id);
  // Whether an account already holds another WeChat person matters for every account the login
  // could join — and for the ledger row's own account only when it would claim a unionid nobody
  // owns. A returning login with its unionid on record thus costs no extra reads.
  const users = new Set<string>();
  const ownRowClaims = identity !== undefined && unionid !== undefined && owner === null;
  for (const user of [ownRowClaims ? { id: identity.user_id } : undefined, owner, ...unionidHolders, phoneOwner, emailOwner]) {
    if (user != null && user.id !== (ownRowClaims ? undefined : identity?.user_id)) users.add(user.id);
  }
  const clashing = new Set<string>();
  await Promise.all(
    [...users].map(async (userId) => {
      if (await holdsAnotherPerson(db, userId, assertion)) clashing.add(userId);
    }),
  );
  return {
    identity:
      identity === undefined
        ? null
        : {
            id: identity.id,
            unionid: identity.unionid,
            openPlatformId: identity.open_platform_id,
            phone: identity.phone,
            user: { id: identity.user_id, status: identity.status },
          },
    unionidOwner: owner,
    unionidHolders,
    phoneOwner: phoneOwner === undefined ? null : { id: phoneOwner.id, status: phoneOwner.status },
    phoneDisputed: phoneOwner?.disputedAt != null,
    emailOwner: emailOwner === undefined ? null : { id: emailOwner.id, status: emailOwner.status },
    clashing,
    unboundUnionidHint: hint?.open_platform_id ?? null,
  };
}

/**
 * Whether `userId` already holds a WeChat person other than the assertion's: another openid of the
 * same app, or another unionid under the same Open Platform account (claimed, or recorded on one of
 * its ledger rows). Such an account must not take the assertion: it would hold two people.
 * Two reads through the user's own rows (indexed by user), a handful whatever the number of users.
 */
export async function holdsAnotherPerson(
  db: Kysely<Tables>,
  userId: string,
  assertion: Pick<IdentityAssertion, 'appid' | 'openid' | 'openPlatformId' | 'unionid'>,
): Promise<boolean> {
  const unionid = scopedUnionid(assertion);
  const openPlatformId = assertion.openPlatformId;
  const row = await db
    .selectFrom('wechat_identities')
    .select('id')
    .where('user_id', '=', userId)
    .where((eb) => {
      const sameAppOtherOpenid = eb.and([eb('appid', '=', assertion.appid), eb('openid', '<>', assertion.openid)]);
      if (unionid === undefined || openPlatformId === null) return sameAppOtherOpenid;
      return eb.or([
        sameAppOtherOpenid,
        eb.and([eb('open_platform_id', '=', openPlatformId), eb('unionid', 'is not', null), eb('unionid', '<>', unionid)]),
      ]);
    })
    .limit(1)
    .executeTakeFirst();
  if (row !== undefined) return true;
  if (unionid === undefined || openPlatformId === null) return false;
  const claim = await db
    .selectFrom('unionid_owners')
    .select('unionid')
    .where('user_id', '=', userId)
    .where('open_platform_id', '=', openPlatformId)
    .where('unionid', '<>', unionid)
    .limit(1)
    .executeTakeFirst();
  return claim !== undefined;
}

/**
 * The account holding a verified phone or email, and since when its claim is disputed (a phone
 * WeChat has shown in another person's hands; null otherwise).
 */
export async function findIdentifierOwner(
  db: Kysely<Tables>,
  kind: IdentifierKind,
  value: string,
): Promise<(KnownUser & { disputedAt: number | null }) | undefined> {
  const row = await db
    .selectFrom('user_identifiers as x')
    .innerJoin('users as u', 'u.id', 'x.user_id')
    .select(['u.id', 'u.status', 'x.disputed_at'])
    .where('x.kind', '=', kind)
    .where('x.value', '=', value)
    .executeTakeFirst();
  return row === undefined ? undefined : { id: row.id, status: row.status, disputedAt: row.disputed_at };
}

export interface KnownWechatIdentity {
  userId: string;
  userStatus: KnownUser['status'];
  /** The unionid on record for this row (null: not yet seen). */
  unionid: string | null;
  /**
   * A verified phone is on file for this person, so a scenario need not pay WeChat for it again:
   * their account's (reached by openid, or by unionid through another app of the same Open
   * Platform account), or the one WeChat verified for this very identity (kept on the ledger row
   * even when another account holds the number).
   */
  hasVerifiedPhone: boolean;
}

// Every S3/S4/S5 login asks (storage/precompiled.ts: built once, run with new values).
const KNOWN_IDENTITY = precompiled<
  Tables,
  { appid: string; openid: string },
  { id: string; status: UserStatus; unionid: string | null; phone: string | null }
>((db, p) =>
  db
    .selectFrom('wechat_identities as i')
    .innerJoin('users as u', 'u.id', 'i.user_id')
    .select(['u.id', 'u.status', 'i.unionid', 'i.phone'])
    .where('i.appid', '=', p.appid)
    .where('i.openid', '=', p.openid)
    .limit(1),
);
const HAS_PHONE = precompiled<Tables, { userId: string }, { id: string }>((db, p) =>
  db.selectFrom('user_identifiers').select('id').where('user_id', '=', p.userId).where('kind', '=', 'phone').limit(1),
);

/**
 * What weunion already knows about one WeChat identity, for scenarios deciding what to ask WeChat
 * for: S4 can stay with silent `snsapi_base` for a known person whose unionid is on record, S3/S5
 * can skip the paid phone-number call when the person's phone is already verified. Given the
 * unionid and Open Platform account (a mini program's `jscode2session` has them), a person known
 * only through another app counts too. Read-only: it never signs anyone in.
 */
export async function lookupWechatIdentity(
  db: Kysely<Tables>,
  key: { appid: string; openid: string; openPlatformId?: string | null; unionid?: string | undefined },
): Promise<KnownWechatIdentity | null> {
  const [row] = (await KNOWN_IDENTITY.execute(db, { appid: key.appid, openid: key.openid })).rows;
  const hasPhone = async (userId: string) => (await HAS_PHONE.execute(db, { userId })).rows.length > 0;
  if (row !== undefined) {
    return {
      userId: row.id,
      userStatus: row.status,
      unionid: row.unionid,
      hasVerifiedPhone: row.phone !== null || (await hasPhone(row.id)),
    };
  }
  if (key.openPlatformId == null || key.unionid === undefined) return null;
  const owner = await db
    .selectFrom('unionid_owners as o')
    .innerJoin('users as u', 'u.id', 'o.user_id')
    .select(['u.id', 'u.status'])
    .where('o.open_platform_id', '=', key.openPlatformId)
    .where('o.unionid', '=', key.unionid)
    .executeTakeFirst();
  if (owner === undefined) return null;
  return { userId: owner.id, userStatus: owner.status, unionid: key.unionid, hasVerifiedPhone: await hasPhone(owner.id) };
}

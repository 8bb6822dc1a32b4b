/**
 * What the service holds about one universe, read after (and before) every step to check the
 * invariants against: WeChat identity rows, the owners of unionids and verified phones, and the
 * users' status. Read straight from the database, because the invariants are about what is stored
 * ("an account holds at most one openid per app"), not about what one page happens to show.
 */
import type { Database } from '../../packages/server/src/storage/index.ts';

export interface IdentityRow {
  userId: string;
  appid: string;
  openid: string;
  unionid: string | null;
  openPlatformId: string | null;
}

export interface UserState {
  id: string;
  status: string;
  mergedInto: string | null;
  phone: string | null;
  phoneVerified: boolean;
}

export interface Observation {
  rows: IdentityRow[];
  users: Map<string, UserState>;
  /** Verified phone → the user holding it. */
  phoneOwner: Map<string, string>;
  /** `${openPlatformId}|${unionid}` → the user owning it. */
  unionOwner: Map<string, string>;
}

export async function observe(
  database: Database,
  appids: string[],
  openPlatformIds: string[],
  extraUsers: Iterable<string>,
): Promise<Observation> {
  const db = database.db;
  const rows = (
    await db
      .selectFrom('wechat_identities')
      .select(['user_id', 'appid', 'openid', 'unionid', 'open_platform_id'])
      .where('appid', 'in', appids)
      .execute()
  ).map((row) => ({
    userId: row.user_id,
    appid: row.appid,
    openid: row.openid,
    unionid: row.unionid,
    openPlatformId: row.open_platform_id,
  }));
  const owners = await db
    .selectFrom('unionid_owners')
    .select(['open_platform_id', 'unionid', 'user_id'])
    .where('open_platform_id', 'in', openPlatformIds)
    .execute();
  const userIds = new Set([...rows.map((r) => r.userId), ...owners.map((o) => o.user_id), ...extraUsers]);
  const users = new Map<string, UserState>();
  const phoneOwner = new Map<string, string>();
  if (userIds.size > 0) {
    const found = await db
      .selectFrom('users')
      .select(['id', 'status', 'merged_into', 'phone_number', 'phone_number_verified'])
      .where('id', 'in', [...userIds])
      .execute();
    for (const user of found) {
      users.set(user.id, {
        id: user.id,
        status: user.status,
        mergedInto: user.merged_into,
        phone: user.phone_number,
        phoneVerified: Boolean(Number(user.phone_number_verified)),
      });
    }
    const phones = await db
      .selectFrom('user_identifiers')
      .select(['user_id', 'value'])
      .where('kind', '=', 'phone')
      .where('user_id', 'in', [...userIds])
      .execute();
    for (const phone of phones) phoneOwner.set(phone.value, phone.user_id);
  }
  return {
    rows,
    users,
    phoneOwner,
    unionOwner: new Map(owners.map((o) => [`${o.open_platform_id}|${o.unionid}`, o.user_id])),
  };
}

/** The verified phone's owner in the whole database (an admin-made account may hold it). */
export async function phoneHolder(database: Database, phone: string): Promise<string | null> {
  const row = await database.db
    .selectFrom('user_identifiers')
    .select('user_id')
    .where('kind', '=', 'phone')
    .where('value', '=', phone)
    .executeTakeFirst();
  return row?.user_id ?? null;
}

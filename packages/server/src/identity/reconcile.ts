/**
 * Reconciling an app that was bound to an Open Platform account after people used it: when its
 * connection first names the account, every ledger row of that app whose unionid WeChat already
 * sent (the app was bound in WeChat before the connection said so) joins the account — the row
 * takes the Open Platform account, and the unionid is claimed by the row's user, or, when another
 * account already owns it, the split person becomes an admin suggestion (and, at their next login
 * through any side, the selection resolution offers). Rows without a unionid learn it at the next
 * login. Runs in the caller's transaction; reads only that app's rows with a unionid.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../storage/schema.ts';
import { suggestMerge } from './apply.ts';
import { type Actor, recordAudit } from './audit.ts';
import { holdsAnotherPerson } from './facts.ts';

export interface ReconcileResult {
  rows: number;
  claimed: number;
  suggested: number;
}

export async function reconcileOpenPlatformBinding(
  trx: Kysely<Tables>,
  input: { appid: string; openPlatformId: string; actor: Actor; now: number },
): Promise<ReconcileResult> {
  const { appid, openPlatformId, now } = input;
  const rows = await trx
    .selectFrom('wechat_identities')
    .select(['id', 'user_id', 'openid', 'unionid'])
    .where('appid', '=', appid)
    .where('open_platform_id', 'is', null)
    .where('unionid', 'is not', null)
    .execute();
  const result: ReconcileResult = { rows: rows.length, claimed: 0, suggested: 0 };
  if (rows.length === 0) return result;
  await trx
    .updateTable('wechat_identities')
    .set({ open_platform_id: openPlatformId })
    .where('appid', '=', appid)
    .where('open_platform_id', 'is', null)
    .where('unionid', 'is not', null)
    .execute();
  for (const row of rows) {
    const unionid = row.unionid;
    if (unionid === null) continue;
    const owner = await trx
      .selectFrom('unionid_owners')
      .select('user_id')
      .where('open_platform_id', '=', openPlatformId)
      .where('unionid', '=', unionid)
      .executeTakeFirst();
    if (owner === undefined) {
      if (await holdsAnotherPerson(trx, row.user_id, { appid, openid: row.openid, openPlatformId, unionid })) continue;
      await trx
        .insertInto('unionid_owners')
        .values({ open_platform_id: openPlatformId, unionid, user_id: row.user_id, created_at: now })
        .execute();
      result.claimed += 1;
    } else if (owner.user_id !== row.user_id) {
      const id = await suggestMerge(trx, {
        userId: row.user_id,
        otherUserId: owner.user_id,
        reason: 'unionid_conflict',
        openPlatformId,
        unionid,
        appid,
        openid: row.openid,
        now,
      });
      if (id !== null) result.suggested += 1;
    }
  }
  await recordAudit(
    trx,
    { actor: input.actor, action: 'connection.open_platform_reconciled', subjectId: null, after: { appid, openPlatformId, ...result } },
    now,
  );
  return result;
}

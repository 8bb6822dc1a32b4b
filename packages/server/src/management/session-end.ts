/**
 * The management API's one touch on back-channel logout: after an admin's change that ends a
 * person's sessions (block, delete, merge them away) has committed, every application they used
 * is told through OIDC Back-Channel Logout. The identity core stays unaware of it.
 */
import type { AppContext } from '../http/context.ts';
import { type LogoutReason, queueAccountLogout } from '../oidc/backchannel-logout.ts';
import { oidcDb } from '../oidc/tables.ts';

export async function logOutEverywhere(ctx: AppContext, accountId: string, reason: LogoutReason): Promise<void> {
  await queueAccountLogout({ db: oidcDb(ctx.database.db), state: ctx.state, secrets: ctx.secrets }, accountId, reason);
}

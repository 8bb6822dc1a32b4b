/**
 * A login's `returnTo` with the registered web origins allowed: a path on weunion as before, or an
 * absolute URL on a web origin of an application (its redirect URIs' origins or its explicit
 * list), so a login started by a page on `https://shop.example` can land back there. Only the one
 * origin the value names is looked up. The rules of the check itself stay in `safeReturnTo`.
 */
import type { AppContext } from '../http/context.ts';
import { safeReturnTo } from '../http/return-to.ts';
import { isRegisteredWebOrigin, originOf } from './web-origins.ts';

export async function checkedReturnTo(ctx: AppContext, value: string | undefined): Promise<string> {
  const origin = value === undefined || value.startsWith('/') ? null : originOf(value);
  const registered =
    origin !== null && origin !== new URL(ctx.config.publicUrl).origin && (await isRegisteredWebOrigin(ctx.database.db, origin));
  return safeReturnTo(ctx, value, registered && origin !== null ? { allowedOrigins: [origin] } : {});
}

/**
 * The person's claims in app-scenario tokens: exactly what the OIDC provider releases for the same
 * scopes (`oidc/claims.ts`), read from the account's record, never from what an app sent — so an
 * ID token from S5–S7 and one from the authorization endpoint read the same.
 */
import type { ClaimsSource } from '../identity/users.ts';
import { SCOPE_CLAIMS, userClaims } from '../oidc/claims.ts';

/**
 * What app logins grant: the person's id, profile, phone, their WeChat identities (`wechat`: an
 * app's backend still needs the openid for WeChat APIs such as subscription messages), and a
 * refresh token.
 */
export const APP_LOGIN_SCOPE = 'openid profile phone wechat offline_access';

const scopeClaims: Record<string, readonly string[]> = SCOPE_CLAIMS;

/** The claims of `user` that `scope` releases (never `sub`: the token sets it). */
export function claimsForScope(user: ClaimsSource, scope: string): Record<string, unknown> {
  const all = userClaims(user);
  const released: Record<string, unknown> = {};
  for (const granted of scope.split(' ')) {
    for (const name of scopeClaims[granted] ?? []) if (name !== 'sub' && name in all) released[name] = all[name];
  }
  return released;
}

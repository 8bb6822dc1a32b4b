/**
 * The person's claims in app-scenario tokens: OIDC standard profile and phone (and email) claims,
 * read from the account's record, never from what an app sent. Names and scopes are the ones the
 * OIDC provider releases, so an ID token from S5–S7 and one from the authorization endpoint read
 * the same.
 */
import type { UserDetail } from '../identity/users.ts';

/** What app logins grant: the person's id, profile and phone, and a refresh token. */
export const APP_LOGIN_SCOPE = 'openid profile phone offline_access';

const SCOPE_CLAIMS: Record<string, readonly string[]> = {
  profile: ['name', 'nickname', 'picture', 'gender', 'locale', 'updated_at'],
  phone: ['phone_number', 'phone_number_verified'],
  email: ['email', 'email_verified'],
};

/** The claims of `user` that `scope` releases (never `sub`: the token sets it). */
export function claimsForScope(user: UserDetail, scope: string): Record<string, unknown> {
  const all: Record<string, unknown> = { updated_at: Math.floor(user.updatedAt / 1000) };
  const optional: [string, string | null][] = [
    ['name', user.name],
    ['nickname', user.nickname],
    ['picture', user.picture],
    ['gender', user.gender],
    ['locale', user.locale],
  ];
  for (const [name, value] of optional) if (value !== null) all[name] = value;
  if (user.phoneNumber !== null) {
    all.phone_number = user.phoneNumber;
    all.phone_number_verified = user.phoneNumberVerified;
  }
  if (user.email !== null) {
    all.email = user.email;
    all.email_verified = user.emailVerified;
  }
  const released: Record<string, unknown> = {};
  for (const granted of scope.split(' ')) {
    for (const name of SCOPE_CLAIMS[granted] ?? []) if (name in all) released[name] = all[name];
  }
  return released;
}

/**
 * The claims weunion releases, per scope: OIDC standard profile, phone and email claims, and
 * `wechat` — the person's WeChat identities (appid, openid, unionid), so an application can still
 * call WeChat APIs that need an openid. Never derived from anything but the account's record.
 */
import type { ClaimsSource } from '../identity/users.ts';

export const SCOPE_CLAIMS = {
  openid: ['sub'],
  profile: ['name', 'nickname', 'picture', 'gender', 'locale', 'updated_at'],
  phone: ['phone_number', 'phone_number_verified'],
  email: ['email', 'email_verified'],
  wechat: ['wechat_identities'],
} as const;

export type ScopeName = keyof typeof SCOPE_CLAIMS;

export function userClaims(user: ClaimsSource): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    sub: user.id,
    updated_at: Math.floor(user.updatedAt / 1000),
    wechat_identities: user.identities.map((identity) => ({
      appid: identity.appid,
      app_type: identity.appType,
      openid: identity.openid,
      ...(identity.unionid === null ? {} : { unionid: identity.unionid }),
    })),
  };
  const optional: [string, unknown][] = [
    ['name', user.name],
    ['nickname', user.nickname],
    ['picture', user.picture],
    ['gender', user.gender],
    ['locale', user.locale],
  ];
  for (const [name, value] of optional) if (value !== null) claims[name] = value;
  if (user.phoneNumber !== null) {
    claims.phone_number = user.phoneNumber;
    claims.phone_number_verified = user.phoneNumberVerified;
  }
  if (user.email !== null) {
    claims.email = user.email;
    claims.email_verified = user.emailVerified;
  }
  return claims;
}

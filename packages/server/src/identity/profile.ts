/**
 * WeChat profile → OIDC standard claims. Only what WeChat actually states is mapped; WeChat never
 * supplies a real name, and since 2021 often sends the placeholder nickname "微信用户" with a grey
 * avatar, which is not worth keeping over anything a person or admin set.
 */
import type { UsersTable } from '../storage/schema.ts';
import type { WechatProfile } from './assertion.ts';

/** A person's profile columns (the ones a merge carries over and a `user.updated` event names). */
export const PROFILE_COLUMNS = [
  'name',
  'nickname',
  'picture',
  'gender',
  'locale',
  'phone_number',
  'phone_number_verified',
  'email',
  'email_verified',
] as const;

type ProfileClaims = Pick<UsersTable, 'nickname' | 'picture' | 'gender' | 'locale'>;

const PLACEHOLDER_NICKNAMES = new Set(['微信用户', 'WeChat User']);

export function claimsFromWechatProfile(profile: WechatProfile | undefined): Partial<ProfileClaims> {
  if (profile === undefined) return {};
  const claims: Partial<ProfileClaims> = {};
  if (profile.nickname !== undefined && profile.nickname !== '' && !PLACEHOLDER_NICKNAMES.has(profile.nickname)) {
    claims.nickname = profile.nickname;
  }
  if (profile.avatarUrl !== undefined && profile.avatarUrl !== '') claims.picture = profile.avatarUrl;
  if (profile.gender === 1) claims.gender = 'male';
  else if (profile.gender === 2) claims.gender = 'female';
  if (profile.language !== undefined && /^[a-z]{2}(_[A-Z]{2})?$/.test(profile.language)) claims.locale = profile.language.replace('_', '-');
  return claims;
}

/** Claims to fill on an existing user: only those still empty, so edits are never overwritten. */
export function missingClaims(user: ProfileClaims, fromWechat: Partial<ProfileClaims>): Partial<ProfileClaims> {
  const fill: Partial<ProfileClaims> = {};
  for (const key of ['nickname', 'picture', 'gender', 'locale'] as const) {
    const value = fromWechat[key];
    if (user[key] === null && value !== undefined && value !== null) fill[key] = value;
  }
  return fill;
}

/**
 * The profile WeChat's `sns/userinfo` gives (S2, S4 with snsapi_userinfo) as the identity core's
 * `WechatProfile`. Since 2021 WeChat blanks sex/province/city/country and may answer the generic
 * nickname 微信用户; empty values are left out rather than stored as facts.
 */
import type { SnsUserInfo } from '@weunion/wechat';
import type { WechatProfile } from '../identity/index.ts';

export function profileFromUserInfo(info: SnsUserInfo): WechatProfile {
  const profile: WechatProfile = {};
  if (info.nickname !== '') profile.nickname = info.nickname.slice(0, 200);
  if (info.headImgUrl !== '') profile.avatarUrl = info.headImgUrl.slice(0, 2000);
  if (info.sex === 1 || info.sex === 2) profile.gender = info.sex;
  if (info.country !== '') profile.country = info.country.slice(0, 100);
  if (info.province !== '') profile.province = info.province.slice(0, 100);
  if (info.city !== '') profile.city = info.city.slice(0, 100);
  return profile;
}

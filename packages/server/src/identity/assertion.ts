/**
 * What a scenario hands to identity: a WeChat login it has verified. Scenarios build it from WeChat
 * responses (after checking them); identity never calls WeChat. The schema is the contract both
 * sides test against.
 */
import { WECHAT_APP_TYPES } from '@weunion/wechat';
import { z } from 'zod';

/** The WeChat profile fields weunion maps to standard claims; the raw profile is kept as given. */
export const wechatProfileSchema = z
  .object({
    nickname: z.string().max(200).optional(),
    avatarUrl: z.string().max(2000).optional(),
    /** WeChat's `sex`/`gender`: 1 male, 2 female, 0 unknown. */
    gender: z.number().int().min(0).max(2).optional(),
    language: z.string().max(40).optional(),
    country: z.string().max(100).optional(),
    province: z.string().max(100).optional(),
    city: z.string().max(100).optional(),
  })
  .loose();

export const identityAssertionSchema = z.object({
  appid: z.string().min(1).max(64),
  appType: z.enum(WECHAT_APP_TYPES),
  /** The Open Platform account the app is bound to (from its connection), null when unbound. */
  openPlatformId: z.string().min(1).max(64).nullable(),
  openid: z.string().min(1).max(128),
  unionid: z.string().min(1).max(128).optional(),
  /** A phone number WeChat verified (getuserphonenumber), E.164 (`+86…`). */
  phone: z
    .string()
    .regex(/^\+[1-9]\d{4,16}$/, { error: 'must be an E.164 phone number' })
    .optional(),
  /** A verified email, when a scenario has one (WeChat itself never supplies email). */
  email: z.email().optional(),
  profile: wechatProfileSchema.optional(),
  /** WeChat "snapshot mode" (朋友圈快照页): a placeholder openid that must never create or match an account. */
  snapshot: z.boolean().optional(),
});

export type IdentityAssertion = z.output<typeof identityAssertionSchema>;
export type WechatProfile = z.output<typeof wechatProfileSchema>;

/** Emails compare case-insensitively; phones are already E.164. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * A connection's identity policy: how a WeChat login that weunion does not yet recognise becomes an
 * account. The defaults are the safe ones: register new people, never link by matching fields,
 * never merge on our own, and let a person choose when several accounts are theirs.
 */
import { z } from 'zod';

export const BINDING_METHODS = ['password', 'sms', 'email'] as const;
export type BindingMethod = (typeof BINDING_METHODS)[number];

export const identityPolicySchema = z
  .object({
    registration: z.enum(['allow', 'deny']).default('allow').describe('Whether a WeChat login that matches no account may create one.'),
    fieldMatching: z
      .union([z.tuple([]), z.tuple([z.literal('phone')]), z.tuple([z.literal('phone'), z.literal('email')])])
      .default([])
      .describe('Link to an existing account by verified phone, then verified email. Never by names.'),
    queryBinding: z
      .enum(['off', 'offer', 'require'])
      .default('off')
      .describe('Ask an unrecognised person to prove an existing account (offer: or create one; require: no creating).'),
    bindingMethods: z
      .array(z.enum(BINDING_METHODS))
      .min(1)
      .default(['password', 'sms'])
      .describe('How a person may prove an existing account when binding.'),
    onMultipleMatches: z
      .enum(['select', 'refuse'])
      .default('select')
      .describe('When several accounts match one login: let the person choose, or refuse.'),
    autoMergeOnUnionid: z
      .boolean()
      .default(false)
      .describe('When a late unionid shows two accounts are one person, merge them without asking an admin.'),
  })
  .strict();

export type IdentityPolicy = z.output<typeof identityPolicySchema>;
export type IdentityPolicyInput = z.input<typeof identityPolicySchema>;

export const DEFAULT_POLICY: IdentityPolicy = identityPolicySchema.parse({});

/**
 * The parts of a connection that are pure data: its identity policy and scenario settings (with the
 * defaults the server applies), as the API accepts and answers them. The rules that combine them
 * with WeChat and the database stay in the server (`connections/`, `identity/`).
 */
import { z } from 'zod';

export const BINDING_METHODS = ['password', 'sms', 'email'] as const;
export type BindingMethod = (typeof BINDING_METHODS)[number];

/**
 * A connection's identity policy: how a WeChat login that weunion does not yet recognise becomes an
 * account. The defaults are the safe ones: register new people, never link by matching fields,
 * never merge on our own, and let a person choose when several accounts are theirs.
 */
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

/**
 * How the scenarios behave for this app, apart from identity policy. Defaults are what a careful
 * operator would pick: ask for a phone number only when none is on file, never pay WeChat twice.
 */
export const connectionSettingsSchema = z
  .object({
    phoneNumber: z
      .enum(['off', 'optional', 'required'])
      .default('optional')
      .describe('Mini programs (S3, S5, S7): off = never ask; optional = the person may share it; required = no login without one.'),
    reusePhone: z
      .boolean()
      .default(true)
      .describe('Skip the paid WeChat phone call when this WeChat identity already has a verified phone on file.'),
    webAuthScope: z
      .enum(['auto', 'snsapi_base', 'snsapi_userinfo'])
      .default('auto')
      .describe('Official accounts (S4): auto = silent snsapi_base for people already known, snsapi_userinfo for new ones.'),
    revealScanner: z
      .boolean()
      .default(false)
      .describe('QR logins (S1, S3): show the nickname and avatar of whoever scanned on the waiting page (opt-in).'),
  })
  .strict();
export type ConnectionSettings = z.output<typeof connectionSettingsSchema>;

/** Documents `setup` in a connection's view; the values come from the server's `connections/setup.ts`. */
export const SETUP_KEYS_DESCRIPTION =
  'What to paste into WeChat for this connection: `server_url` (official account message/event push URL; ' +
  'its Token and EncodingAESKey are the ones stored on this connection), `oauth_domain` (official account web ' +
  'authorization domain, or website app authorization callback domain), `js_domain` (official account JS-SDK ' +
  'safe domain), `request_domain` (mini program request legal domain, an https origin). Empty for a mobile app.';

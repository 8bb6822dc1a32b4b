/**
 * Connections as the console edits them: the management API's connection view, the credential
 * check answer, and the tables from packages/server/src/connections/schema.ts the forms need (which
 * app type serves which scenario, who receives pushed messages). The server re-checks all of it.
 */
import { z } from 'zod';

export const APP_TYPES = ['official_account', 'mini_program', 'website', 'mobile_app'] as const;
export type AppType = (typeof APP_TYPES)[number];

export const SCENARIOS = ['s1', 's2', 's3', 's4', 's5', 's6', 's7'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** Mirrors SCENARIO_APP_TYPES on the server (s7 involves both the mobile app and the mini program). */
export const SCENARIO_APP_TYPES: Record<Scenario, readonly AppType[]> = {
  s1: ['official_account'],
  s2: ['website'],
  s3: ['mini_program'],
  s4: ['official_account'],
  s5: ['mini_program'],
  s6: ['mobile_app'],
  s7: ['mobile_app', 'mini_program'],
};

export function scenariosFor(appType: AppType): Scenario[] {
  return SCENARIOS.filter((scenario) => SCENARIO_APP_TYPES[scenario].includes(appType));
}

/** Only official accounts and mini programs receive pushed messages, so only they have a token and key. */
export function receivesPushes(appType: AppType): boolean {
  return appType === 'official_account' || appType === 'mini_program';
}

export const BINDING_METHODS = ['password', 'sms', 'email'] as const;

const fieldMatchingSchema = z.union([z.tuple([]), z.tuple([z.literal('phone')]), z.tuple([z.literal('phone'), z.literal('email')])]);
export type FieldMatching = z.infer<typeof fieldMatchingSchema>;

export const policySchema = z.object({
  registration: z.enum(['allow', 'deny']),
  fieldMatching: fieldMatchingSchema,
  queryBinding: z.enum(['off', 'offer', 'require']),
  bindingMethods: z.array(z.enum(BINDING_METHODS)),
  onMultipleMatches: z.enum(['select', 'refuse']),
  autoMergeOnUnionid: z.boolean(),
});
export type Policy = z.infer<typeof policySchema>;

export const DEFAULT_POLICY: Policy = {
  registration: 'allow',
  fieldMatching: [],
  queryBinding: 'off',
  bindingMethods: ['password', 'sms'],
  onMultipleMatches: 'select',
  autoMergeOnUnionid: false,
};

export const settingsSchema = z.object({
  phoneNumber: z.enum(['off', 'optional', 'required']),
  reusePhone: z.boolean(),
  webAuthScope: z.enum(['auto', 'snsapi_base', 'snsapi_userinfo']),
  revealScanner: z.boolean(),
});
export type Settings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: Settings = { phoneNumber: 'optional', reusePhone: true, webAuthScope: 'auto', revealScanner: false };

export const connectionSchema = z.object({
  id: z.string(),
  name: z.string(),
  appType: z.enum(APP_TYPES),
  appid: z.string(),
  openPlatformId: z.string().nullable(),
  originalId: z.string().nullable(),
  scenarios: z.array(z.enum(SCENARIOS)),
  policy: policySchema,
  settings: settingsSchema,
  source: z.enum(['api', 'config', 'sandbox']),
  secretSet: z.boolean(),
  tokenSet: z.boolean(),
  encodingAesKeySet: z.boolean(),
  setup: z.array(z.object({ key: z.string(), value: z.string() })),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Connection = z.infer<typeof connectionSchema>;
export const connectionsSchema = z.object({ connections: z.array(connectionSchema) });

export const credentialCheckSchema = z.object({
  ok: z.boolean(),
  method: z.enum(['stable_token', 'oauth_probe']),
  errcode: z.number().nullable(),
  errmsg: z.string().nullable(),
  explanation: z.string(),
  checkedAt: z.number(),
});
export type CredentialCheck = z.infer<typeof credentialCheckSchema>;

/** The same rules the server applies, so mistakes show beside the field before saving. */
export const PATTERNS = {
  id: /^[a-z0-9][a-z0-9-]{0,62}$/,
  appid: /^wx[0-9a-zA-Z]{6,30}$/,
  token: /^[A-Za-z0-9]{3,32}$/,
  encodingAesKey: /^[A-Za-z0-9]{43}$/,
  originalId: /^gh_[0-9a-zA-Z]+$/,
} as const;

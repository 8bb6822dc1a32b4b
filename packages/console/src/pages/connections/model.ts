/**
 * Connections as the console edits them. The view, the credential check answer, the policy and
 * settings schemas and the lists of app types and scenarios are the management API's own
 * (@weunion/management-api); what stays here are the tables the forms need that the server keeps
 * in packages/server/src/connections/schema.ts (which app type serves which scenario, who receives
 * pushed messages) and the field rules shown before saving. The server re-checks all of it.
 */
import {
  BINDING_METHODS,
  type ConnectionSettings,
  connectionSettingsSchema,
  connectionView,
  credentialCheckView,
  type IdentityPolicy,
  identityPolicySchema,
  PUSH_APP_TYPES,
  SCENARIO_APP_TYPES,
  SCENARIO_IDS,
  type ScenarioId,
  WECHAT_APP_TYPES,
  type WechatAppType,
} from '@weunion/management-api';
import { z } from 'zod';

export { BINDING_METHODS };

export const APP_TYPES = WECHAT_APP_TYPES;
export type AppType = WechatAppType;

export const SCENARIOS = SCENARIO_IDS;
export type Scenario = ScenarioId;

export function scenariosFor(appType: AppType): Scenario[] {
  return SCENARIOS.filter((scenario) => SCENARIO_APP_TYPES[scenario].includes(appType));
}

/** Only official accounts and mini programs receive pushed messages, so only they have a token and key. */
export function receivesPushes(appType: AppType): boolean {
  return PUSH_APP_TYPES.includes(appType);
}

export type Policy = IdentityPolicy;
export type FieldMatching = Policy['fieldMatching'];

/**
 * What a new connection's form starts with. The source of truth is the server's: the defaults in
 * @weunion/management-api's identityPolicySchema and connectionSettingsSchema, which the server
 * applies to a connection created without them (it derives its own defaults the same way).
 */
export const DEFAULT_POLICY: Policy = identityPolicySchema.parse({});
export const DEFAULT_SETTINGS: ConnectionSettings = connectionSettingsSchema.parse({});
export type Settings = ConnectionSettings;

export const connectionSchema = connectionView;
export type Connection = z.infer<typeof connectionSchema>;
export const connectionsSchema = z.object({ connections: z.array(connectionSchema) });

export const credentialCheckSchema = credentialCheckView;
export type CredentialCheck = z.infer<typeof credentialCheckSchema>;

/** The same rules the server applies, so mistakes show beside the field before saving. */
export const PATTERNS = {
  id: /^[a-z0-9][a-z0-9-]{0,62}$/,
  appid: /^wx[0-9a-zA-Z]{6,30}$/,
  token: /^[A-Za-z0-9]{3,32}$/,
  encodingAesKey: /^[A-Za-z0-9]{43}$/,
  originalId: /^gh_[0-9a-zA-Z]+$/,
} as const;

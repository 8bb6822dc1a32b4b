/**
 * A connection: one WeChat app weunion signs people in through, the login scenarios it serves, and
 * the identity policy for people arriving through it. Secrets (app secret, message token,
 * EncodingAESKey) are write-only: accepted here, sealed at rest, never shown again.
 */

import {
  type ConnectionSettings,
  connectionSettingsSchema,
  PUSH_APP_TYPES,
  patchSchemaOf,
  SCENARIO_APP_TYPES,
  SCENARIO_IDS,
  type ScenarioId,
} from '@weunion/management-api';
import { WECHAT_APP_TYPES, type WechatAppType } from '@weunion/wechat';
import { z } from 'zod';
import { identityPolicySchema } from '../identity/policy.ts';

// The scenario ids and the settings schema are pure data the console uses too, so they live in the
// management API package.
export {
  type ConnectionSettings,
  connectionSettingsSchema,
  SCENARIO_APP_TYPES,
  SCENARIO_IDS,
  type ScenarioId,
} from '@weunion/management-api';

export const DEFAULT_CONNECTION_SETTINGS: ConnectionSettings = connectionSettingsSchema.parse({});

const fields = {
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'must be lower-case letters, digits and dashes (at most 63)' })
    .describe('Stable name of the connection, used in URLs and the config file.'),
  name: z.string().min(1).max(200).describe('Shown to admins.'),
  appType: z.enum(WECHAT_APP_TYPES).describe('The kind of WeChat app.'),
  appid: z
    .string()
    .regex(/^wx[0-9a-zA-Z]{6,30}$/, { error: 'must be a WeChat appid (wx…)' })
    .describe('The WeChat appid.'),
  secret: z.string().min(1).max(200).describe('The WeChat AppSecret. Write-only.'),
  token: z
    .string()
    .regex(/^[A-Za-z0-9]{3,32}$/, { error: 'must be 3–32 letters or digits' })
    .describe('Message-push token (official accounts, mini programs). Write-only.'),
  encodingAesKey: z
    .string()
    .regex(/^[A-Za-z0-9]{43}$/, { error: 'must be 43 letters or digits' })
    .describe(
      'Message-push EncodingAESKey (official accounts, mini programs). Write-only. With it, only encrypted (safe or compatible mode) pushes are taken; leave it unset for plaintext mode.',
    ),
  originalId: z
    .string()
    .regex(/^gh_[0-9a-zA-Z]+$/, { error: 'must be an original id (gh_…)' })
    .describe('Original id of an official account or mini program.'),
  openPlatformId: z
    .string()
    .min(1)
    .max(64)
    .nullable()
    .describe('The Open Platform account the app is bound to (people get a unionid), or null when unbound.'),
  scenarios: z.array(z.enum(SCENARIO_IDS)).min(1).describe('The login scenarios this app serves.'),
  policy: identityPolicySchema.describe('How people arriving through this app become accounts.'),
};

function checkCombination(
  value: {
    appType?: WechatAppType | undefined;
    scenarios?: ScenarioId[] | undefined;
    token?: string | undefined;
    encodingAesKey?: string | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  const appType = value.appType;
  if (appType === undefined) return;
  for (const scenario of value.scenarios ?? []) {
    if (!SCENARIO_APP_TYPES[scenario].includes(appType)) {
      ctx.addIssue({ code: 'custom', path: ['scenarios'], message: `scenario ${scenario} cannot be served by a ${appType} app` });
    }
  }
  if (!PUSH_APP_TYPES.includes(appType)) {
    for (const key of ['token', 'encodingAesKey'] as const) {
      if (value[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `a ${appType} app has no ${key}` });
    }
  }
}

/** A whole connection, as declared in the config file or created through the API. */
export const connectionInputSchema = z
  .object({
    id: fields.id,
    name: fields.name,
    appType: fields.appType,
    appid: fields.appid,
    secret: fields.secret.optional(),
    token: fields.token.optional(),
    encodingAesKey: fields.encodingAesKey.optional(),
    originalId: fields.originalId.optional(),
    openPlatformId: fields.openPlatformId.default(null),
    scenarios: fields.scenarios,
    policy: fields.policy.default(identityPolicySchema.parse({})),
    settings: connectionSettingsSchema.default(DEFAULT_CONNECTION_SETTINGS),
  })
  .strict()
  .superRefine(checkCombination);

export type ConnectionInput = z.output<typeof connectionInputSchema>;

/**
 * A change to a connection through the API: any field but the id. Only the fields named change:
 * secrets omitted stay as they are, and `policy`/`settings` change field by field.
 */
export const connectionPatchSchema = z
  .object({
    name: fields.name.optional(),
    appType: fields.appType.optional(),
    appid: fields.appid.optional(),
    secret: fields.secret.optional(),
    token: fields.token.optional(),
    encodingAesKey: fields.encodingAesKey.optional(),
    originalId: fields.originalId.optional(),
    openPlatformId: fields.openPlatformId.optional(),
    scenarios: fields.scenarios.optional(),
    policy: patchSchemaOf(identityPolicySchema).optional().describe('The policy fields to change; the others keep their value.'),
    settings: patchSchemaOf(connectionSettingsSchema).optional().describe('The settings to change; the others keep their value.'),
  })
  .strict();

export type ConnectionPatch = z.output<typeof connectionPatchSchema>;

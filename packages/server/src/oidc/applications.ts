/**
 * Applications: the OIDC clients that send people to weunion to log in. Redirect URIs are an
 * exact-match allowlist; web applications are confidential (a secret, shown once, sealed at rest),
 * SPAs and native apps are public and must use PKCE.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '@weunion/errors';
import {
  APPLICATION_TYPES,
  type ApplicationPolicy,
  type ApplicationType,
  applicationPolicySchema,
  applyPatch,
  CLIENT_AUTH_METHODS,
  type ClientAuthMethod,
  nullablePatchSchemaOf,
} from '@weunion/management-api';
import type { SharedState } from '@weunion/state';
import type { AdapterPayload } from 'oidc-provider';
import { z } from 'zod';
import { SCENARIO_IDS } from '../connections/schema.ts';
import { parseInput } from '../http/problem.ts';
import { SUBJECT_TYPES } from '../identity/subject.ts';
import type { SecretBox } from '../secrets/master-key.ts';
import { SIGNING_ALGORITHMS } from '../signing/signing-keys.ts';
import { cached, catalogChanged } from '../storage/catalog-cache.ts';
import type { ApplicationsTable, OidcDb } from './tables.ts';

export {
  APPLICATION_TYPES,
  type ApplicationPolicy,
  type ApplicationType,
  applicationPolicySchema,
  CLIENT_AUTH_METHODS,
  type ClientAuthMethod,
};

const redirectUri = z
  .string()
  .max(2000)
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return url.hash === '' && url.protocol !== 'javascript:' && url.protocol !== 'data:';
      } catch {
        return false;
      }
    },
    { error: 'must be an absolute URL without a fragment' },
  );

/** A public JWK set (for `private_key_jwt`): private members are refused, never stored. */
const publicJwksSchema = z
  .object({
    keys: z
      .array(
        z.looseObject({ kty: z.enum(['RSA', 'EC', 'OKP']), kid: z.string().max(200).optional() }).refine((jwk) => !('d' in jwk), {
          error: 'must be a public key (no private members)',
        }),
      )
      .min(1)
      .max(10),
  })
  .strict();

export const brandingSchema = z
  .object({
    logoUrl: z.string().url().max(2000).optional(),
    primaryColor: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/)
      .optional(),
    termsUrl: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional()
      .describe('The user agreement (《用户协议》) the login page links to.'),
    privacyUrl: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional()
      .describe('The privacy policy (《隐私政策》) the login page links to.'),
    requireAgreement: z
      .boolean()
      .optional()
      .describe('The person must tick "I agree" before any QR is issued; the login APIs refuse without `agreed`.'),
  })
  .strict();
export type Branding = z.output<typeof brandingSchema>;

/** Every field of an application, without defaults: the input and patch schemas are made from these. */
export const applicationFields = {
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{2,62}$/, { error: 'must be 3–63 lower-case letters, digits and dashes' })
    .describe('The client_id.'),
  name: z.string().min(1).max(200).describe('Shown on the login and consent pages.'),
  type: z.enum(APPLICATION_TYPES).describe('web (confidential, has a secret), spa, native or mini_program (public, PKCE required).'),
  redirectUris: z.array(redirectUri).min(1).max(50).describe('Exact-match allowlist of redirect URIs.'),
  postLogoutRedirectUris: z.array(redirectUri).max(50).describe('Exact-match allowlist for RP-initiated logout.'),
  scenarios: z.array(z.enum(SCENARIO_IDS)).min(1).describe('Login scenarios offered on the hosted page.'),
  firstParty: z.boolean().describe('First-party applications skip the consent page.'),
  branding: brandingSchema.describe('Look of the hosted login page for this application.'),
  policy: applicationPolicySchema.describe(
    'Identity policy for logins made for this application, over the connection’s (unset fields keep it).',
  ),
  tokenEndpointAuthMethod: z
    .enum(CLIENT_AUTH_METHODS)
    .describe('Web applications: how the client authenticates (private_key_jwt needs `jwks` or `jwksUri`).'),
  jwks: publicJwksSchema.nullable().describe('The client’s public keys, for private_key_jwt.'),
  jwksUri: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .nullable()
    .describe('Where the client publishes its public keys, for private_key_jwt.'),
  idTokenSignedResponseAlg: z
    .enum(SIGNING_ALGORITHMS)
    .nullable()
    .describe('How ID tokens for this application are signed; null: the cluster’s current key (ES256 unless rotated).'),
  backchannelLogoutUri: redirectUri
    .nullable()
    .describe('OIDC Back-Channel Logout: where weunion POSTs a logout token when the person’s session ends.'),
  resources: z
    .array(z.url({ protocol: /^https?$/ }).max(2000))
    .max(20)
    .describe('APIs (RFC 8707 resource indicators) this application may get JWT access tokens (RFC 9068) for.'),
  subjectType: z
    .enum(SUBJECT_TYPES)
    .describe(
      'The `sub` of ID tokens and userinfo: `public`, the weunion account id; `external`, the id the person had in the system they were imported from (e.g. Authing), else the weunion id.',
    ),
};

export const applicationInputSchema = z
  .object({
    ...applicationFields,
    postLogoutRedirectUris: applicationFields.postLogoutRedirectUris.default([]),
    scenarios: applicationFields.scenarios.default(['s1', 's2', 's3', 's4']),
    firstParty: applicationFields.firstParty.default(true),
    branding: applicationFields.branding.default({}),
    policy: applicationFields.policy.default({}),
    tokenEndpointAuthMethod: applicationFields.tokenEndpointAuthMethod.default('client_secret_basic'),
    jwks: applicationFields.jwks.default(null),
    jwksUri: applicationFields.jwksUri.default(null),
    idTokenSignedResponseAlg: applicationFields.idTokenSignedResponseAlg.default(null),
    backchannelLogoutUri: applicationFields.backchannelLogoutUri.default(null),
    resources: applicationFields.resources.default([]),
    subjectType: applicationFields.subjectType.default('public'),
  })
  .strict()
  .superRefine(checkClientAuthentication);
export type ApplicationInput = z.output<typeof applicationInputSchema>;

/**
 * Only the fields a PATCH names change. `branding` and `policy` change field by field, and `null`
 * for one of their fields removes it (the policy override then falls back to the connection's).
 */
export const applicationPatchSchema = z
  .object({
    name: applicationFields.name.optional(),
    redirectUris: applicationFields.redirectUris.optional(),
    postLogoutRedirectUris: applicationFields.postLogoutRedirectUris.optional(),
    scenarios: applicationFields.scenarios.optional(),
    firstParty: applicationFields.firstParty.optional(),
    branding: nullablePatchSchemaOf(brandingSchema).optional().describe('Branding fields to change; null removes one.'),
    policy: nullablePatchSchemaOf(applicationPolicySchema).optional().describe('Policy fields to change; null removes the override.'),
    tokenEndpointAuthMethod: applicationFields.tokenEndpointAuthMethod.optional(),
    jwks: applicationFields.jwks.optional(),
    jwksUri: applicationFields.jwksUri.optional(),
    idTokenSignedResponseAlg: applicationFields.idTokenSignedResponseAlg.optional(),
    backchannelLogoutUri: applicationFields.backchannelLogoutUri.optional(),
    resources: applicationFields.resources.optional(),
    subjectType: applicationFields.subjectType.optional(),
  })
  .strict();
export type ApplicationPatch = z.output<typeof applicationPatchSchema>;

/** private_key_jwt needs keys to check the client's assertions against, and only web applications authenticate. */
function checkClientAuthentication(
  value: Pick<ApplicationInput, 'type' | 'tokenEndpointAuthMethod' | 'jwks' | 'jwksUri'>,
  ctx: z.RefinementCtx,
): void {
  if (value.tokenEndpointAuthMethod === 'private_key_jwt' && value.jwks === null && value.jwksUri === null) {
    ctx.addIssue({ code: 'custom', path: ['tokenEndpointAuthMethod'], message: 'private_key_jwt needs jwks or jwksUri' });
  }
  if (value.type !== 'web' && value.tokenEndpointAuthMethod !== 'client_secret_basic') {
    ctx.addIssue({
      code: 'custom',
      path: ['tokenEndpointAuthMethod'],
      message: `a ${value.type} application is public: it does not authenticate`,
    });
  }
}

export interface Application extends ApplicationInput {
  /** Opened client secret (web applications only). */
  secret: string | null;
  createdAt: number;
  updatedAt: number;
}

/** The protocol settings kept together in one JSON column (migration 0014). */
const protocolSchema = z.object({
  tokenEndpointAuthMethod: applicationInputSchema.shape.tokenEndpointAuthMethod,
  jwks: applicationInputSchema.shape.jwks,
  jwksUri: applicationInputSchema.shape.jwksUri,
  idTokenSignedResponseAlg: applicationInputSchema.shape.idTokenSignedResponseAlg,
  backchannelLogoutUri: applicationInputSchema.shape.backchannelLogoutUri,
  resources: applicationInputSchema.shape.resources,
  // Applications stored before imports existed name no subject type.
  subjectType: applicationFields.subjectType.default('public'),
});
type ApplicationProtocol = z.output<typeof protocolSchema>;

function protocolOf(input: ApplicationProtocol): string {
  const { tokenEndpointAuthMethod, jwks, jwksUri, idTokenSignedResponseAlg, backchannelLogoutUri, resources, subjectType } = input;
  return JSON.stringify({ tokenEndpointAuthMethod, jwks, jwksUri, idTokenSignedResponseAlg, backchannelLogoutUri, resources, subjectType });
}

const storedSchema = z.object({
  type: z.enum(APPLICATION_TYPES),
  redirectUris: z.array(z.string()),
  postLogoutRedirectUris: z.array(z.string()),
  scenarios: z.array(z.enum(SCENARIO_IDS)),
  branding: brandingSchema,
  policy: applicationPolicySchema,
  protocol: protocolSchema,
});

const aad = (id: string) => `application:${id}`;

function toApplication(row: ApplicationsTable, secrets: SecretBox): Application {
  const stored = storedSchema.parse({
    type: row.app_type,
    redirectUris: JSON.parse(row.redirect_uris),
    postLogoutRedirectUris: JSON.parse(row.post_logout_redirect_uris),
    scenarios: JSON.parse(row.scenarios),
    branding: JSON.parse(row.branding),
    policy: JSON.parse(row.policy),
    protocol: JSON.parse(row.protocol),
  });
  const { protocol, ...rest } = stored;
  return {
    id: row.id,
    name: row.name,
    ...rest,
    ...protocol,
    firstParty: row.first_party === 1,
    secret: row.secret_sealed === null ? null : secrets.open(row.secret_sealed, aad(row.id)),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Creates an application; for a web application, returns its client secret (shown once). */
export async function createApplication(
  db: OidcDb,
  secrets: SecretBox,
  input: ApplicationInput,
  now = Date.now(),
  /** Where to announce the change when no service watches `db` (the CLI): see catalogChanged. */
  state?: SharedState,
): Promise<{ application: Application; clientSecret: string | null }> {
  const clientSecret = input.type === 'web' ? randomBytes(32).toString('base64url') : null;
  const existing = await db.selectFrom('applications').select('id').where('id', '=', input.id).executeTakeFirst();
  if (existing !== undefined) throw new AppError('conflict', `Application ${input.id} already exists`);
  await db
    .insertInto('applications')
    .values({
      id: input.id,
      name: input.name,
      app_type: input.type,
      secret_sealed: clientSecret === null ? null : secrets.seal(clientSecret, aad(input.id)),
      redirect_uris: JSON.stringify(input.redirectUris),
      post_logout_redirect_uris: JSON.stringify(input.postLogoutRedirectUris),
      scenarios: JSON.stringify(input.scenarios),
      first_party: input.firstParty ? 1 : 0,
      branding: JSON.stringify(input.branding),
      policy: JSON.stringify(input.policy),
      protocol: protocolOf(input),
      created_at: now,
      updated_at: now,
    })
    .execute();
  await catalogChanged(db, state);
  const application = await findApplication(db, secrets, input.id);
  if (application === null) throw new AppError('internal', 'application vanished after insert');
  return { application, clientSecret };
}

/** An application by its id, from the service's catalog cache when there is one (storage/catalog-cache.ts). */
export async function findApplication(db: OidcDb, secrets: SecretBox, id: string): Promise<Application | null> {
  return cached(db, `application:${id}`, async () => {
    const row = await db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? null : toApplication(row, secrets);
  });
}

export async function listApplications(db: OidcDb, secrets: SecretBox): Promise<Application[]> {
  const rows = await db.selectFrom('applications').selectAll().orderBy('id').execute();
  return rows.map((row) => toApplication(row, secrets));
}

/** weunion's own "Try login" result page (console/try-login.ts). */
export const TRY_LOGIN_CALLBACK = '/console/try-login/callback';
export const tryLoginRedirectUri = (publicUrl: string) => `${publicUrl}${TRY_LOGIN_CALLBACK}`;

/** The client metadata oidc-provider sees for an application. */
export function applicationClientMetadata(application: Application, tryLoginRedirectUri?: string): AdapterPayload {
  const confidential = application.type === 'web' && application.secret !== null;
  return {
    client_id: application.id,
    client_name: application.name,
    ...(confidential ? { client_secret: application.secret ?? undefined } : {}),
    token_endpoint_auth_method: confidential ? application.tokenEndpointAuthMethod : 'none',
    ...(application.jwks === null ? {} : { jwks: application.jwks }),
    ...(application.jwksUri === null ? {} : { jwks_uri: application.jwksUri }),
    ...(application.idTokenSignedResponseAlg === null ? {} : { id_token_signed_response_alg: application.idTokenSignedResponseAlg }),
    // With a back-channel logout URI, ID and logout tokens carry `sid`, so the application can end one session.
    ...(application.backchannelLogoutUri === null
      ? {}
      : { backchannel_logout_uri: application.backchannelLogoutUri, backchannel_logout_session_required: true }),
    application_type: application.type === 'native' ? 'native' : 'web',
    // The console's "Try login" result page (console/try-login.ts); native apps take only their own schemes.
    redirect_uris:
      tryLoginRedirectUri === undefined || application.type === 'native' || application.type === 'mini_program'
        ? application.redirectUris
        : [...application.redirectUris, tryLoginRedirectUri],
    post_logout_redirect_uris: application.postLogoutRedirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  };
}

/** What admins see: everything but the secret, and whether one is set. */
export function applicationView(application: Application): Omit<Application, 'secret'> & { secretSet: boolean } {
  const { secret, ...rest } = application;
  return { ...rest, secretSet: secret !== null };
}

export async function updateApplication(
  db: OidcDb,
  secrets: SecretBox,
  id: string,
  patch: ApplicationPatch,
  now = Date.now(),
): Promise<Application> {
  const current = await findApplication(db, secrets, id);
  if (current === null) throw new AppError('not_found', `No application ${id}`);
  const { branding, policy, ...named } = patch;
  const merged = {
    ...current,
    ...Object.fromEntries(Object.entries(named).filter(([, value]) => value !== undefined)),
    branding: applyPatch(current.branding, branding),
    policy: applyPatch(current.policy, policy),
  };
  // The changed whole must still be a valid application (e.g. private_key_jwt still has keys).
  const next = parseInput(applicationInputSchema, {
    id: merged.id,
    name: merged.name,
    type: merged.type,
    redirectUris: merged.redirectUris,
    postLogoutRedirectUris: merged.postLogoutRedirectUris,
    scenarios: merged.scenarios,
    firstParty: merged.firstParty,
    branding: merged.branding,
    policy: merged.policy,
    tokenEndpointAuthMethod: merged.tokenEndpointAuthMethod,
    jwks: merged.jwks,
    jwksUri: merged.jwksUri,
    idTokenSignedResponseAlg: merged.idTokenSignedResponseAlg,
    backchannelLogoutUri: merged.backchannelLogoutUri,
    resources: merged.resources,
    subjectType: merged.subjectType,
  });
  await db
    .updateTable('applications')
    .set({
      name: next.name,
      redirect_uris: JSON.stringify(next.redirectUris),
      post_logout_redirect_uris: JSON.stringify(next.postLogoutRedirectUris),
      scenarios: JSON.stringify(next.scenarios),
      first_party: next.firstParty ? 1 : 0,
      branding: JSON.stringify(next.branding),
      policy: JSON.stringify(next.policy),
      protocol: protocolOf(next),
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
  await catalogChanged(db);
  const updated = await findApplication(db, secrets, id);
  if (updated === null) throw new AppError('not_found', `No application ${id}`);
  return updated;
}

/** A new client secret for a web application (the old one stops working at once); shown once. */
export async function rotateApplicationSecret(db: OidcDb, secrets: SecretBox, id: string, now = Date.now()): Promise<string> {
  const current = await findApplication(db, secrets, id);
  if (current === null) throw new AppError('not_found', `No application ${id}`);
  if (current.type !== 'web') throw new AppError('conflict', `A ${current.type} application is public: it has no secret`);
  const clientSecret = randomBytes(32).toString('base64url');
  await db
    .updateTable('applications')
    .set({ secret_sealed: secrets.seal(clientSecret, aad(id)), updated_at: now })
    .where('id', '=', id)
    .execute();
  await catalogChanged(db);
  return clientSecret;
}

/** Deletes an application and every grant, code and token issued to it. */
export async function deleteApplication(db: OidcDb, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const deleted = await trx.deleteFrom('applications').where('id', '=', id).executeTakeFirst();
    if (deleted.numDeletedRows === 0n) throw new AppError('not_found', `No application ${id}`);
    // Grant-bound models carry their client in the payload; match it exactly.
    const rows = await trx
      .selectFrom('oidc_models')
      .select(['model', 'id', 'payload'])
      .where('payload', 'like', `%"clientId":${JSON.stringify(id)}%`)
      .execute();
    for (const row of rows) await trx.deleteFrom('oidc_models').where('model', '=', row.model).where('id', '=', row.id).execute();
  });
  await catalogChanged(db);
}

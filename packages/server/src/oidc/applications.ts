/**
 * Applications: the OIDC clients that send people to weunion to log in. Redirect URIs are an
 * exact-match allowlist; web applications are confidential (a secret, shown once, sealed at rest),
 * SPAs and native apps are public and must use PKCE.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '@weunion/errors';
import type { AdapterPayload } from 'oidc-provider';
import { z } from 'zod';
import { SCENARIO_IDS } from '../connections/schema.ts';
import { BINDING_METHODS } from '../identity/policy.ts';
import type { SecretBox } from '../secrets/master-key.ts';
import type { ApplicationsTable, OidcDb } from './tables.ts';

export const APPLICATION_TYPES = ['web', 'spa', 'native', 'mini_program'] as const;
export type ApplicationType = (typeof APPLICATION_TYPES)[number];

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

/**
 * What an application may change in the identity policy of the connections it logs people in
 * through (e.g. `registration: deny` for an app that serves existing customers only). Unset fields
 * keep the connection's value.
 */
export const applicationPolicySchema = z
  .object({
    registration: z.enum(['allow', 'deny']).optional(),
    fieldMatching: z.union([z.tuple([]), z.tuple([z.literal('phone')]), z.tuple([z.literal('phone'), z.literal('email')])]).optional(),
    queryBinding: z.enum(['off', 'offer', 'require']).optional(),
    bindingMethods: z.array(z.enum(BINDING_METHODS)).min(1).optional(),
    onMultipleMatches: z.enum(['select', 'refuse']).optional(),
    autoMergeOnUnionid: z.boolean().optional(),
  })
  .strict();
export type ApplicationPolicy = z.output<typeof applicationPolicySchema>;

export const applicationInputSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{2,62}$/, { error: 'must be 3–63 lower-case letters, digits and dashes' })
      .describe('The client_id.'),
    name: z.string().min(1).max(200).describe('Shown on the login and consent pages.'),
    type: z.enum(APPLICATION_TYPES).describe('web (confidential, has a secret), spa, native or mini_program (public, PKCE required).'),
    redirectUris: z.array(redirectUri).min(1).max(50).describe('Exact-match allowlist of redirect URIs.'),
    postLogoutRedirectUris: z.array(redirectUri).max(50).default([]).describe('Exact-match allowlist for RP-initiated logout.'),
    scenarios: z
      .array(z.enum(SCENARIO_IDS))
      .min(1)
      .default(['s1', 's2', 's3', 's4'])
      .describe('Login scenarios offered on the hosted page.'),
    firstParty: z.boolean().default(true).describe('First-party applications skip the consent page.'),
    branding: z
      .object({
        logoUrl: z.string().url().max(2000).optional(),
        primaryColor: z
          .string()
          .regex(/^#[0-9a-fA-F]{6}$/)
          .optional(),
      })
      .strict()
      .default({})
      .describe('Look of the hosted login page for this application.'),
    policy: applicationPolicySchema
      .default({})
      .describe('Identity policy for logins made for this application, over the connection’s (unset fields keep it).'),
  })
  .strict();
export type ApplicationInput = z.output<typeof applicationInputSchema>;

export interface Application extends Omit<ApplicationInput, never> {
  /** Opened client secret (web applications only). */
  secret: string | null;
  createdAt: number;
  updatedAt: number;
}

const storedSchema = z.object({
  type: z.enum(APPLICATION_TYPES),
  redirectUris: z.array(z.string()),
  postLogoutRedirectUris: z.array(z.string()),
  scenarios: z.array(z.enum(SCENARIO_IDS)),
  branding: applicationInputSchema.shape.branding,
  policy: applicationPolicySchema,
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
  });
  return {
    id: row.id,
    name: row.name,
    ...stored,
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
      created_at: now,
      updated_at: now,
    })
    .execute();
  const application = await findApplication(db, secrets, input.id);
  if (application === null) throw new AppError('internal', 'application vanished after insert');
  return { application, clientSecret };
}

export async function findApplication(db: OidcDb, secrets: SecretBox, id: string): Promise<Application | null> {
  const row = await db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? null : toApplication(row, secrets);
}

export async function listApplications(db: OidcDb, secrets: SecretBox): Promise<Application[]> {
  const rows = await db.selectFrom('applications').selectAll().orderBy('id').execute();
  return rows.map((row) => toApplication(row, secrets));
}

/** The client metadata oidc-provider sees for an application. */
export function applicationClientMetadata(application: Application): AdapterPayload {
  const confidential = application.type === 'web' && application.secret !== null;
  return {
    client_id: application.id,
    client_name: application.name,
    ...(confidential ? { client_secret: application.secret ?? undefined } : {}),
    token_endpoint_auth_method: confidential ? 'client_secret_basic' : 'none',
    application_type: application.type === 'native' ? 'native' : 'web',
    redirect_uris: application.redirectUris,
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

export const applicationPatchSchema = applicationInputSchema.omit({ id: true, type: true }).partial().strict();
export type ApplicationPatch = z.output<typeof applicationPatchSchema>;

export async function updateApplication(
  db: OidcDb,
  secrets: SecretBox,
  id: string,
  patch: ApplicationPatch,
  now = Date.now(),
): Promise<Application> {
  const current = await findApplication(db, secrets, id);
  if (current === null) throw new AppError('not_found', `No application ${id}`);
  await db
    .updateTable('applications')
    .set({
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(patch.redirectUris === undefined ? {} : { redirect_uris: JSON.stringify(patch.redirectUris) }),
      ...(patch.postLogoutRedirectUris === undefined ? {} : { post_logout_redirect_uris: JSON.stringify(patch.postLogoutRedirectUris) }),
      ...(patch.scenarios === undefined ? {} : { scenarios: JSON.stringify(patch.scenarios) }),
      ...(patch.firstParty === undefined ? {} : { first_party: patch.firstParty ? 1 : 0 }),
      ...(patch.branding === undefined ? {} : { branding: JSON.stringify(patch.branding) }),
      ...(patch.policy === undefined ? {} : { policy: JSON.stringify(patch.policy) }),
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
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
}

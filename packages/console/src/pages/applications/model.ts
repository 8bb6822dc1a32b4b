/**
 * Applications (OIDC clients) as the management API shows them (packages/server/src/management/
 * applications-routes.ts), and the small pieces of OAuth the "Try login" button needs.
 */
import { z } from 'zod';
import { BINDING_METHODS, SCENARIOS } from '../connections/model.ts';

export const APPLICATION_TYPES = ['web', 'spa', 'native', 'mini_program'] as const;
export type ApplicationType = (typeof APPLICATION_TYPES)[number];

const fieldMatchingSchema = z.union([z.tuple([]), z.tuple([z.literal('phone')]), z.tuple([z.literal('phone'), z.literal('email')])]);

export const applicationPolicySchema = z.object({
  registration: z.enum(['allow', 'deny']).optional(),
  fieldMatching: fieldMatchingSchema.optional(),
  queryBinding: z.enum(['off', 'offer', 'require']).optional(),
  bindingMethods: z.array(z.enum(BINDING_METHODS)).optional(),
  onMultipleMatches: z.enum(['select', 'refuse']).optional(),
  autoMergeOnUnionid: z.boolean().optional(),
});

export const applicationSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(APPLICATION_TYPES),
  redirectUris: z.array(z.string()),
  postLogoutRedirectUris: z.array(z.string()),
  scenarios: z.array(z.enum(SCENARIOS)),
  firstParty: z.boolean(),
  branding: z.object({
    logoUrl: z.string().optional(),
    primaryColor: z.string().optional(),
    termsUrl: z.string().optional(),
    privacyUrl: z.string().optional(),
    requireAgreement: z.boolean().optional(),
  }),
  policy: applicationPolicySchema,
  secretSet: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Application = z.infer<typeof applicationSchema>;
export const applicationsSchema = z.object({ applications: z.array(applicationSchema) });
export const createdApplicationSchema = z.object({ application: applicationSchema, clientSecret: z.string().nullable() });
export const rotatedSecretSchema = z.object({ clientSecret: z.string() });

export const discoverySchema = z.looseObject({ issuer: z.string(), authorization_endpoint: z.string() });

export const APPLICATION_ID = /^[a-z0-9][a-z0-9-]{2,62}$/;
/** What the server renders for the branding preview (an HTML document, no script). */
export const loginPreviewSchema = z.object({ html: z.string() });

export const COLOR = /^#[0-9a-fA-F]{6}$/;

/** The server's rule for redirect URIs: absolute, no fragment, not javascript: or data:. */
export function isRedirectUri(value: string): boolean {
  try {
    const url = new URL(value);
    return url.hash === '' && !value.includes('#') && url.protocol !== 'javascript:' && url.protocol !== 'data:';
  } catch {
    return false;
  }
}

/** One URI per line; blank lines ignored. */
export function parseUriLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function randomToken(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** RFC 7636 S256; null where the browser offers no SubtleCrypto (a page served over plain http off localhost). */
export async function pkceChallenge(verifier: string): Promise<string | null> {
  if (crypto.subtle === undefined) return null;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

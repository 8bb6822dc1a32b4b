/**
 * Applications (OIDC clients) as the management API shows them (the server's schema, from
 * @weunion/management-api), and the small pieces of OAuth the "Try login" button needs.
 */
import { applicationView } from '@weunion/management-api';
import { z } from 'zod';

export { APPLICATION_TYPES, type ApplicationType, applicationPolicySchema } from '@weunion/management-api';

/** The server's own view of an application (@weunion/management-api). */
export const applicationSchema = applicationView;
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

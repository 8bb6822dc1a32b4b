/** The OIDC tables (migration 0006), in the portable conventions of `storage/schema.ts`. */
import type { Kysely } from 'kysely';
import type { Tables } from '../storage/schema.ts';

export type ApplicationsTable = {
  id: string;
  name: string;
  app_type: string;
  secret_sealed: string | null;
  redirect_uris: string;
  post_logout_redirect_uris: string;
  scenarios: string;
  first_party: number;
  branding: string;
  /** JSON identity-policy override (see applications.ts). */
  policy: string;
  created_at: number;
  updated_at: number;
};

export type OidcModelsTable = {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: number | null;
  consumed_at: number | null;
};

// A type alias, not an interface: Kysely's withTables needs an index-signature-compatible shape.
export type OidcTables = {
  applications: ApplicationsTable;
  oidc_models: OidcModelsTable;
};

export type OidcDb = Kysely<Tables & OidcTables>;

export function oidcDb(db: Kysely<Tables>): OidcDb {
  return db.withTables<OidcTables>();
}

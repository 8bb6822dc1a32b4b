/** The OIDC tables (migration 0006), in the portable conventions of `storage/schema.ts`. */
import type { Kysely } from 'kysely';
import { shareCatalogCache } from '../storage/catalog-cache.ts';
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
  /** JSON protocol settings: client authentication, ID token alg, back-channel logout, resources (migration 0014). */
  protocol: string;
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
  /** Grants only: whose and for which application (migration 0014). */
  account_id: string | null;
  client_id: string | null;
};

export type OidcLogoutDeliveriesTable = {
  id: string;
  client_id: string;
  account_id: string;
  sid: string | null;
  /** Why the session ended: `logout`, `blocked`, `deleted` or `merged`. */
  reason: string;
  /** `pending` (to send, or to retry at next_attempt_at), `delivered` or `failed` (gave up). */
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
};

// A type alias, not an interface: Kysely's withTables needs an index-signature-compatible shape.
export type OidcTables = {
  applications: ApplicationsTable;
  oidc_models: OidcModelsTable;
  oidc_logout_deliveries: OidcLogoutDeliveriesTable;
};

export type OidcDb = Kysely<Tables & OidcTables>;

const views = new WeakMap<Kysely<Tables>, OidcDb>();

/** The database with the OIDC tables' types: one view per database (it shares the catalog cache). */
export function oidcDb(db: Kysely<Tables>): OidcDb {
  let view = views.get(db);
  if (view === undefined) {
    view = db.withTables<OidcTables>();
    views.set(db, view);
    shareCatalogCache(view, db);
  }
  return view;
}

/**
 * The numbered migrations, in order. Each file exports `up` and `down` written with Kysely's
 * schema builder so the same migration runs on SQLite and PostgreSQL. Add a file, then list it here.
 */
import type { Migration } from 'kysely';
import * as m0001 from './0001_foundation.ts';
import * as m0002 from './0002_identity.ts';
import * as m0003 from './0003_connection_settings.ts';
import * as m0004 from './0004_app_login.ts';
import * as m0005 from './0005_oidc.ts';
import * as m0006 from './0006_application_policy.ts';
import * as m0007 from './0007_admin_accounts.ts';
import * as m0008 from './0008_login_stats.ts';
import * as m0009 from './0009_search_indexes.ts';
import * as m0010 from './0010_identity_rules.ts';
import * as m0014 from './0014_oidc_protocol.ts';
import * as m0017 from './0017_application_web_origins.ts';
import * as m0019 from './0019_admin_key_scopes.ts';
import * as m0020 from './0020_webhooks.ts';
import * as m0021 from './0021_imports.ts';
import * as m0024 from './0024_login_history.ts';
import * as m0025 from './0025_catalog_version.ts';
import * as m0026 from './0026_oidc_grant_account_index.ts';
import * as m0027 from './0027_identifier_disputed.ts';

export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_identity': m0002,
  '0003_connection_settings': m0003,
  '0004_app_login': m0004,
  '0005_oidc': m0005,
  '0006_application_policy': m0006,
  '0007_admin_accounts': m0007,
  '0008_login_stats': m0008,
  '0009_search_indexes': m0009,
  '0010_identity_rules': m0010,
  '0014_oidc_protocol': m0014,
  '0017_application_web_origins': m0017,
  '0019_admin_key_scopes': m0019,
  '0020_webhooks': m0020,
  '0021_imports': m0021,
  '0024_login_history': m0024,
  '0025_catalog_version': m0025,
  '0026_oidc_grant_account_index': m0026,
  '0027_identifier_disputed': m0027,
};

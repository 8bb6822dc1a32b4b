/**
 * An application's web origins: the sites whose pages may embed `<weunion-login>` or use the
 * browser SDK against weunion's login APIs (CORS with credentials), and to which a login may
 * return (`returnTo` as an absolute URL). They are the origins of its http(s) redirect URIs plus
 * an explicit list (migration 0017), so registering `https://shop.example/callback` for OIDC
 * already lets `https://shop.example` embed the widget.
 *
 * Nothing is cached: a cross-origin request asks about its one origin — an indexed read of the
 * explicit lists, then the redirect URIs of the applications (a few rows, never per person) — so
 * a change made on any instance holds on every instance at once.
 */
import { AppError } from '@weunion/errors';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { oidcDb } from '../oidc/tables.ts';
import type { Tables } from '../storage/index.ts';

type WebOriginsTables = {
  application_web_origins: { application_id: string; origin: string; created_at: number };
};

const webOriginsDb = (db: Kysely<Tables>) => oidcDb(db).withTables<WebOriginsTables>();

export const MAX_WEB_ORIGINS = 50;

/** The origin of an http(s) URL, as browsers send it in `Origin`; null for anything else. */
export function originOf(value: string): string | null {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : null;
  } catch {
    return null;
  }
}

/** An origin as an admin writes it: `https://shop.example` or `http://localhost:8080` — scheme, host, port; nothing more. */
export const webOriginSchema = z
  .string()
  .max(300)
  .transform((value, ctx) => {
    const origin = originOf(value);
    let url: URL | null = null;
    try {
      url = new URL(value);
    } catch {}
    const bare = url !== null && url.username === '' && url.password === '' && url.search === '' && url.hash === '' && url.pathname === '/';
    if (origin === null || !bare || !/^https?:\/\/[^/]+\/?$/i.test(value)) {
      ctx.addIssue({ code: 'custom', message: 'must be an origin: http(s)://host[:port], without a path, query or credentials' });
      return z.NEVER;
    }
    return origin;
  });

/** The origins of an application's redirect URIs (custom-scheme URIs of native apps have none). */
export function derivedWebOrigins(redirectUris: readonly string[]): string[] {
  const origins = new Set<string>();
  for (const uri of redirectUris) {
    const origin = originOf(uri);
    if (origin !== null) origins.add(origin);
  }
  return [...origins].sort();
}

const redirectUrisSchema = z.array(z.string());

async function applicationRedirectUris(db: Kysely<Tables>, applicationId?: string): Promise<string[][]> {
  let query = oidcDb(db).selectFrom('applications').select(['redirect_uris']);
  if (applicationId !== undefined) query = query.where('id', '=', applicationId);
  const rows = await query.execute();
  return rows.map((row) => redirectUrisSchema.catch([]).parse(JSON.parse(row.redirect_uris)));
}

export interface WebOriginsView {
  /** From the redirect URIs (change those to change these). */
  derived: string[];
  /** Registered on their own. */
  explicit: string[];
  /** Both: what weunion allows. */
  effective: string[];
}

export async function webOriginsOf(db: Kysely<Tables>, applicationId: string): Promise<WebOriginsView> {
  const [uris] = await applicationRedirectUris(db, applicationId);
  if (uris === undefined) throw new AppError('not_found', `No application ${applicationId}`);
  const derived = derivedWebOrigins(uris);
  const rows = await webOriginsDb(db)
    .selectFrom('application_web_origins')
    .select('origin')
    .where('application_id', '=', applicationId)
    .orderBy('origin')
    .execute();
  const explicit = rows.map((row) => row.origin);
  return { derived, explicit, effective: [...new Set([...derived, ...explicit])].sort() };
}

/** Replaces an application's explicit list (duplicates collapse). */
export async function setWebOrigins(
  db: Kysely<Tables>,
  applicationId: string,
  origins: readonly string[],
  now = Date.now(),
): Promise<WebOriginsView> {
  await db.transaction().execute(async (trx) => {
    const exists = await oidcDb(trx).selectFrom('applications').select('id').where('id', '=', applicationId).executeTakeFirst();
    if (exists === undefined) throw new AppError('not_found', `No application ${applicationId}`);
    const wdb = webOriginsDb(trx);
    await wdb.deleteFrom('application_web_origins').where('application_id', '=', applicationId).execute();
    const unique = [...new Set(origins)];
    if (unique.length > 0)
      await wdb
        .insertInto('application_web_origins')
        .values(unique.map((origin) => ({ application_id: applicationId, origin, created_at: now })))
        .execute();
  });
  return webOriginsOf(db, applicationId);
}

/** Whether `origin` (an `Origin` header's value) is a web origin of any application. */
export async function isRegisteredWebOrigin(db: Kysely<Tables>, origin: string): Promise<boolean> {
  if (originOf(origin) !== origin) return false;
  const explicit = await webOriginsDb(db)
    .selectFrom('application_web_origins')
    .select('application_id')
    .where('origin', '=', origin)
    .executeTakeFirst();
  if (explicit !== undefined) return true;
  for (const uris of await applicationRedirectUris(db)) if (uris.some((uri) => originOf(uri) === origin)) return true;
  return false;
}

/**
 * The address the CLI prints (issuers, URLs to paste into WeChat): the one `serve` uses. A shell
 * often lacks the PUBLIC_URL the server was started with, so `serve` records the address it serves
 * at in the database, and a command that was given none uses that one — and says where it came
 * from. With neither, the printed URL says it is only the default.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../storage/schema.ts';
import type { Config } from './load.ts';

const SETTINGS_KEY = 'server.public_url';

/** Called by `serve` once storage is ready. */
export async function recordServedPublicUrl(db: Kysely<Tables>, config: Config, now = Date.now()): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key: SETTINGS_KEY, value: config.publicUrl, updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: config.publicUrl, updated_at: now }))
    .execute();
}

export interface CliPublicUrl {
  url: string;
  /** Why this address, when PUBLIC_URL was not given to the command (printed next to the URL). */
  note: string | null;
}

export async function cliPublicUrl(db: Kysely<Tables>, config: Config): Promise<CliPublicUrl> {
  if (config.publicUrlSet) return { url: config.publicUrl, note: null };
  const recorded = await db.selectFrom('settings').select('value').where('key', '=', SETTINGS_KEY).executeTakeFirst();
  if (recorded !== undefined) {
    return { url: recorded.value, note: 'the PUBLIC_URL the server last started with; set PUBLIC_URL here to print another' };
  }
  return {
    url: config.publicUrl,
    note: 'PUBLIC_URL is not set and the server has not started yet: this is only the default; set PUBLIC_URL to the address clients use',
  };
}

/** `url` with its note, for one line of CLI output. */
export function showCliPublicUrl(publicUrl: CliPublicUrl): string {
  return publicUrl.note === null ? publicUrl.url : `${publicUrl.url} (${publicUrl.note})`;
}

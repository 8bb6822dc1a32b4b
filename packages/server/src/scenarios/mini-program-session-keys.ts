/**
 * Mini program `session_key`s at rest: sealed with the master key (bound to appid and openid, so a
 * sealed key copied to another row fails to open), one row per (appid, openid), replaced when a
 * newer one arrives. The replaced key is kept beside it: a mini program that calls `wx.login`
 * again after the legacy getPhoneNumber button still holds data encrypted under the old key.
 * Nothing here is ever logged or returned to a client.
 */
import type { Kysely } from 'kysely';
import type { SecretBox } from '../secrets/master-key.ts';
import { precompiled } from '../storage/precompiled.ts';
import type { Tables } from '../storage/schema.ts';

const aad = (appid: string, openid: string) => `mini-program-session:${appid}:${openid}`;

// Every S5 login runs them (storage/precompiled.ts: built once, run with new values).
const SESSION_KEYS = precompiled<
  Tables,
  { appid: string; openid: string },
  { session_key_sealed: string; previous_session_key_sealed: string | null }
>((db, p) =>
  db
    .selectFrom('mini_program_sessions')
    .select(['session_key_sealed', 'previous_session_key_sealed'])
    .where('appid', '=', p.appid)
    .where('openid', '=', p.openid),
);
const STORE_SESSION_KEY = precompiled<Tables, { appid: string; openid: string; sealed: string; now: number }, unknown>((db, p) =>
  db
    .insertInto('mini_program_sessions')
    .values({ appid: p.appid, openid: p.openid, session_key_sealed: p.sealed, previous_session_key_sealed: null, updated_at: p.now })
    .onConflict((oc) =>
      oc.columns(['appid', 'openid']).doUpdateSet((eb) => ({
        previous_session_key_sealed: eb.ref('mini_program_sessions.session_key_sealed'),
        session_key_sealed: p.sealed,
        updated_at: p.now,
      })),
    ),
);

/**
 * Stores a login's `sessionKey` as the current key for (appid, openid); the key it replaces
 * becomes the previous one (nothing is written when it is already current). Returns the keys on
 * file before it, newest first — one read of the row for both.
 */
export async function rememberSessionKey(
  db: Kysely<Tables>,
  secrets: SecretBox,
  key: { appid: string; openid: string },
  sessionKey: string,
  now = Date.now(),
): Promise<string[]> {
  const [row] = (await SESSION_KEYS.execute(db, key)).rows;
  const open = (sealed: string) => secrets.open(sealed, aad(key.appid, key.openid), { remember: false });
  const earlier =
    row === undefined
      ? []
      : [row.session_key_sealed, ...(row.previous_session_key_sealed === null ? [] : [row.previous_session_key_sealed])].map(open);
  if (earlier[0] === sessionKey) return earlier;
  const sealed = secrets.seal(sessionKey, aad(key.appid, key.openid));
  await STORE_SESSION_KEY.execute(db, { appid: key.appid, openid: key.openid, sealed, now });
  return earlier;
}

/** The current and previous session keys for (appid, openid), newest first (empty when none). */
export async function readSessionKeys(db: Kysely<Tables>, secrets: SecretBox, key: { appid: string; openid: string }): Promise<string[]> {
  const [row] = (await SESSION_KEYS.execute(db, key)).rows;
  if (row === undefined) return [];
  const open = (sealed: string) => secrets.open(sealed, aad(key.appid, key.openid), { remember: false });
  return row.previous_session_key_sealed === null
    ? [open(row.session_key_sealed)]
    : [open(row.session_key_sealed), open(row.previous_session_key_sealed)];
}

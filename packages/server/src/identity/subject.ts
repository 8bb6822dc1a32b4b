/**
 * The `sub` an application sees. `public` (the default): the weunion account id. `external`: the id
 * the person had in the system they were imported from (Authing's user id, kept in
 * `user_external_ids`), so a business backend keyed on the old ids keeps working after a migration;
 * people who came after the migration (no external id) get their weunion id.
 *
 * Only ID tokens and userinfo (OIDC), and the ID tokens of the app logins (S5–S7), carry it: access
 * tokens, back-channel logout tokens and the management API keep the weunion id, which is what
 * weunion itself resolves.
 */

import type { SubjectType } from '@weunion/management-api';
import type { Kysely } from 'kysely';
import type { Tables } from '../storage/schema.ts';

export { SUBJECT_TYPES, type SubjectType } from '@weunion/management-api';

/** The subject of `userId` for an application of `subjectType`: its oldest external id, or its weunion id. */
export async function subjectFor(db: Kysely<Tables>, userId: string, subjectType: SubjectType): Promise<string> {
  if (subjectType === 'public') return userId;
  const row = await db
    .selectFrom('user_external_ids')
    .select('external_id')
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('source')
    .executeTakeFirst();
  return row?.external_id ?? userId;
}

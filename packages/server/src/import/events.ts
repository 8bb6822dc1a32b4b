/**
 * The identity webhooks of an import, when asked for (`--events`, `"emitEvents": true`): each batch's
 * changes become the events a login or an admin would raise for them (`user.created`,
 * `identity.linked`, `user.updated`, `merge_suggestion.created`, with the same payloads, from
 * webhooks/events.ts), written to the outbox in the batch's transaction — so an event exists exactly
 * when its batch committed. Without asking, the import runs inside `withoutWebhooks` and raises none
 * (its audit entries raise no event either way: `user.imported` has none, suggestions say `webhooks: false`).
 */
import type { Kysely } from 'kysely';
import type { Actor } from '../identity/audit.ts';
import type { Tables } from '../storage/schema.ts';
import { eventForAudit, type PendingEvent } from '../webhooks/events.ts';
import { writeOutbox } from '../webhooks/outbox.ts';

/** An identity event of an applied import, for the webhook outbox (issue #19 item 1). */
export type ImportEvent =
  | { type: 'user.created'; userId: string }
  | { type: 'user.updated'; userId: string }
  | {
      type: 'identity.linked';
      userId: string;
      identityId: string;
      appid: string;
      appType: string;
      openPlatformId: string | null;
      openid: string;
      unionid: string | null;
    }
  | { type: 'merge_suggestion.created'; suggestionId: string; userId: string; otherUserId: string; reason: string };

/** The audited change a login or an admin would have recorded for each import event. */
function asAudit(event: ImportEvent, actor: Actor) {
  switch (event.type) {
    case 'user.created':
      return { actor, action: 'user.created', subjectId: event.userId, after: { source: { import: true } } };
    case 'user.updated':
      return { actor, action: 'user.profile_updated', subjectId: event.userId, after: {} };
    case 'identity.linked':
      return {
        actor,
        action: 'identity.linked',
        subjectId: event.userId,
        after: {
          id: event.identityId,
          appid: event.appid,
          app_type: event.appType,
          open_platform_id: event.openPlatformId,
          openid: event.openid,
          unionid: event.unionid,
          via: 'import',
        },
      };
    case 'merge_suggestion.created':
      return {
        actor,
        action: 'merge_suggestion.created',
        subjectId: event.userId,
        after: { id: event.suggestionId, otherUserId: event.otherUserId, reason: event.reason },
      };
  }
}

export async function writeImportEvents(trx: Kysely<Tables>, events: ImportEvent[], actor: Actor): Promise<void> {
  const pending = events.map((event) => eventForAudit(asAudit(event, actor))).filter((event): event is PendingEvent => event !== null);
  if (pending.length > 0) await writeOutbox(trx, pending);
}

/**
 * The audit log: every change to who someone is (create, link, unlink, merge, unmerge, block,
 * profile change, delete) and to how weunion is set up (connections, admin keys), with who did it
 * and the state before and after. Written in the same transaction as the change it describes.
 *
 * The identity events for webhooks (webhooks/events.ts) are derived here too, and written to the
 * outbox with the same `db`, so an event exists exactly when its change committed.
 */
import type { Kysely } from 'kysely';
import type { ActorKind, Tables } from '../storage/schema.ts';
import { eventForAudit } from '../webhooks/events.ts';
import { writeOutbox } from '../webhooks/outbox.ts';
import { newId } from './ids.ts';

export interface Actor {
  kind: ActorKind;
  /** The user's, admin's or admin key's id; null for the system. */
  id: string | null;
  /** The admin's username or the admin key's name, kept in the log so it reads after they are gone. */
  name?: string | null;
}

export const SYSTEM_ACTOR: Actor = { kind: 'system', id: null };

export interface AuditEntry {
  actor: Actor;
  action: string;
  subjectId: string | null;
  before?: unknown;
  after?: unknown;
}

export interface AuditOptions {
  /** false: raise no webhook event for this entry (bulk paths such as an import; see `withoutWebhooks`). */
  webhooks?: boolean;
}

export async function recordAudit(db: Kysely<Tables>, entry: AuditEntry, now = Date.now(), options: AuditOptions = {}): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      id: newId('aud'),
      at: now,
      actor_kind: entry.actor.kind,
      actor_id: entry.actor.id,
      actor_name: entry.actor.name ?? null,
      action: entry.action,
      subject_id: entry.subjectId,
      before: entry.before === undefined ? null : JSON.stringify(entry.before),
      after: entry.after === undefined ? null : JSON.stringify(entry.after),
    })
    .execute();
  if (options.webhooks === false) return;
  const event = eventForAudit(entry);
  if (event !== null) await writeOutbox(db, [event], now);
}

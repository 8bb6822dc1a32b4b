/**
 * The audit log: every change to who someone is (create, link, unlink, merge, unmerge, block,
 * profile change, delete) and to how weunion is set up (connections, admin keys), with who did it
 * and the state before and after. Written in the same transaction as the change it describes.
 */
import type { Kysely } from 'kysely';
import type { ActorKind, Tables } from '../storage/schema.ts';
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

export async function recordAudit(db: Kysely<Tables>, entry: AuditEntry, now = Date.now()): Promise<void> {
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
}

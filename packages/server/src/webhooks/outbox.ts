/**
 * The outbox: an event is written in the same database transaction as the change it describes
 * (`writeOutbox(trx, …)`, called by `recordAudit`), with one delivery row per enabled endpoint that
 * asked for its type. A change that rolls back takes its event with it; a committed one is sent by
 * whichever instance's deliverer claims it (deliverer.ts). No endpoint wants it: nothing is written.
 *
 * Bulk paths (an import) can write without raising events: `withoutWebhooks(fn)` for everything
 * `fn` does (any depth, through `recordAudit`), or `{ webhooks: false }` on one `recordAudit`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely } from 'kysely';
import { newId } from '../identity/ids.ts';
import { precompiled } from '../storage/precompiled.ts';
import type { Tables } from '../storage/schema.ts';
import type { PendingEvent } from './events.ts';

const suppressed = new AsyncLocalStorage<boolean>();

/** Runs `fn` with no webhook events written for what it changes (e.g. an import, unless asked). */
export function withoutWebhooks<T>(fn: () => Promise<T>): Promise<T> {
  return suppressed.run(true, fn);
}

export function webhooksSuppressed(): boolean {
  return suppressed.getStore() === true;
}

/*
 * A wake-up for this process's deliverers once an event is written. The transaction has not
 * committed yet when the writer calls it, so the deliverer waits a moment and looks again if it
 * found nothing; it also publishes the wake-up through shared state for the other instances. This
 * is a nudge, not state: a lost one only means the poll interval finds the event.
 */
const listeners = new Set<() => void>();

export function onOutboxWritten(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Wakes this process's deliverers now (the nudge a write gives; e.g. after an endpoint is turned back on). */
export function nudgeDeliverers(): void {
  nudge();
}

function nudge(): void {
  for (const listener of listeners) listener();
}

// Every change that raises an event reads it (storage/precompiled.ts: built once).
const ENABLED_ENDPOINTS = precompiled<Tables, Record<string, never>, { id: string; events: string }>((db) =>
  db.selectFrom('webhook_endpoints').select(['id', 'events']).where('enabled', '=', 1),
);

/** Endpoint subscriptions, read in the writing transaction. */
async function subscribers(db: Kysely<Tables>): Promise<{ id: string; events: Set<string> }[]> {
  const { rows } = await ENABLED_ENDPOINTS.execute(db, {});
  return rows.map((row) => {
    let events: unknown;
    try {
      events = JSON.parse(row.events);
    } catch {
      events = [];
    }
    return { id: row.id, events: new Set(Array.isArray(events) ? events.filter((e) => typeof e === 'string') : []) };
  });
}

export interface OutboxOptions {
  /** Only these endpoints (a test ping, a replay), whatever they subscribe to. */
  endpointIds?: string[];
}

/** Writes events and their deliveries with `db` (the change's transaction). Returns the events written. */
export async function writeOutbox(
  db: Kysely<Tables>,
  events: PendingEvent[],
  now = Date.now(),
  options: OutboxOptions = {},
): Promise<{ id: string; seq: number }[]> {
  if (events.length === 0 || webhooksSuppressed()) return [];
  const endpoints =
    options.endpointIds === undefined
      ? await subscribers(db)
      : options.endpointIds.map((id) => ({ id, events: new Set<string>([events[0]?.type ?? '']) }));
  const written: { id: string; seq: number }[] = [];
  for (const event of events) {
    const targets = options.endpointIds === undefined ? endpoints.filter((e) => e.events.has(event.type)) : endpoints;
    if (targets.length === 0) continue;
    const id = newId('msg');
    const body = JSON.stringify({ type: event.type, timestamp: new Date(now).toISOString(), data: await event.data(db) });
    const { seq } = await db
      .insertInto('webhook_events')
      .values({ id, type: event.type, subject_id: event.subjectId, payload: body, created_at: now })
      .returning('seq')
      .executeTakeFirstOrThrow();
    await queueDeliveries(
      db,
      { id, seq: Number(seq), subjectId: event.subjectId },
      targets.map((t) => t.id),
      now,
    );
    written.push({ id, seq: Number(seq) });
  }
  if (written.length > 0) nudge();
  return written;
}

/** One delivery row per endpoint for a stored event (new events, replays); retried for the retry window from `now`. */
export async function queueDeliveries(
  db: Kysely<Tables>,
  event: { id: string; seq: number; subjectId: string | null },
  endpointIds: string[],
  now: number,
): Promise<void> {
  if (endpointIds.length === 0) return;
  await db
    .insertInto('webhook_deliveries')
    .values(
      endpointIds.map((endpointId) => ({
        id: newId('dlv'),
        endpoint_id: endpointId,
        event_id: event.id,
        event_seq: event.seq,
        ordering_key: event.subjectId ?? event.id,
        status: 'pending' as const,
        attempts: 0,
        next_attempt_at: now,
        lease_owner: null,
        lease_until: null,
        created_at: now,
        last_attempt_at: null,
        delivered_at: null,
      })),
    )
    .execute();
  nudge();
}

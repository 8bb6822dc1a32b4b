/**
 * Reading the delivery log (per endpoint, per event) and asking for deliveries again: a replay
 * queues one stored event, or every stored event of a time range the endpoint subscribes to, as new
 * deliveries (same `webhook-id`, a fresh retry window); a test ping is an event of its own
 * (`webhook.ping`) for one endpoint.
 */
import { AppError } from '@weunion/errors';
import type { Kysely, Selectable } from 'kysely';
import { cursorPage } from '../storage/cursor-page.ts';
import type { Tables, WebhookAttemptsTable, WebhookDeliveriesTable } from '../storage/schema.ts';
import { getEndpoint } from './endpoints.ts';
import { queueDeliveries, writeOutbox } from './outbox.ts';

/** At most this many events per range replay (ask again with a later `from` for more). */
export const MAX_REPLAY = 10_000;

const attemptView = (row: Selectable<WebhookAttemptsTable>) => ({
  id: row.id,
  deliveryId: row.delivery_id,
  at: row.at,
  ok: row.ok === 1,
  statusCode: row.status_code,
  error: row.error,
  responseExcerpt: row.response_excerpt,
  durationMs: row.duration_ms,
});

type DeliveryRow = Selectable<WebhookDeliveriesTable> & { type: string; subject_id: string | null };

async function withLastAttempts(db: Kysely<Tables>, rows: DeliveryRow[]) {
  const ids = rows.map((r) => r.id);
  const attempts =
    ids.length === 0 ? [] : await db.selectFrom('webhook_attempts').selectAll().where('delivery_id', 'in', ids).orderBy('at').execute();
  const last = new Map(attempts.map((a) => [a.delivery_id, a]));
  return rows.map((row) => {
    const attempt = last.get(row.id);
    return {
      id: row.id,
      endpointId: row.endpoint_id,
      eventId: row.event_id,
      eventType: row.type,
      subjectId: row.subject_id,
      status: row.status,
      attempts: row.attempts,
      nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
      createdAt: row.created_at,
      lastAttemptAt: row.last_attempt_at,
      deliveredAt: row.delivered_at,
      lastAttempt: attempt === undefined ? null : attemptView(attempt),
    };
  });
}

const deliveries = (db: Kysely<Tables>) =>
  db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as ev', 'ev.id', 'd.event_id')
    .selectAll('d')
    .select(['ev.type', 'ev.subject_id']);

export async function listEndpointDeliveries(
  db: Kysely<Tables>,
  endpointId: string,
  filter: {
    status?: 'pending' | 'delivered' | 'failed' | undefined;
    subjectId?: string | undefined;
    cursor?: string | undefined;
    limit: number;
  },
) {
  await getEndpoint(db, endpointId);
  let query = deliveries(db).where('d.endpoint_id', '=', endpointId);
  if (filter.status !== undefined) query = query.where('d.status', '=', filter.status);
  if (filter.subjectId !== undefined) query = query.where('ev.subject_id', '=', filter.subjectId);
  if (filter.cursor !== undefined) query = query.where('d.id', '<', filter.cursor);
  const rows = await query
    .orderBy('d.id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const { page, nextCursor } = cursorPage(rows, filter.limit);
  return {
    deliveries: await withLastAttempts(db, page),
    nextCursor,
  };
}

export async function listAttempts(db: Kysely<Tables>, deliveryId: string) {
  const delivery = await db.selectFrom('webhook_deliveries').select('id').where('id', '=', deliveryId).executeTakeFirst();
  if (delivery === undefined) throw new AppError('not_found', `No webhook delivery ${deliveryId}`);
  const rows = await db
    .selectFrom('webhook_attempts')
    .selectAll()
    .where('delivery_id', '=', deliveryId)
    .orderBy('at')
    .orderBy('id')
    .execute();
  return { attempts: rows.map(attemptView) };
}

const parsePayload = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};

export async function listEvents(
  db: Kysely<Tables>,
  filter: { type?: string | undefined; subjectId?: string | undefined; cursor?: string | undefined; limit: number },
) {
  let query = db.selectFrom('webhook_events').selectAll();
  if (filter.type !== undefined) query = query.where('type', '=', filter.type);
  if (filter.subjectId !== undefined) query = query.where('subject_id', '=', filter.subjectId);
  if (filter.cursor !== undefined) query = query.where('id', '<', filter.cursor);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const { page, nextCursor } = cursorPage(rows, filter.limit);
  return {
    events: page.map((row) => ({
      id: row.id,
      type: row.type,
      subjectId: row.subject_id,
      createdAt: row.created_at,
      payload: parsePayload(row.payload),
    })),
    nextCursor,
  };
}

/** One event with each of its deliveries and their whole attempt log. */
export async function getEvent(db: Kysely<Tables>, eventId: string) {
  const row = await db.selectFrom('webhook_events').selectAll().where('id', '=', eventId).executeTakeFirst();
  if (row === undefined) throw new AppError('not_found', `No webhook event ${eventId}`);
  const rows = await deliveries(db).where('d.event_id', '=', eventId).orderBy('d.id').execute();
  const attempts =
    rows.length === 0
      ? []
      : await db
          .selectFrom('webhook_attempts')
          .selectAll()
          .where(
            'delivery_id',
            'in',
            rows.map((r) => r.id),
          )
          .orderBy('at')
          .execute();
  const views = await withLastAttempts(db, rows);
  return {
    id: row.id,
    type: row.type,
    subjectId: row.subject_id,
    createdAt: row.created_at,
    payload: parsePayload(row.payload),
    deliveries: views.map((view) => ({ ...view, attemptLog: attempts.filter((a) => a.delivery_id === view.id).map(attemptView) })),
  };
}

/** Queues one stored event, or the events of `[from, to)` the endpoint subscribes to, for it again. */
export async function replay(
  db: Kysely<Tables>,
  endpointId: string,
  what: { eventId: string } | { from: number; to: number },
): Promise<{ queued: number; eventIds: string[] }> {
  const endpoint = await getEndpoint(db, endpointId);
  const now = Date.now();
  return db.transaction().execute(async (trx) => {
    let events: { id: string; seq: number; subject_id: string | null }[];
    if ('eventId' in what) {
      const event = await trx
        .selectFrom('webhook_events')
        .select(['id', 'seq', 'subject_id'])
        .where('id', '=', what.eventId)
        .executeTakeFirst();
      if (event === undefined) throw new AppError('not_found', `No webhook event ${what.eventId}`);
      events = [event];
    } else {
      if (what.to <= what.from) throw new AppError('bad_request', '`to` must be after `from`');
      if (endpoint.events.length === 0) return { queued: 0, eventIds: [] };
      events = await trx
        .selectFrom('webhook_events')
        .select(['id', 'seq', 'subject_id'])
        .where('created_at', '>=', what.from)
        .where('created_at', '<', what.to)
        .where('type', 'in', endpoint.events)
        .orderBy('seq')
        .limit(MAX_REPLAY)
        .execute();
    }
    for (const event of events) {
      await queueDeliveries(trx, { id: event.id, seq: Number(event.seq), subjectId: event.subject_id }, [endpointId], now);
    }
    return { queued: events.length, eventIds: events.map((e) => e.id) };
  });
}

/** A `webhook.ping` event for this endpoint only, whatever it subscribes to (sent while it is enabled). */
export async function sendTestPing(db: Kysely<Tables>, endpointId: string): Promise<{ eventId: string }> {
  await getEndpoint(db, endpointId);
  const [written] = await db
    .transaction()
    .execute((trx) =>
      writeOutbox(
        trx,
        [{ type: 'webhook.ping', subjectId: null, data: async () => ({ endpointId, message: 'A test event from weunion.' }) }],
        Date.now(),
        { endpointIds: [endpointId] },
      ),
    );
  if (written === undefined) throw new AppError('internal', 'the test event was not written');
  return { eventId: written.id };
}

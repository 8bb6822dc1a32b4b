/**
 * How long the webhook history is kept: finished deliveries (delivered or given up) and their
 * attempts older than WEBHOOK_RETENTION_DAYS are deleted, then the events no delivery refers to any
 * more. A pending delivery is never deleted (it is retried until its window ends, then given up and
 * kept for the retention period like any other), so the sweep loses nothing still to be sent.
 * Each step is a bounded delete: a sweep never holds a long lock, and two instances sweeping at
 * once only share the work.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../storage/schema.ts';

/** Rows per delete. */
export const SWEEP_BATCH = 500;
/** Batches per sweep; a larger backlog drains over the next sweeps. */
const SWEEP_BATCHES = 20;

/** Deletes what finished before `before` (ms); returns how many deliveries and events went. */
export async function sweepWebhookHistory(
  db: Kysely<Tables>,
  before: number,
  batches = SWEEP_BATCHES,
): Promise<{ deliveries: number; events: number }> {
  let deliveries = 0;
  let events = 0;
  for (let batch = 0; batch < batches; batch++) {
    const ids = (
      await db
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('status', 'in', ['delivered', 'failed'])
        .where('created_at', '<', before)
        .limit(SWEEP_BATCH)
        .execute()
    ).map((row) => row.id);
    if (ids.length === 0) break;
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('webhook_attempts').where('delivery_id', 'in', ids).execute();
      await trx.deleteFrom('webhook_deliveries').where('id', 'in', ids).execute();
    });
    deliveries += ids.length;
    if (ids.length < SWEEP_BATCH) break;
  }
  for (let batch = 0; batch < batches; batch++) {
    const ids = (
      await db
        .selectFrom('webhook_events as e')
        .select('e.id')
        .where('e.created_at', '<', before)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'e.id'))))
        .limit(SWEEP_BATCH)
        .execute()
    ).map((row) => row.id);
    if (ids.length === 0) break;
    const result = await db.deleteFrom('webhook_events').where('id', 'in', ids).executeTakeFirst();
    events += Number(result.numDeletedRows);
    if (ids.length < SWEEP_BATCH) break;
  }
  return { deliveries, events };
}

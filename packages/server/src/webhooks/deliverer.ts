/**
 * The deliverer: runs in every weunion process and sends what the outbox holds. Any instance may
 * send any delivery; which one does is settled by a lease in the database:
 *
 * - A delivery is due when it is pending, its `next_attempt_at` has come, its endpoint is enabled,
 *   no earlier event for the same person is still pending at that endpoint (in order per person:
 *   a later event waits until earlier ones are delivered or given up), and nobody holds its lease.
 * - An instance claims it with `UPDATE … SET lease_owner = me, lease_until = now + lease WHERE id = …
 *   AND (lease_until IS NULL OR lease_until < now)`: one row updated means it is this instance's.
 *   Plain SQL, so the same on SQLite and PostgreSQL. An instance that dies holding a lease stops
 *   blocking at its expiry, and another sends the delivery again (at least once: receivers dedupe
 *   by `webhook-id`).
 * - Each attempt is logged (status, time, the start of the response). A failure is retried with
 *   exponential backoff for the retry window, then given up. An endpoint whose attempts all fail
 *   for WEBHOOK_DISABLE_AFTER_SECONDS is disabled, which the console shows as an alert.
 *
 * It wakes when an event is written (the writing process, then every instance through shared-state
 * pub/sub) and otherwise every poll interval.
 */
import { randomUUID } from 'node:crypto';
import type { SharedState, Subscription } from '@weunion/state';
import type { Kysely } from 'kysely';
import type { Config } from '../config/index.ts';
import { recordAudit, SYSTEM_ACTOR } from '../identity/audit.ts';
import { newId } from '../identity/ids.ts';
import type { SecretBox } from '../secrets/master-key.ts';
import type { Tables } from '../storage/schema.ts';
import { signingSecrets } from './endpoints.ts';
import { onOutboxWritten } from './outbox.ts';
import { sweepWebhookHistory } from './retention.ts';
import { webhookHeaders } from './signing.ts';

export const WAKE_CHANNEL = 'webhooks:wake';
const BATCH = 10;
const EXCERPT_CHARS = 500;
const MAX_BACKOFF_MS = 3_600_000;
/** How often each instance deletes the history older than WEBHOOK_RETENTION_DAYS. */
const SWEEP_INTERVAL_MS = 3_600_000;

export type DelivererConfig = Pick<
  Config,
  | 'webhookTimeoutMs'
  | 'webhookLeaseMs'
  | 'webhookPollIntervalMs'
  | 'webhookRetryBaseMs'
  | 'webhookRetryWindowSeconds'
  | 'webhookDisableAfterSeconds'
  | 'webhookRetentionDays'
>;

interface Log {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface DelivererDeps {
  db: Kysely<Tables>;
  state: SharedState;
  secrets: SecretBox;
  config: DelivererConfig;
  log?: Log;
}

/** The wait before retry `attempts + 1`: base × 2^(attempts − 1), at most an hour, plus up to 10 % jitter. */
export function backoffMs(baseMs: number, attempts: number): number {
  const plain = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(plain * (1 + Math.random() * 0.1));
}

/** Reads at most `limit` characters of a response body, then drops the rest. */
async function excerpt(response: Response, limit: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text.slice(0, limit);
}

export class WebhookDeliverer {
  /** This deliverer's lease owner id. */
  readonly owner = randomUUID();
  readonly #deps: DelivererDeps;
  readonly #inflight = new Map<string, AbortController>();
  #timer: NodeJS.Timeout | undefined;
  #dueAt = 0;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;
  #killed = false;
  #wokeAt = 0;
  #subscription: Subscription | undefined;
  #unlisten: (() => void) | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #sweeping: Promise<unknown> | undefined;

  constructor(deps: DelivererDeps) {
    this.#deps = deps;
  }

  get #leaseMs(): number {
    // A lease shorter than an attempt would let a second instance send while the first still waits.
    return Math.max(this.#deps.config.webhookLeaseMs, this.#deps.config.webhookTimeoutMs + 1_000);
  }

  async start(): Promise<void> {
    this.#stopped = false;
    this.#subscription = await this.#deps.state.subscribe(WAKE_CHANNEL, () => this.wake());
    this.#unlisten = onOutboxWritten(() => {
      this.wake();
      this.#deps.state.publish(WAKE_CHANNEL, '1').catch(() => {});
    });
    this.#schedule(0);
    this.#sweeper = setInterval(() => {
      this.#sweeping ??= this.sweep()
        .catch((error: unknown) => this.#deps.log?.warn({ err: error }, 'webhook history sweep failed'))
        .finally(() => {
          this.#sweeping = undefined;
        });
    }, SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  /** Deletes the finished history older than the retention (see retention.ts). */
  sweep(now = Date.now()): Promise<{ deliveries: number; events: number }> {
    return sweepWebhookHistory(this.#deps.db, now - this.#deps.config.webhookRetentionDays * 86_400_000);
  }

  /** Look for due deliveries soon (an event was written somewhere). */
  wake(): void {
    if (this.#stopped) return;
    this.#wokeAt = Date.now();
    this.#schedule(20);
  }

  /** Stops looking and lets deliveries in flight finish (each is bounded by the timeout). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#sweeper);
    this.#unlisten?.();
    await this.#subscription?.unsubscribe().catch(() => {});
    await this.#running;
    await this.#sweeping;
  }

  /**
   * For tests: dies as a killed process would — stops at once, aborts what is in flight and records
   * nothing more, so its leases stay until they expire.
   */
  async kill(): Promise<void> {
    this.#killed = true;
    for (const controller of this.#inflight.values()) controller.abort();
    await this.stop();
  }

  /** Runs a cycle in `delayMs`, unless one is already due sooner (a stream of wake-ups must not postpone it forever). */
  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    const due = Date.now() + delayMs;
    if (this.#timer !== undefined && this.#dueAt <= due) return;
    clearTimeout(this.#timer);
    this.#dueAt = due;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#cycle();
    }, delayMs);
    this.#timer.unref();
  }

  #cycle(): void {
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      let sent = 0;
      try {
        do {
          this.#again = false;
          sent = await this.runOnce();
        } while ((sent > 0 || this.#again) && !this.#stopped);
      } catch (error) {
        this.#deps.log?.error({ err: error }, 'webhook delivery round failed');
      } finally {
        this.#running = undefined;
      }
      // Woken by a writer whose transaction may not have committed yet: look again shortly.
      const recentlyWoken = Date.now() - this.#wokeAt < 1_000;
      this.#schedule(recentlyWoken ? 150 : this.#deps.config.webhookPollIntervalMs);
    })();
  }

  /** Claims the deliveries due now (up to a batch) and sends them; returns how many were attempted. */
  async runOnce(): Promise<number> {
    const { db } = this.#deps;
    const now = Date.now();
    const due = await db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
      .select(['d.id'])
      .where('d.status', '=', 'pending')
      .where('d.next_attempt_at', '<=', now)
      .where('e.enabled', '=', 1)
      .where((eb) => eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<', now)]))
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('webhook_deliveries as p')
              .select('p.id')
              .whereRef('p.endpoint_id', '=', 'd.endpoint_id')
              .whereRef('p.ordering_key', '=', 'd.ordering_key')
              .where('p.status', '=', 'pending')
              .whereRef('p.event_seq', '<', 'd.event_seq'),
          ),
        ),
      )
      .orderBy('d.event_seq')
      .limit(BATCH)
      .execute();
    const claimed: string[] = [];
    for (const { id } of due) {
      if (this.#killed) break;
      const result = await db
        .updateTable('webhook_deliveries')
        .set({ lease_owner: this.owner, lease_until: now + this.#leaseMs })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .executeTakeFirst();
      if (result.numUpdatedRows === 1n) claimed.push(id);
    }
    await Promise.all(claimed.map((id) => this.#send(id)));
    return claimed.length;
  }

  async #send(deliveryId: string): Promise<void> {
    const { db, config, secrets } = this.#deps;
    const row = await db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as ev', 'ev.id', 'd.event_id')
      .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
      .select([
        'd.id',
        'd.endpoint_id',
        'd.event_id',
        'd.attempts',
        'd.created_at',
        'ev.payload',
        'e.url',
        'e.secret',
        'e.previous_secret',
        'e.previous_secret_expires_at',
      ])
      .where('d.id', '=', deliveryId)
      .executeTakeFirst();
    if (row === undefined) return;
    const started = Date.now();
    const headers = webhookHeaders(
      signingSecrets({ ...row, id: row.endpoint_id }, secrets, started),
      row.event_id,
      Math.floor(started / 1000),
      row.payload,
    );
    const controller = new AbortController();
    this.#inflight.set(deliveryId, controller);
    let outcome: { ok: boolean; status: number | null; error: string | null; excerpt: string | null };
    try {
      const response = await fetch(row.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'weunion-webhooks/1', ...headers },
        body: row.payload,
        redirect: 'manual',
        signal: AbortSignal.any([controller.signal, AbortSignal.timeout(config.webhookTimeoutMs)]),
      });
      const text = await excerpt(response, EXCERPT_CHARS).catch(() => '');
      const ok = response.status >= 200 && response.status < 300;
      outcome = { ok, status: response.status, error: ok ? null : `HTTP ${response.status}`, excerpt: text };
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      const message =
        name === 'TimeoutError'
          ? `no answer within ${config.webhookTimeoutMs} ms`
          : error instanceof Error
            ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ''}`
            : String(error);
      outcome = { ok: false, status: null, error: message.slice(0, EXCERPT_CHARS), excerpt: null };
    } finally {
      this.#inflight.delete(deliveryId);
    }
    if (this.#killed) return;
    await this.#record(row, outcome, started);
  }

  async #record(
    row: { id: string; endpoint_id: string; event_id: string; attempts: number; created_at: number },
    outcome: { ok: boolean; status: number | null; error: string | null; excerpt: string | null },
    started: number,
  ): Promise<void> {
    const { db, config } = this.#deps;
    const now = Date.now();
    const attempts = row.attempts + 1;
    let disabled: string | null = null;
    await db.transaction().execute(async (trx) => {
      // The endpoint was deleted meanwhile (with its deliveries and log): nothing left to record.
      const exists = await trx.selectFrom('webhook_deliveries').select('id').where('id', '=', row.id).executeTakeFirst();
      if (exists === undefined) return;
      await trx
        .insertInto('webhook_attempts')
        .values({
          id: newId('wha'),
          delivery_id: row.id,
          endpoint_id: row.endpoint_id,
          event_id: row.event_id,
          at: started,
          ok: outcome.ok ? 1 : 0,
          status_code: outcome.status,
          error: outcome.error,
          response_excerpt: outcome.excerpt,
          duration_ms: now - started,
        })
        .execute();
      // Only while the lease is still this instance's (it expired and another took over: theirs to record).
      if (outcome.ok) {
        await trx
          .updateTable('webhook_deliveries')
          .set({ status: 'delivered', attempts, last_attempt_at: started, delivered_at: now, lease_owner: null, lease_until: null })
          .where('id', '=', row.id)
          .where('lease_owner', '=', this.owner)
          .where('status', '=', 'pending')
          .execute();
        await trx
          .updateTable('webhook_endpoints')
          .set({ failing_since: null })
          .where('id', '=', row.endpoint_id)
          .where('failing_since', 'is not', null)
          .execute();
        return;
      }
      const giveUp = now >= row.created_at + config.webhookRetryWindowSeconds * 1000;
      await trx
        .updateTable('webhook_deliveries')
        .set({
          ...(giveUp ? { status: 'failed' as const } : { next_attempt_at: now + backoffMs(config.webhookRetryBaseMs, attempts) }),
          attempts,
          last_attempt_at: started,
          lease_owner: null,
          lease_until: null,
        })
        .where('id', '=', row.id)
        .where('lease_owner', '=', this.owner)
        .where('status', '=', 'pending')
        .execute();
      const endpoint = await trx
        .selectFrom('webhook_endpoints')
        .select(['failing_since', 'enabled'])
        .where('id', '=', row.endpoint_id)
        .executeTakeFirst();
      if (endpoint === undefined) return;
      if (endpoint.failing_since === null) {
        await trx.updateTable('webhook_endpoints').set({ failing_since: started }).where('id', '=', row.endpoint_id).execute();
      } else if (endpoint.enabled === 1 && now - endpoint.failing_since >= config.webhookDisableAfterSeconds * 1000) {
        disabled = `Every delivery failed since ${new Date(endpoint.failing_since).toISOString()}; the last: ${outcome.error ?? 'failed'}`;
        await trx
          .updateTable('webhook_endpoints')
          .set({ enabled: 0, disabled_at: now, disabled_reason: disabled, updated_at: now })
          .where('id', '=', row.endpoint_id)
          .where('enabled', '=', 1)
          .execute();
        await recordAudit(
          trx,
          { actor: SYSTEM_ACTOR, action: 'webhook_endpoint.disabled', subjectId: row.endpoint_id, after: { reason: disabled } },
          now,
        );
      }
    });
    if (disabled !== null) this.#deps.log?.warn({ endpointId: row.endpoint_id, reason: disabled }, 'webhook endpoint disabled');
  }
}

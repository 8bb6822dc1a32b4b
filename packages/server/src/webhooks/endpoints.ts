/**
 * Webhook endpoints: where identity events go. The signing secret is made here (`whsec_…`),
 * returned once (at creation and at each rotation) and kept sealed with the master key; a rotation
 * keeps the previous secret signing alongside the new one for an overlap, so receivers can switch
 * without losing a delivery. Changes are audited (without secrets).
 */
import { AppError } from '@weunion/errors';
import { OPT_IN_WEBHOOK_EVENTS, type WebhookEventType } from '@weunion/management-api';
import type { Kysely, Selectable } from 'kysely';
import { type Actor, recordAudit } from '../identity/audit.ts';
import { newId } from '../identity/ids.ts';
import type { SecretBox } from '../secrets/master-key.ts';
import type { Tables, WebhookEndpointsTable } from '../storage/schema.ts';
import { nudgeDeliverers } from './outbox.ts';
import { generateWebhookSecret } from './signing.ts';

export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string;
  events: WebhookEventType[];
  enabled: boolean;
  /** When the current run of failures began (null: the last attempt succeeded, or none yet). */
  failingSince: number | null;
  disabledAt: number | null;
  /** Set when weunion disabled the endpoint itself after persistent failure: the console's alert. */
  disabledReason: string | null;
  /** While a rotation overlaps: until when the previous secret still signs too. */
  previousSecretExpiresAt: number | null;
  deliveries: { pending: number; failed: number; delivered: number };
  createdAt: number;
  updatedAt: number;
}

export interface EndpointInput {
  url: string;
  description?: string | undefined;
  events?: WebhookEventType[] | undefined;
  enabled?: boolean | undefined;
}

/** Every event type but the opt-in ones (logins): what an endpoint gets when it names none. */
export const DEFAULT_EVENTS = (all: readonly WebhookEventType[]) => all.filter((e) => !OPT_IN_WEBHOOK_EVENTS.includes(e));

const isLoopback = (hostname: string) =>
  hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);

/**
 * The URL an endpoint may have: http(s) only, no credentials in it, and https unless it is on
 * loopback or `WEBHOOK_ALLOW_HTTP` is on (events name people; they do not travel in clear text).
 */
export function checkEndpointUrl(raw: string, allowHttp: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('validation_failed', 'url must be an absolute http(s) URL', { details: { field: 'url' } });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AppError('validation_failed', `url must be http(s), not ${url.protocol.replace(/:$/, '')}`, { details: { field: 'url' } });
  }
  if (url.username !== '' || url.password !== '') {
    throw new AppError('validation_failed', 'url must not carry a user name or password; events are signed instead', {
      details: { field: 'url' },
    });
  }
  if (url.protocol === 'http:' && !allowHttp && !isLoopback(url.hostname)) {
    throw new AppError('validation_failed', 'url must be https (http is accepted on loopback, or anywhere with WEBHOOK_ALLOW_HTTP=true)', {
      details: { field: 'url' },
    });
  }
  return url.toString();
}

function parseEvents(text: string): WebhookEventType[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((e): e is WebhookEventType => typeof e === 'string') : [];
  } catch {
    return [];
  }
}

async function deliveryCounts(db: Kysely<Tables>, ids: string[]): Promise<Map<string, WebhookEndpointView['deliveries']>> {
  const counts = new Map<string, WebhookEndpointView['deliveries']>();
  if (ids.length === 0) return counts;
  const rows = await db
    .selectFrom('webhook_deliveries')
    .select((eb) => ['endpoint_id', 'status', eb.fn.countAll<number>().as('n')])
    .where('endpoint_id', 'in', ids)
    .groupBy(['endpoint_id', 'status'])
    .execute();
  for (const row of rows) {
    const entry = counts.get(row.endpoint_id) ?? { pending: 0, failed: 0, delivered: 0 };
    entry[row.status] = Number(row.n);
    counts.set(row.endpoint_id, entry);
  }
  return counts;
}

function toView(row: Selectable<WebhookEndpointsTable>, deliveries: WebhookEndpointView['deliveries'] | undefined, now: number) {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: parseEvents(row.events),
    enabled: row.enabled === 1,
    failingSince: row.failing_since,
    disabledAt: row.disabled_at,
    disabledReason: row.disabled_reason,
    previousSecretExpiresAt:
      row.previous_secret_expires_at !== null && row.previous_secret_expires_at > now ? row.previous_secret_expires_at : null,
    deliveries: deliveries ?? { pending: 0, failed: 0, delivered: 0 },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  } satisfies WebhookEndpointView;
}

export async function listEndpoints(db: Kysely<Tables>): Promise<WebhookEndpointView[]> {
  const rows = await db.selectFrom('webhook_endpoints').selectAll().orderBy('created_at').orderBy('id').execute();
  const counts = await deliveryCounts(
    db,
    rows.map((r) => r.id),
  );
  const now = Date.now();
  return rows.map((row) => toView(row, counts.get(row.id), now));
}

export async function getEndpoint(db: Kysely<Tables>, id: string): Promise<WebhookEndpointView> {
  const row = await db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) throw new AppError('not_found', `No webhook endpoint ${id}`);
  return toView(row, (await deliveryCounts(db, [id])).get(id), Date.now());
}

const audited = (view: WebhookEndpointView) => ({
  url: view.url,
  description: view.description,
  events: view.events,
  enabled: view.enabled,
});

export async function createEndpoint(
  db: Kysely<Tables>,
  secrets: SecretBox,
  input: EndpointInput & { events: WebhookEventType[] },
  options: { allowHttp: boolean; actor: Actor },
): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
  const url = checkEndpointUrl(input.url, options.allowHttp);
  const id = newId('whe');
  const secret = generateWebhookSecret();
  const now = Date.now();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('webhook_endpoints')
      .values({
        id,
        url,
        description: input.description ?? '',
        events: JSON.stringify([...new Set(input.events)]),
        enabled: input.enabled === false ? 0 : 1,
        secret: secrets.seal(secret, id),
        previous_secret: null,
        previous_secret_expires_at: null,
        failing_since: null,
        disabled_at: input.enabled === false ? now : null,
        disabled_reason: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const view = toView(
      await trx.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
      undefined,
      now,
    );
    await recordAudit(trx, { actor: options.actor, action: 'webhook_endpoint.created', subjectId: id, after: audited(view) }, now);
  });
  return { endpoint: await getEndpoint(db, id), secret };
}

/** Changes what is named; enabling again clears the failure record and the alert. */
export async function updateEndpoint(
  db: Kysely<Tables>,
  id: string,
  patch: Partial<EndpointInput>,
  options: { allowHttp: boolean; actor: Actor },
): Promise<WebhookEndpointView> {
  const url = patch.url === undefined ? undefined : checkEndpointUrl(patch.url, options.allowHttp);
  const now = Date.now();
  await db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
    if (before === undefined) throw new AppError('not_found', `No webhook endpoint ${id}`);
    const enabling = patch.enabled === true && before.enabled === 0;
    const disabling = patch.enabled === false && before.enabled === 1;
    await trx
      .updateTable('webhook_endpoints')
      .set({
        ...(url === undefined ? {} : { url }),
        ...(patch.description === undefined ? {} : { description: patch.description }),
        ...(patch.events === undefined ? {} : { events: JSON.stringify([...new Set(patch.events)]) }),
        ...(enabling ? { enabled: 1, disabled_at: null, disabled_reason: null, failing_since: null } : {}),
        ...(disabling ? { enabled: 0, disabled_at: now, disabled_reason: null } : {}),
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
    // What waited while it was off goes out now, the delivery whose failures disabled it too,
    // rather than after that delivery's backoff (up to an hour).
    if (enabling) {
      await trx
        .updateTable('webhook_deliveries')
        .set({ next_attempt_at: now })
        .where('endpoint_id', '=', id)
        .where('status', '=', 'pending')
        .where('next_attempt_at', '>', now)
        .execute();
    }
    const after = await trx.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      {
        actor: options.actor,
        action: 'webhook_endpoint.updated',
        subjectId: id,
        before: audited(toView(before, undefined, now)),
        after: audited(toView(after, undefined, now)),
      },
      now,
    );
  });
  if (patch.enabled === true) nudgeDeliverers();
  return getEndpoint(db, id);
}

/** Deletes the endpoint with its deliveries and their log (events stay for other endpoints). */
export async function deleteEndpoint(db: Kysely<Tables>, id: string, actor: Actor): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const deleted = await trx.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
    if (deleted.numDeletedRows !== 1n) throw new AppError('not_found', `No webhook endpoint ${id}`);
    await trx.deleteFrom('webhook_attempts').where('endpoint_id', '=', id).execute();
    await trx.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).execute();
    await recordAudit(trx, { actor, action: 'webhook_endpoint.deleted', subjectId: id });
  });
}

/**
 * A new signing secret, returned once. The previous one keeps signing too (two signatures in
 * `webhook-signature`) for `overlapSeconds`, so receivers can move to the new one meanwhile.
 */
export async function rotateEndpointSecret(
  db: Kysely<Tables>,
  secrets: SecretBox,
  id: string,
  overlapSeconds: number,
  actor: Actor,
): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
  const secret = generateWebhookSecret();
  const now = Date.now();
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('webhook_endpoints').select(['secret']).where('id', '=', id).executeTakeFirst();
    if (row === undefined) throw new AppError('not_found', `No webhook endpoint ${id}`);
    await trx
      .updateTable('webhook_endpoints')
      .set({
        secret: secrets.seal(secret, id),
        previous_secret: overlapSeconds > 0 ? row.secret : null,
        previous_secret_expires_at: overlapSeconds > 0 ? now + overlapSeconds * 1000 : null,
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
    await recordAudit(trx, { actor, action: 'webhook_endpoint.secret_rotated', subjectId: id, after: { overlapSeconds } }, now);
  });
  return { endpoint: await getEndpoint(db, id), secret };
}

/** The secrets a delivery is signed with now: the current one, and the previous one while it overlaps. */
export function signingSecrets(
  row: Pick<Selectable<WebhookEndpointsTable>, 'id' | 'secret' | 'previous_secret' | 'previous_secret_expires_at'>,
  secrets: SecretBox,
  now: number,
): string[] {
  const current = secrets.open(row.secret, row.id);
  const previous =
    row.previous_secret !== null && row.previous_secret_expires_at !== null && row.previous_secret_expires_at > now
      ? secrets.open(row.previous_secret, row.id)
      : null;
  return previous === null ? [current] : [current, previous];
}

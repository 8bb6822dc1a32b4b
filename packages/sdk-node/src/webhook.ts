/**
 * Verifying weunion's identity events (webhooks), as Standard Webhooks specifies
 * (https://www.standardwebhooks.com): `webhook-signature` holds one or more space-separated
 * `v1,<base64 HMAC-SHA256>` signatures of `${webhook-id}.${webhook-timestamp}.${body}` under the
 * endpoint's secret (`whsec_` + base64); during a secret rotation weunion signs with the old and
 * the new secret, and either verifies. The timestamp must be within `toleranceSeconds` of now, so a
 * captured delivery cannot be replayed later.
 *
 * Pass the body exactly as received (the raw bytes, before any JSON parsing), and dedupe by `id`:
 * delivery is at least once, and a replay from the console sends the same id again.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { WeunionWebhookError } from './errors.ts';

export interface WebhookEvent<Data = Record<string, unknown>> {
  /** `webhook-id`: the same on every attempt and replay of one event. */
  id: string;
  /** e.g. `user.created`, `identity.linked`, `webhook.ping`. */
  type: string;
  /** When the event happened (ISO 8601). */
  timestamp: string;
  data: Data;
}

export interface VerifyWebhookOptions {
  /** How far `webhook-timestamp` may be from now (default 300 s). */
  toleranceSeconds?: number;
  /** The time to check against, ms (default now). */
  now?: number;
}

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

const eventSchema = z.looseObject({ type: z.string(), timestamp: z.string(), data: z.record(z.string(), z.unknown()) });

function header(headers: HeaderBag, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return Array.isArray(value) ? value[0] : value;
}

function secretBytes(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

/**
 * Checks a delivery's signature and timestamp against the endpoint's secret (or several, while
 * you rotate) and returns the event. Throws `WeunionWebhookError` when it must not be trusted.
 */
export function verifyWebhook(
  secret: string | readonly string[],
  body: string | Uint8Array,
  headers: HeaderBag,
  options: VerifyWebhookOptions = {},
): WebhookEvent {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (id === undefined || timestamp === undefined || signatures === undefined) {
    throw new WeunionWebhookError('webhook_headers_missing', 'webhook-id, webhook-timestamp and webhook-signature are required');
  }
  if (!/^\d{1,15}$/.test(timestamp)) throw new WeunionWebhookError('webhook_timestamp_invalid', 'webhook-timestamp is not a number');
  const tolerance = options.toleranceSeconds ?? 300;
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - Number(timestamp)) > tolerance) {
    throw new WeunionWebhookError('webhook_timestamp_invalid', `webhook-timestamp is more than ${tolerance} s from now`);
  }
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), payload]);
  const secrets = typeof secret === 'string' ? [secret] : secret;
  const expected = secrets.map((s) => createHmac('sha256', secretBytes(s)).update(signed).digest());
  const matched = signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || value === undefined) return false;
    const given = Buffer.from(value, 'base64');
    return expected.some((mac) => mac.length === given.length && timingSafeEqual(mac, given));
  });
  if (!matched) throw new WeunionWebhookError('webhook_signature_invalid', 'no signature matches the secret');
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new WeunionWebhookError('webhook_payload_invalid', 'the body is not JSON');
  }
  const event = eventSchema.safeParse(parsed);
  if (!event.success) throw new WeunionWebhookError('webhook_payload_invalid', 'the body is not a weunion event');
  return { ...event.data, id };
}

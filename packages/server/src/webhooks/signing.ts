/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, symmetric `v1`): a delivery carries
 * `webhook-id`, `webhook-timestamp` (seconds) and `webhook-signature`, which is `v1,` + the base64
 * HMAC-SHA256 of `${id}.${timestamp}.${body}` under the secret's bytes (a secret is `whsec_` +
 * base64). While a rotated-out secret still overlaps, the header carries both signatures,
 * space-separated, so a receiver holding either secret accepts it.
 */
import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';

/** A new secret: 32 random bytes, `whsec_` + base64. */
export function generateWebhookSecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64')}`;
}

function secretBytes(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
}

/** `v1,<base64 HMAC-SHA256 of id.timestamp.body>`. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretBytes(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The three headers of one delivery attempt, signed with every secret given (current first). */
export function webhookHeaders(secrets: string[], id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((secret) => signWebhook(secret, id, timestampSeconds, body)).join(' '),
  };
}

/**
 * verifyWebhook against the Standard Webhooks published test vector (the reference libraries'
 * `sign` test), and the ways a delivery must be refused. Real deliveries from weunion are verified
 * in packages/server/src/webhooks/delivery.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { WeunionWebhookError } from './errors.ts';
import { verifyWebhook } from './webhook.ts';

// https://github.com/standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts ("sign function works").
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const headers = (signature = VECTOR.signature, timestamp = String(VECTOR.timestamp)) => ({
  'webhook-id': VECTOR.id,
  'webhook-timestamp': timestamp,
  'webhook-signature': signature,
});
const at = VECTOR.timestamp * 1000;
const weunionBody = '{"type":"user.created","timestamp":"2021-02-26T00:00:00.000Z","data":{"user":{"id":"usr_1"}}}';

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof WeunionWebhookError) return error.code;
    throw error;
  }
  throw new Error('expected a WeunionWebhookError');
}

describe('verifyWebhook', () => {
  it('accepts the Standard Webhooks test vector signature (with or without the whsec_ prefix)', () => {
    // The vector's body is not a weunion event, so the signature passes and the payload check answers.
    expect(refusal(() => verifyWebhook(VECTOR.secret, VECTOR.body, headers(), { now: at }))).toBe('webhook_payload_invalid');
    expect(refusal(() => verifyWebhook(VECTOR.secret.slice(6), VECTOR.body, headers(), { now: at }))).toBe('webhook_payload_invalid');
    expect(refusal(() => verifyWebhook(VECTOR.secret, VECTOR.body, headers('v1,AAAA'), { now: at }))).toBe('webhook_signature_invalid');
  });

  it('returns the event of a body signed like the vector, from Headers or a plain object, and among several signatures', async () => {
    const { createHmac } = await import('node:crypto');
    const mac = createHmac('sha256', Buffer.from(VECTOR.secret.slice(6), 'base64'))
      .update(`${VECTOR.id}.${VECTOR.timestamp}.${weunionBody}`)
      .digest('base64');
    const event = verifyWebhook(VECTOR.secret, weunionBody, headers(`v1,${mac}`), { now: at });
    expect(event).toMatchObject({ id: VECTOR.id, type: 'user.created', data: { user: { id: 'usr_1' } } });
    expect(verifyWebhook(VECTOR.secret, Buffer.from(weunionBody), new Headers(headers(`v1,${mac}`)), { now: at }).id).toBe(VECTOR.id);
    const rotated = `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1,${mac}`;
    expect(verifyWebhook(VECTOR.secret, weunionBody, headers(rotated), { now: at }).type).toBe('user.created');
    // Either of two secrets (a receiver mid-rotation).
    expect(
      verifyWebhook(['whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', VECTOR.secret], weunionBody, headers(`v1,${mac}`), { now: at }).id,
    ).toBe(VECTOR.id);
  });

  it('refuses a changed body, a missing header, an old or malformed timestamp and an unknown version', () => {
    expect(refusal(() => verifyWebhook(VECTOR.secret, '{"test": 2432232315}', headers(), { now: at }))).toBe('webhook_signature_invalid');
    expect(refusal(() => verifyWebhook(VECTOR.secret, VECTOR.body, { 'webhook-id': VECTOR.id }, { now: at }))).toBe(
      'webhook_headers_missing',
    );
    expect(refusal(() => verifyWebhook(VECTOR.secret, VECTOR.body, headers(), { now: at + 301_000 }))).toBe('webhook_timestamp_invalid');
    expect(refusal(() => verifyWebhook(VECTOR.secret, VECTOR.body, headers(VECTOR.signature, 'hello'), { now: at }))).toBe(
      'webhook_timestamp_invalid',
    );
    expect(refusal(() => verifyWebhook(VECTOR.secret, VECTOR.body, headers(VECTOR.signature.replace('v1,', 'v2,')), { now: at }))).toBe(
      'webhook_signature_invalid',
    );
  });
});

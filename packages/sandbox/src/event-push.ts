/**
 * Pushing events to an app's callback URL, as WeChat does.
 *
 * - Query: `signature`, `timestamp`, `nonce`, `openid`; in safe mode also `encrypt_type=aes` and
 *   `msg_signature`, with the body `<xml><ToUserName/><Encrypt/></xml>`.
 * - Mini programs set to JSON (数据格式 JSON) get the same fields as a JSON object
 *   (`{"ToUserName": …, "Encrypt": …}` in safe mode, the encrypted text being the JSON message).
 * - WeChat waits 5 s and tries 3 times in all. Here an answer counts as delivered when it is HTTP
 *   200 with `success`, an empty body or an XML passive reply; anything else (other status,
 *   other body, network error) is retried, all three tries sharing one 5-second budget.
 * - Every attempt goes into the push log (`GET /_sandbox/events`).
 */
import { buildXml, callbackSignature, encryptMessage, messageSignature } from '@weunion/wechat';
import { randomAlphanumeric, randomHex } from './ids.ts';
import type { PushLogEntry } from './push-log.ts';
import type { SandboxApp, World } from './world.ts';

export const PUSH_ATTEMPTS = 3;
export const PUSH_BUDGET_MS = 5000;

export interface PushResult {
  eventId: string;
  delivered: boolean;
  attempts: number;
  lastStatus: number | null;
}

function accepted(status: number, body: string): boolean {
  const text = body.trim();
  return status === 200 && (text === '' || text === 'success' || text.startsWith('<xml'));
}

/** The message as the app's data format writes it. */
function serialize(app: SandboxApp, fields: Record<string, string | number>): string {
  return app.dataFormat === 'json' ? JSON.stringify(fields) : buildXml(fields);
}

function signedRequest(
  app: SandboxApp,
  event: Record<string, string | number>,
  openid: string,
  nowSeconds: number,
): { url: string; body: string } {
  if (app.callbackUrl === null || app.token === null) throw new Error('the app has no callback URL or token');
  const timestamp = String(nowSeconds);
  const nonce = String(Math.floor(Math.random() * 1e9) + 1e9);
  const url = new URL(app.callbackUrl);
  const plain = serialize(app, event);
  url.searchParams.set('signature', callbackSignature(app.token, timestamp, nonce));
  url.searchParams.set('timestamp', timestamp);
  url.searchParams.set('nonce', nonce);
  url.searchParams.set('openid', openid);
  if (!app.safeMode || app.encodingAesKey === null) return { url: url.href, body: plain };
  const encrypt = encryptMessage({ encodingAesKey: app.encodingAesKey, appid: app.appid, message: plain });
  url.searchParams.set('encrypt_type', 'aes');
  url.searchParams.set('msg_signature', messageSignature(app.token, timestamp, nonce, encrypt));
  return { url: url.href, body: serialize(app, { ToUserName: String(event.ToUserName ?? ''), Encrypt: encrypt }) };
}

/** Pushes one event and resolves when it was delivered or the tries ran out; null without a callback URL. */
export async function pushEvent(
  world: World,
  app: SandboxApp,
  openid: string,
  event: Record<string, string | number>,
): Promise<PushResult | null> {
  if (app.callbackUrl === null || app.token === null) return null;
  const eventId = `ev_${randomHex(8)}`;
  const started = Date.now();
  let lastStatus: number | null = null;
  for (let attempt = 1; attempt <= PUSH_ATTEMPTS; attempt++) {
    const remaining = PUSH_BUDGET_MS - (Date.now() - started);
    if (remaining <= 0) return { eventId, delivered: false, attempts: attempt - 1, lastStatus };
    const request = signedRequest(app, event, openid, world.clock.nowSeconds());
    const entry: PushLogEntry = {
      id: `push_${randomAlphanumeric(10)}`,
      eventId,
      appid: app.appid,
      attempt,
      at: new Date(world.clock.now()).toISOString(),
      request: { ...request, event },
      response: null,
      error: null,
      delivered: false,
    };
    world.pushLog.push(entry);
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: { 'content-type': app.dataFormat === 'json' ? 'application/json; charset=utf-8' : 'text/xml; charset=utf-8' },
        body: request.body,
        signal: AbortSignal.timeout(remaining),
      });
      const body = await response.text();
      entry.response = { status: response.status, body: body.slice(0, 4096) };
      lastStatus = response.status;
      entry.delivered = accepted(response.status, body);
      if (entry.delivered) return { eventId, delivered: true, attempts: attempt, lastStatus };
    } catch (error) {
      entry.error = error instanceof Error ? error.message : String(error);
    }
  }
  return { eventId, delivered: false, attempts: PUSH_ATTEMPTS, lastStatus };
}

export type { PushLogEntry } from './push-log.ts';

/**
 * Test helper (not a test file): a real HTTP receiver of webhooks on loopback. It records every
 * request it gets, can go down (stop listening, refusing connections) and come back on the same
 * port, answer some events with 503, or hold the first request of each event unanswered (a
 * receiver the sender dies waiting on).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';

const eventBody = z.looseObject({
  type: z.string().catch(''),
  data: z.looseObject({ user: z.looseObject({ id: z.string() }).nullable().catch(null) }).catch({ user: null }),
});

export interface ReceivedWebhook {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  /** The parsed body's `type`. */
  type: string;
  /** The parsed body's `data.user.id`, if any. */
  userId: string | null;
  /** What the receiver answered (0: held). */
  status: number;
}

export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** Answer 503 while this returns true. */
  fail: (request: ReceivedWebhook) => boolean = () => false;
  /** Hold the first request of each id without answering. */
  holdFirst = false;
  port = 0;
  #server: Server | undefined;
  readonly #held: ServerResponse[] = [];

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async up(): Promise<void> {
    const server = createServer((request, response) => this.#handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address !== null && typeof address === 'object') this.port = address.port;
    this.#server = server;
  }

  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    for (const response of this.#held.splice(0)) response.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Each id received, once, in the order of its first successful (2xx) arrival. */
  deliveredIds(): string[] {
    return [...new Set(this.received.filter((r) => r.status === 200).map((r) => r.id))];
  }

  delivered(): ReceivedWebhook[] {
    const seen = new Set<string>();
    return this.received.filter((r) => r.status === 200 && !seen.has(r.id) && seen.add(r.id));
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {}
      const parsed = eventBody.safeParse(json);
      const type = parsed.success ? parsed.data.type : '';
      const userId = parsed.success ? (parsed.data.data.user?.id ?? null) : null;
      const header = (name: string) => String(request.headers[name] ?? '');
      const record: ReceivedWebhook = {
        id: header('webhook-id'),
        timestamp: header('webhook-timestamp'),
        signature: header('webhook-signature'),
        body,
        type,
        userId,
        status: 200,
      };
      this.received.push(record);
      if (this.holdFirst && this.received.filter((r) => r.id === record.id).length === 1) {
        record.status = 0;
        this.#held.push(response);
        return;
      }
      if (this.fail(record)) {
        record.status = 503;
        response.writeHead(503, { 'content-type': 'text/plain' }).end('receiver not ready: come back later');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  }
}

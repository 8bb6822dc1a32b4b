/**
 * Test-only stand-ins for what a browser gives the SDK, in Node: a cookie jar (the harness
 * `Browser`, whose fetch keeps cookies per host) and `sessionStorage`. Also a proxy that refuses
 * event streams, as some corporate proxies do, to drive the SDK's fallback over real HTTP.
 */
import { createServer, request, type Server } from 'node:http';
import type { Browser } from '../../server/src/login/test-harness.ts';
import type { KeyValueStorage } from '../src/index.ts';

/** The page's `fetch`, with the browser's cookies. */
export function browserFetch(browser: Browser): typeof fetch {
  return (input, init) => browser.fetch(input instanceof Request ? input.url : String(input), init);
}

export class MemoryStorage implements KeyValueStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

/**
 * A reverse proxy to `target` that answers 502 to every `…/events` request, and with
 * `longPolls: false` also to every request that waits (`wait=`), as proxies with short timeouts do.
 */
export async function proxyWithoutEventStreams(
  target: string,
  options: { longPolls?: boolean } = {},
): Promise<{ url: string; refused: string[]; close(): Promise<void> }> {
  const upstream = new URL(target);
  const refused: string[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const path = incoming.url ?? '/';
    const waits = options.longPolls === false && /[?&]wait=[1-9]/.test(path);
    if (path.split('?')[0]?.endsWith('/events') || waits) {
      refused.push(path);
      outgoing.writeHead(502, { 'content-type': 'text/plain' }).end('event streams are not allowed here');
      return;
    }
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path,
        method: incoming.method,
        headers: { ...incoming.headers, host: upstream.host },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forward.on('error', () => outgoing.destroy());
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

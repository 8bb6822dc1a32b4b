/**
 * The node:http exchange the transport uses by default, against a real HTTP server on loopback:
 * what fetch did for the transport (status and body, no redirects, timeout, cancellation) and what
 * a kept-alive socket needs (a GET the server never saw is sent again).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpExchange, ExchangeFailure } from './http-exchange.ts';

let server: Server;
let base: string;
const served = new WeakMap<Socket, number>();
const sockets = new Set<Socket>();

const routes: Record<string, (request: IncomingMessage, response: ServerResponse, body: string) => void> = {
  '/json': (_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0}'),
  '/echo': (request, response, body) =>
    response
      .writeHead(200)
      .end(
        JSON.stringify({ method: request.method, type: request.headers['content-type'], length: request.headers['content-length'], body }),
      ),
  '/moved': (_request, response) => response.writeHead(302, { location: '/json' }).end(),
  '/never': () => {},
  '/huge': (_request, response) => {
    response.writeHead(200);
    const chunk = Buffer.alloc(1024 * 1024, 120);
    for (let i = 0; i < 17; i++) response.write(chunk);
    response.end();
  },
  // Answers the first request of a socket; drops the socket on any later one (an idle socket the
  // server closed just as the client reused it).
  '/once-per-socket': (request, response) => {
    const socket = request.socket;
    const count = (served.get(socket) ?? 0) + 1;
    served.set(socket, count);
    if (count > 1) socket.destroy();
    else response.writeHead(200).end('{"fresh":true}');
  },
};

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => routes[new URL(request.url ?? '/', 'http://x').pathname]?.(request, response, body));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

const get = { method: 'GET' as const, headers: { accept: 'application/json' }, timeoutMs: 2_000 };

describe('http exchange', () => {
  it('answers the status and the whole body', async () => {
    const answer = await createHttpExchange()(`${base}/json?a=1`, get);
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe('{"errcode":0}');
  });

  it('sends a POST body with its length and type', async () => {
    const body = JSON.stringify({ phone: '手机号' });
    const answer = await createHttpExchange()(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      timeoutMs: 2_000,
    });
    expect(JSON.parse(answer.body.toString())).toEqual({
      method: 'POST',
      type: 'application/json',
      length: String(Buffer.byteLength(body)),
      body,
    });
  });

  it('does not follow a redirect', async () => {
    const answer = await createHttpExchange()(`${base}/moved`, get);
    expect(answer.status).toBe(302);
  });

  it('gives up after the timeout', async () => {
    const failure = await createHttpExchange()(`${base}/never`, { ...get, timeoutMs: 100 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ExchangeFailure);
    expect((failure as ExchangeFailure).reason).toBe('timeout');
  });

  it("stops when the caller's signal aborts, before or during the call", async () => {
    const exchange = createHttpExchange();
    const during = new AbortController();
    const pending = exchange(`${base}/never`, { ...get, signal: during.signal }).catch((error: unknown) => error);
    setTimeout(() => during.abort(), 20);
    expect((await pending) as ExchangeFailure).toMatchObject({ reason: 'cancelled' });
    const failure = await exchange(`${base}/json`, { ...get, signal: AbortSignal.abort() }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ reason: 'cancelled' });
  });

  it('refuses an answer larger than any WeChat gives', async () => {
    const failure = await createHttpExchange()(`${base}/huge`, get).catch((error: unknown) => error);
    expect(failure).toMatchObject({ reason: 'too_large' });
  });

  it('names the network error of a dead port', async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((resolve) => dead.close(resolve));
    const failure = await createHttpExchange()(`http://127.0.0.1:${port}/json`, get).catch((error: unknown) => error);
    expect(failure).toMatchObject({ reason: 'network', code: 'ECONNREFUSED' });
  });

  it('goes through the proxy the proxy settings name (NODE_USE_ENV_PROXY=1 gives the environment)', async () => {
    const seen: string[] = [];
    const proxy = createServer((request, response) => {
      seen.push(`${request.method} ${request.url}`);
      response.writeHead(200).end('{"via":"proxy"}');
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const exchange = createHttpExchange({ proxyEnv: { HTTP_PROXY: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` } });
      const answer = await exchange('http://api.weixin.example/sns/jscode2session?appid=wx1', get);
      expect(answer.body.toString()).toBe('{"via":"proxy"}');
      expect(seen).toEqual(['GET http://api.weixin.example/sns/jscode2session?appid=wx1']);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('sends a GET again on a new socket when a kept-alive one was closed under it; not a POST', async () => {
    const exchange = createHttpExchange();
    expect((await exchange(`${base}/once-per-socket`, get)).body.toString()).toBe('{"fresh":true}');
    // The same (kept-alive) socket: the server drops it, the GET goes out again on a new one.
    expect((await exchange(`${base}/once-per-socket`, get)).body.toString()).toBe('{"fresh":true}');
    const failure = await exchange(`${base}/once-per-socket`, { ...get, method: 'POST', body: '{}' }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ reason: 'network', code: 'ECONNRESET', reusedSocket: true });
  });
});

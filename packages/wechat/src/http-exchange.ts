/**
 * One HTTP exchange with WeChat's API host over node:http / node:https and keep-alive agents: all
 * the transport needs is the status and the whole body. It is the default way out because it costs
 * about half the CPU of the global fetch (undici's WHATWG layer: Request and Response objects, web
 * streams, AbortSignal plumbing): 140–170 µs against 220–340 µs a call on loopback, and a login
 * makes one to three such calls. A `fetch` given to the client replaces it (e.g. for a proxy).
 *
 * Kept from fetch's behaviour: a redirect is not followed (it is an answer that is not WeChat's),
 * the timeout covers the whole exchange, a caller's signal cancels it. A request that went out on
 * a kept-alive socket the server had just closed (ECONNRESET or EPIPE before any answer) is sent once more
 * on a new socket when it is a GET, as every HTTP client does: the server never saw it.
 */
import http from 'node:http';
import https from 'node:https';

export interface ExchangeRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ExchangeAnswer {
  status: number;
  body: Buffer;
}

/** Why an exchange failed, for the transport to word (never the URL: it carries secrets). */
export class ExchangeFailure extends Error {
  readonly reason: 'timeout' | 'cancelled' | 'network' | 'too_large';
  readonly code: string | undefined;
  /** The request went out on a kept-alive socket. */
  readonly reusedSocket: boolean;
  constructor(reason: ExchangeFailure['reason'], code?: string, reusedSocket = false) {
    super(code === undefined ? reason : `${reason} ${code}`);
    this.reason = reason;
    this.code = code;
    this.reusedSocket = reusedSocket;
  }
}

/** How long an idle kept-alive socket is kept for the next call. */
const IDLE_SOCKET_MS = 4_000;

/** More than any WeChat answer (a mini program code image is tens of KB). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export type Exchange = (url: string, request: ExchangeRequest) => Promise<ExchangeAnswer>;

export interface HttpExchangeOptions {
  /**
   * Proxy settings (HTTP_PROXY, HTTPS_PROXY, NO_PROXY). Default: the environment's when
   * NODE_USE_ENV_PROXY=1, as Node's fetch and its default agents do.
   */
  proxyEnv?: NodeJS.ProcessEnv | undefined;
}

export function createHttpExchange(options: HttpExchangeOptions = {}): Exchange {
  const proxyEnv = options.proxyEnv ?? (process.env.NODE_USE_ENV_PROXY === '1' ? process.env : undefined);
  // One pair per client: idle sockets stay open for the next call (and do not hold the process),
  // for a few seconds only (as undici does), so that one is rarely still kept when the server has
  // closed its end.
  const agentOptions = { keepAlive: true, maxSockets: 256, timeout: IDLE_SOCKET_MS, ...(proxyEnv === undefined ? {} : { proxyEnv }) };
  const agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };
  const once = (target: URL, request: ExchangeRequest, deadline: number) =>
    new Promise<ExchangeAnswer>((resolve, reject) => {
      const secure = target.protocol === 'https:';
      const headers: Record<string, string | number> = { ...request.headers };
      if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
      let failure: ExchangeFailure | undefined;
      const outgoing = (secure ? https : http).request(target, {
        method: request.method,
        headers,
        agent: secure ? agents['https:'] : agents['http:'],
      });
      const fail = (reason: ExchangeFailure) => {
        failure ??= reason;
        outgoing.destroy(reason);
      };
      const timer = setTimeout(() => fail(new ExchangeFailure('timeout')), Math.max(0, deadline - Date.now()));
      const onAbort = () => fail(new ExchangeFailure('cancelled'));
      request.signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
      };
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        done();
        if (failure !== undefined) reject(failure);
        else reject(new ExchangeFailure('network', error.code, outgoing.reusedSocket));
      });
      outgoing.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) fail(new ExchangeFailure('too_large'));
          else chunks.push(chunk);
        });
        response.on('error', () => {});
        response.on('end', () => {
          done();
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks, size) });
        });
      });
      if (request.signal?.aborted === true) fail(new ExchangeFailure('cancelled'));
      outgoing.end(request.body);
    });
  return async (url, request) => {
    const target = new URL(url);
    const deadline = Date.now() + request.timeoutMs;
    try {
      return await once(target, request, deadline);
    } catch (error) {
      const stale =
        error instanceof ExchangeFailure &&
        error.reason === 'network' &&
        (error.code === 'ECONNRESET' || error.code === 'EPIPE') &&
        error.reusedSocket;
      if (!stale || request.method !== 'GET') throw error;
      return once(target, request, deadline);
    }
  };
}

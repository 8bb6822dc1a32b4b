/**
 * Test helpers: a started sandbox, spoken to over HTTP only, as the server's client would.
 * Not a test file itself (no `.test.ts`), shared by this package's tests.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { type RunningSandbox, startSandbox } from './standalone.ts';

export const json = z.record(z.string(), z.unknown());
export type Json = z.output<typeof json>;

export class TestSandbox {
  readonly url: string;
  readonly #running: RunningSandbox;

  private constructor(running: RunningSandbox) {
    this.url = running.url;
    this.#running = running;
  }

  static async start(options: Parameters<typeof startSandbox>[0] = {}): Promise<TestSandbox> {
    return new TestSandbox(await startSandbox({ port: 0, ...options }));
  }

  close(): Promise<void> {
    return this.#running.close();
  }

  /** A control-API call; returns status and parsed JSON (problem documents included). */
  async control(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  }

  /** A control-API call that must succeed; its JSON object. */
  async ok(method: string, path: string, body?: unknown): Promise<Json> {
    const answer = await this.control(method, path, body);
    if (answer.status >= 300) throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return json.parse(answer.body);
  }

  /** A WeChat GET endpoint; its JSON body (WeChat answers 200 even for errors). */
  async wechatGet(path: string, query: Record<string, string>): Promise<Json> {
    const response = await fetch(`${this.url}${path}?${new URLSearchParams(query)}`);
    if (response.status !== 200) throw new Error(`${path} answered HTTP ${response.status}`);
    return json.parse(await response.json());
  }

  async wechatPost(path: string, query: Record<string, string>, body: unknown): Promise<Response> {
    return fetch(`${this.url}${path}?${new URLSearchParams(query)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  async wechatPostJson(path: string, query: Record<string, string>, body: unknown): Promise<Json> {
    const response = await this.wechatPost(path, query, body);
    return json.parse(await response.json());
  }

  /** A new app; websites and official accounts may redirect to `rp.example` unless `extra` says otherwise. */
  async app(type: string, extra: Record<string, unknown> = {}): Promise<{ appid: string; secret: string }> {
    const redirects = type === 'website' || type === 'official_account' ? { redirectDomains: ['rp.example'] } : {};
    const created = z
      .object({ appid: z.string(), secret: z.string() })
      .parse(await this.ok('POST', '/_sandbox/apps', { type, ...redirects, ...extra }));
    return created;
  }

  async person(extra: Record<string, unknown> = {}): Promise<string> {
    return z.string().parse((await this.ok('POST', '/_sandbox/people', extra)).id);
  }

  async openPlatform(): Promise<string> {
    return z.string().parse((await this.ok('POST', '/_sandbox/open-platforms', { name: 'Test Open Platform' })).id);
  }

  async advance(seconds: number): Promise<void> {
    await this.ok('POST', '/_sandbox/clock', { advanceSeconds: seconds });
  }

  async appToken(appid: string, secret: string): Promise<string> {
    const answer = await this.wechatGet('/cgi-bin/token', { grant_type: 'client_credential', appid, secret });
    return z.string().parse(answer.access_token);
  }

  async calls(endpoint: string, appid: string): Promise<number> {
    const stats = z
      .object({ calls: z.record(z.string(), z.record(z.string(), z.number())) })
      .parse(await this.ok('GET', '/_sandbox/stats'));
    return stats.calls[endpoint]?.[appid] ?? 0;
  }

  /** The person allows (or denies) an authorize URL; the code of the redirect, or null. */
  async authorize(personId: string, url: string, decision: 'allow' | 'deny' = 'allow'): Promise<string | null> {
    const answer = z
      .object({ redirect: z.string().nullable() })
      .parse(await this.ok('POST', '/_sandbox/actions/authorize', { personId, url, decision }));
    return answer.redirect === null ? null : new URL(answer.redirect).searchParams.get('code');
  }

  qrconnectUrl(appid: string, state = 'xyz'): string {
    const query = new URLSearchParams({
      appid,
      redirect_uri: 'https://rp.example/cb',
      response_type: 'code',
      scope: 'snsapi_login',
      state,
    });
    return `${this.url}/connect/qrconnect?${query}#wechat_redirect`;
  }

  oauth2Url(appid: string, scope: 'snsapi_base' | 'snsapi_userinfo', state = 'abc123'): string {
    const query = new URLSearchParams({ appid, redirect_uri: 'https://rp.example/cb', response_type: 'code', scope, state });
    return `${this.url}/connect/oauth2/authorize?${query}#wechat_redirect`;
  }
}

/** The errcode of a WeChat answer (0 when absent, as for successes). */
export function errcodeOf(answer: Json): number {
  return typeof answer.errcode === 'number' ? answer.errcode : 0;
}

export interface Received {
  query: URLSearchParams;
  body: string;
}

/** A tiny developer server: records every push and answers with the next scripted answer. */
export class Receiver {
  readonly received: Received[] = [];
  answers: { status: number; body: string }[] = [];
  readonly #server: Server;
  url = '';

  constructor() {
    this.#server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      request.on('end', () => {
        this.received.push({ query: new URL(request.url ?? '/', 'http://x').searchParams, body });
        const answer = this.answers.shift() ?? { status: 200, body: 'success' };
        if (answer.status === 0) return; // never answer
        response.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body);
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const address: AddressInfo | string | null = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    this.url = `http://127.0.0.1:${address.port}/wechat/callback`;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

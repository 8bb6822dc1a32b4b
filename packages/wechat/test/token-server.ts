/**
 * A minimal, real HTTP stand-in for WeChat's token endpoints, for the token cache's own tests:
 * it counts requests exactly and can do what the full sandbox need not (hold a request open
 * until released, hand back the same stable token). End-to-end behaviour is tested against
 * `@weunion/sandbox` in the other suites.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenServer {
  url: string;
  /** Requests per path, e.g. `cgi-bin/token`. */
  counts: Map<string, number>;
  /** force_refresh values seen by cgi-bin/stable_token, in order. */
  stableForceRefresh: boolean[];
  /** Tokens that are currently valid. */
  valid: Set<string>;
  /** The expected secret; a wrong one gets 40125 (stable_token) or 40001 (token), as WeChat does. */
  secret: string;
  /** Lifetime WeChat announces, in seconds. */
  expiresIn: number;
  /** Delay before answering the token endpoints, in ms. */
  delayMs: number;
  /** Invalidates every issued token (as if WeChat expired them). */
  revokeAll(): void;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return text;
}

export async function startTokenServer(secret = 'right-secret'): Promise<TokenServer> {
  const stableTokens = new Map<string, string>();
  const state = {
    counts: new Map<string, number>(),
    stableForceRefresh: [] as boolean[],
    valid: new Set<string>(),
    secret,
    expiresIn: 7200,
    delayMs: 0,
  };
  const issue = () => {
    const token = `token-${randomUUID()}`;
    state.valid.add(token);
    return token;
  };
  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    const path = url.pathname.slice(1);
    state.counts.set(path, (state.counts.get(path) ?? 0) + 1);
    const send = (body: unknown) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const body = await readBody(request);
    if (path === 'cgi-bin/token' || path === 'cgi-bin/stable_token') {
      await new Promise((resolve) => setTimeout(resolve, state.delayMs));
      let given: unknown;
      let appid: unknown;
      let force = false;
      if (path === 'cgi-bin/token') given = url.searchParams.get('secret');
      else {
        const json: unknown = JSON.parse(body);
        if (typeof json === 'object' && json !== null) {
          given = 'secret' in json ? json.secret : undefined;
          appid = 'appid' in json ? json.appid : undefined;
          force = 'force_refresh' in json && json.force_refresh === true;
        }
        state.stableForceRefresh.push(force);
      }
      if (given !== state.secret) {
        send(path === 'cgi-bin/token' ? { errcode: 40001, errmsg: 'invalid credential' } : { errcode: 40125, errmsg: 'invalid appsecret' });
        return;
      }
      if (path === 'cgi-bin/token') {
        send({ access_token: issue(), expires_in: state.expiresIn });
        return;
      }
      const key = String(appid);
      const current = stableTokens.get(key);
      const stable = force || current === undefined ? issue() : current;
      stableTokens.set(key, stable);
      send({ access_token: stable, expires_in: state.expiresIn });
      return;
    }
    if (path === 'cgi-bin/user/info') {
      const token = url.searchParams.get('access_token') ?? '';
      if (!state.valid.has(token)) send({ errcode: 42001, errmsg: 'access_token expired' });
      else send({ subscribe: 0, openid: url.searchParams.get('openid') });
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    revokeAll: () => state.valid.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

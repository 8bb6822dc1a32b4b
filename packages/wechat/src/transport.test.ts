/**
 * Answers the sandbox never gives (WeChat talking nonsense, a dead port) from a tiny real HTTP
 * server: the transport must call them `wechat_bad_response` / `wechat_unreachable`, not an errcode.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '@weunion/errors';
import { MemorySharedState } from '@weunion/state';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWechatClient } from './client.ts';

const SECRET = 'super-secret-app-secret-value';
const CODE = 'one-time-code-value';

const answers: Record<string, { status: number; type: string; body: string }> = {
  '/sns/jscode2session': { status: 200, type: 'text/html', body: '<html>maintenance</html>' },
  '/sns/oauth2/access_token': { status: 200, type: 'application/json', body: '{"openid": 42}' },
  '/sns/userinfo': { status: 500, type: 'text/plain', body: 'oops' },
  '/sns/auth': { status: 503, type: 'text/plain', body: 'unavailable' },
  '/sns/oauth2/refresh_token': {
    status: 200,
    type: 'application/json',
    body: `{"errcode":40030,"errmsg":"invalid refresh_token ${CODE}"}`,
  },
};

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const answer = answers[path] ?? { status: 404, type: 'text/plain', body: 'not found' };
    response.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('answers that are not WeChat speaking', () => {
  const client = () => createWechatClient({ state: new MemorySharedState(), endpoints: { api: url }, timeoutMs: 2_000 });
  const app = { appid: 'wxnonsense', secret: SECRET };

  it('an HTML page instead of JSON is a bad response, not an errcode', async () => {
    const error = await failure(client().miniProgram.codeToSession(app, CODE));
    expect(error.code).toBe('wechat_bad_response');
    expect(error.details).toMatchObject({ endpoint: 'sns/jscode2session' });
  });

  it('JSON missing documented fields is a bad response naming the fields, not their values', async () => {
    const error = await failure(client().oauth.exchangeCode(app, CODE));
    expect(error.code).toBe('wechat_bad_response');
    expect(error.message).toContain('access_token');
    expect(error.message).not.toContain('42');
  });

  it('an HTTP 500 is a bad response and a 503 from a gateway counts as unreachable', async () => {
    expect((await failure(client().oauth.getUserInfo('token-value', 'openid'))).code).toBe('wechat_bad_response');
    expect((await failure(client().oauth.checkAccessToken('token-value', 'openid'))).code).toBe('wechat_unreachable');
  });

  it('a port nobody listens on is unreachable', async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const offline = createWechatClient({ state: new MemorySharedState(), endpoints: { api: `http://127.0.0.1:${port}` } });
    const error = await failure(offline.miniProgram.codeToSession(app, CODE));
    expect(error.code).toBe('wechat_unreachable');
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain(CODE);
  });

  it('scrubs a secret that WeChat echoes back in errmsg', async () => {
    const error = await failure(client().oauth.refreshAccessToken('wxnonsense', CODE));
    expect(error.code).toBe('wechat_refresh_token_invalid');
    expect(error.message).not.toContain(CODE);
    expect(JSON.stringify(error.details)).not.toContain(CODE);
  });
});

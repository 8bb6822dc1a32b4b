import { AppError } from '@weunion/errors';
import { MemorySharedState } from '@weunion/state';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../config/index.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';
import { buildApp } from './app.ts';
import { parseInput } from './problem.ts';

const sqlite = databaseBackends.find((b) => b.name === 'sqlite');

describe('HTTP app: errors, request ids, health', () => {
  let app: FastifyInstance;
  let database: TestDatabase;
  const logLines: string[] = [];

  beforeAll(async () => {
    if (sqlite === undefined) throw new Error('no sqlite backend');
    database = await sqlite.open();
    const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(line) });
    app = await buildApp(
      { config: loadConfig({}), database, state: new MemorySharedState() },
      {
        logger,
        plugins: [
          async (instance) => {
            instance.post('/test/echo', async (request) => parseInput(z.object({ name: z.string().min(1) }), request.body));
            instance.get('/test/app-error', async () => {
              throw new AppError('wechat_code_invalid', undefined, { details: { errcode: 40029 } });
            });
            instance.get('/test/hidden', async () => {
              throw new AppError('wechat_credentials_invalid', 'appsecret 0123 rejected for wx1');
            });
            instance.get('/test/crash', async () => {
              throw new Error('database password is hunter2');
            });
          },
        ],
      },
    );
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('an unknown route is a 404 problem document', async () => {
    const response = await app.inject({ method: 'GET', url: '/nowhere?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ status: 404, code: 'not_found', detail: 'No route for GET /nowhere' });
  });

  it('invalid input is a 400 naming the field', async () => {
    const response = await app.inject({ method: 'POST', url: '/test/echo', payload: { name: '' } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation_failed', issues: [{ path: 'name' }] });
  });

  it('malformed JSON is a 400 problem, not a crash', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'bad_request' });
  });

  it('an unsupported content type is a 415 problem', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { 'content-type': 'application/x-unknown' },
      payload: 'x',
    });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ code: 'unsupported_media_type' });
  });

  it('an AppError keeps its code, status and safe details', async () => {
    const response = await app.inject({ method: 'GET', url: '/test/app-error' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: 'wechat_code_invalid',
      errcode: 40029,
      type: 'https://weunion.dev/problems/wechat_code_invalid',
    });
  });

  it('an AppError whose message is not safe to show sends only its title', async () => {
    const response = await app.inject({ method: 'GET', url: '/test/hidden' });
    expect(response.statusCode).toBe(502);
    expect(response.body).not.toContain('0123');
    expect(response.json()).toMatchObject({ code: 'wechat_credentials_invalid', title: 'The WeChat app ID or secret is not valid' });
  });

  it('an unexpected error is a generic 500 with the request id; the stack goes to the log only', async () => {
    const response = await app.inject({ method: 'GET', url: '/test/crash', headers: { 'x-request-id': 'req-abc-123' } });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('hunter2');
    expect(response.json()).toEqual({
      type: 'https://weunion.dev/problems/internal',
      title: 'Internal server error',
      status: 500,
      code: 'internal',
      requestId: 'req-abc-123',
    });
    const logged = logLines.find((line) => line.includes('req-abc-123') && line.includes('"level":50'));
    expect(logged).toContain('stack');
  });

  it('echoes a well-formed x-request-id and replaces a malformed one', async () => {
    const kept = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abc-1' } });
    expect(kept.headers['x-request-id']).toBe('abc-1');
    const replaced = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'bad id\n' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('never logs credentials sent in headers', async () => {
    await app.inject({ method: 'GET', url: '/healthz', headers: { authorization: 'Bearer wu_supersecret', cookie: 'sid=secretcookie' } });
    const all = logLines.join('\n');
    expect(all).not.toContain('wu_supersecret');
    expect(all).not.toContain('secretcookie');
  });

  it('/healthz and /readyz answer 200 while storage is up', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', mode: 'embedded', database: 'sqlite', sharedState: 'memory' });
  });

  it('/readyz is a 503 problem when shared state is unreachable', async () => {
    await app.ctx.state.close();
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'unavailable', checks: { database: 'ok', sharedState: 'unreachable' } });
  });
});

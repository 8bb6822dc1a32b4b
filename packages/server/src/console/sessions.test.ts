/** Console session lifetimes, read at chosen instants (no waiting on the clock). */
import { randomBytes } from 'node:crypto';
import { MemorySharedState } from '@weunion/state';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminAccount } from '../admin-accounts/store.ts';
import { loadConfig } from '../config/index.ts';
import { buildApp } from '../http/app.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { SecretBox } from '../secrets/master-key.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';
import { ABSOLUTE_TIMEOUT_MS, IDLE_TIMEOUT_MS, readConsoleSessionToken, sessionKey } from './sessions.ts';

const sqlite = databaseBackends[0];

describe.skipIf(sqlite === undefined)('console session lifetime', () => {
  let database: TestDatabase;
  let app: FastifyInstance;

  beforeAll(async () => {
    if (sqlite === undefined) return;
    database = await sqlite.open();
    app = await buildApp(
      {
        config: loadConfig({ SANDBOX: 'off', PUBLIC_URL: 'http://localhost:3000' }),
        database,
        state: new MemorySharedState(),
        secrets: new SecretBox(randomBytes(32)),
      },
      { logger: pino({ level: 'silent' }) },
    );
    await createAdminAccount(database.db, app.ctx.secrets, { username: 'timer', password: 'timer password' }, SYSTEM_ACTOR);
  });
  afterAll(async () => {
    await app?.close();
    await database?.dispose();
  });

  const signIn = async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/console/api/login',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ username: 'timer', password: 'timer password' }),
    });
    const token = /weunion_console=([^;]*)/.exec(String(response.headers['set-cookie']))?.[1] ?? '';
    return { token, createdAt: Number(response.json().expiresAt) - IDLE_TIMEOUT_MS };
  };

  it('is kept by the hash of its token, and unused it lives at most the idle timeout', async () => {
    const { token } = await signIn();
    expect(await app.ctx.state.get(`console:session:${token}`)).toBeNull();
    const ttl = await app.ctx.state.ttl(sessionKey(token));
    expect(ttl).not.toBeNull();
    expect(ttl ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(IDLE_TIMEOUT_MS);
  });

  it('using it late in the day still ends it at the absolute limit', async () => {
    const { token, createdAt } = await signIn();
    const late = await readConsoleSessionToken(app.ctx, token, createdAt + ABSOLUTE_TIMEOUT_MS - IDLE_TIMEOUT_MS / 2);
    expect(late?.expiresAt).toBe(createdAt + ABSOLUTE_TIMEOUT_MS);
    expect(await readConsoleSessionToken(app.ctx, token, createdAt + ABSOLUTE_TIMEOUT_MS)).toBeNull();
    // Ended sessions are removed, not just refused.
    expect(await app.ctx.state.get(sessionKey(token))).toBeNull();
  });
});

/**
 * What an operator sees on first start in sandbox mode, over real HTTP: the demo connections are
 * there, and an admin key created from the shell works against the management API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdminKey } from '../admin-keys/store.ts';
import { loadConfig } from '../config/index.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { type RunningService, startService } from '../service.ts';

describe('first start in sandbox mode', () => {
  let dir: string;
  let service: RunningService;
  let key: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'weunion-first-start-'));
    const config = loadConfig({ DATA_DIR: dir, SANDBOX: 'on', HOST: '127.0.0.1', PORT: '0' });
    service = await startService(config, { port: 0, logger: pino({ level: 'silent' }) });
    key = (await createAdminKey(service.database.db, 'first-start', SYSTEM_ACTOR)).key;
  });
  afterAll(async () => {
    await service?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the demo connections for all seven scenarios through the management API, without secrets', async () => {
    const response = await fetch(`${service.address}/api/v1/connections`, { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
    const body = z
      .object({ connections: z.array(z.object({ id: z.string(), scenarios: z.array(z.string()), secretSet: z.boolean() })) })
      .parse(await response.json());
    expect(body.connections.map((c) => c.id).sort()).toEqual([
      'demo-mini-program',
      'demo-mobile-app',
      'demo-official-account',
      'demo-website',
    ]);
    expect(new Set(body.connections.flatMap((c) => c.scenarios))).toEqual(new Set(['s1', 's2', 's3', 's4', 's5', 's6', 's7']));
    expect(body.connections.every((c) => c.secretSet)).toBe(true);
    expect(JSON.stringify(body)).not.toContain('sandbox0');
  });

  it('answers the OpenAPI document and refuses the API without a key', async () => {
    expect((await fetch(`${service.address}/api/v1/openapi.json`)).status).toBe(200);
    const refused = await fetch(`${service.address}/api/v1/users`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
  });
});

/**
 * An application whose branding requires the person's agreement (`requireAgreement`): the SDK's QR
 * login and S2/S4 URLs carry the application and the agreement when told to, and weunion (a real
 * server, sandbox mode) then starts the login; without `agreed` it refuses with `agreement_required`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminKey } from '../../server/src/admin-keys/store.ts';
import { loadConfig } from '../../server/src/config/index.ts';
import { SYSTEM_ACTOR } from '../../server/src/identity/audit.ts';
import { type RunningService, startService } from '../../server/src/service.ts';
import { freePort } from '../../server/src/testing/free-port.ts';
import { createWeunion, type Weunion } from '../src/index.ts';

describe('the SDK and an application that requires agreement', () => {
  let service: RunningService;
  let weunion: Weunion;

  beforeAll(async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      PUBLIC_URL: url,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sdk-agree-')),
    });
    service = await startService(config, { logger: pino({ level: 'silent' }) });
    const { key } = await createAdminKey(service.database.db, 'sdk-test', SYSTEM_ACTOR);
    const created = await fetch(`${url}/api/v1/applications`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'terms-app',
        name: 'Terms app',
        type: 'spa',
        redirectUris: [`${url}/callback`],
        branding: { termsUrl: 'https://example.com/terms', privacyUrl: 'https://example.com/privacy', requireAgreement: true },
      }),
    });
    expect(created.status).toBe(201);
    weunion = createWeunion({ baseUrl: url });
  }, 60_000);
  afterAll(async () => {
    await service?.close();
  });

  it('startQrLogin sends the agreement; without it the login is refused', async () => {
    await expect(weunion.startQrLogin('s1', { client: 'terms-app' })).rejects.toMatchObject({ code: 'agreement_required' });
    const login = await weunion.startQrLogin('s1', { client: 'terms-app', agreed: true });
    expect(login.ticketId).toEqual(expect.any(String));
    login.stop();
  });

  it('s2Url and s4Url name the application and the agreement', async () => {
    for (const make of [weunion.s2Url, weunion.s4Url]) {
      const refused = await fetch(make({ client: 'terms-app', returnTo: '/done' }), { redirect: 'manual' });
      expect(refused.headers.get('location')).toContain('agreement_required');
      const url = make({ client: 'terms-app', agreed: true, returnTo: '/done' });
      expect(new URL(url).searchParams.get('client')).toBe('terms-app');
      const started = await fetch(url, { redirect: 'manual' });
      expect(started.status).toBe(302);
      expect(started.headers.get('location')).not.toContain('agreement_required');
    }
  });
});

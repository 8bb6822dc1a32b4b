/**
 * Two instances on one storage (scale-out: PostgreSQL + Redis; embedded as a control): a console
 * session made on one is honoured and ended on the other, and one TOTP code signs in once, even
 * when both instances receive it at the same moment.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminAccount } from '../admin-accounts/store.ts';
import { newTotpSecret, totpCode } from '../admin-accounts/totp.ts';
import { loadConfig } from '../config/index.ts';
import { buildApp } from '../http/app.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { storageModes } from '../login/test-harness.ts';
import { SecretBox } from '../secrets/master-key.ts';

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`console on two instances: ${mode.name}`, () => {
    const secrets = new SecretBox(randomBytes(32));
    const apps: FastifyInstance[] = [];
    const closers: (() => Promise<unknown>)[] = [];
    let totpSecret: string;

    beforeAll(async () => {
      const storage = await mode.open();
      const sibling = await storage.sibling();
      closers.push(() => storage.database.dispose());
      if (sibling.state !== storage.state)
        closers.push(
          () => sibling.state.close(),
          () => storage.state.close(),
        );
      if (sibling.database !== storage.database) closers.push(() => sibling.database.close());
      for (const shared of [storage, sibling]) {
        apps.push(
          await buildApp(
            {
              config: loadConfig({ SANDBOX: 'off', PUBLIC_URL: 'http://localhost:3000' }),
              database: shared.database,
              state: shared.state,
              secrets,
            },
            { logger: pino({ level: 'silent' }) },
          ),
        );
      }
      totpSecret = newTotpSecret();
      await createAdminAccount(storage.database.db, secrets, { username: 'twin', password: 'twin password 1', totpSecret }, SYSTEM_ACTOR);
    });
    afterAll(async () => {
      for (const app of apps) await app.close();
      for (const close of closers.reverse()) await close();
    });

    const login = (app: FastifyInstance, code: string, ip: string) =>
      app.inject({
        method: 'POST',
        url: '/console/api/login',
        remoteAddress: ip,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ username: 'twin', password: 'twin password 1', totp: code }),
      });

    it('one TOTP code sent to both instances at once signs in exactly once', async () => {
      const [a, b] = apps;
      if (a === undefined || b === undefined) throw new Error('two instances expected');
      const code = totpCode(totpSecret);
      const answers = await Promise.all([login(a, code, '192.0.2.1'), login(b, code, '192.0.2.2')]);
      expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 401]);
      const refused = answers.find((r) => r.statusCode === 401);
      expect(refused?.json().code).toBe('totp_invalid');
    });

    it('a session made on one instance works on the other, and a logout there ends it everywhere', async () => {
      const [a, b] = apps;
      if (a === undefined || b === undefined) throw new Error('two instances expected');
      const signedIn = await login(a, totpCode(totpSecret, Date.now() + 30_000), '192.0.2.3');
      expect(signedIn.statusCode).toBe(200);
      const cookie = /weunion_console=[^;]*/.exec(String(signedIn.headers['set-cookie']))?.[0] ?? '';
      const csrf: string = signedIn.json().csrfToken;
      expect((await b.inject({ method: 'GET', url: '/api/v1/users', headers: { cookie } })).statusCode).toBe(200);
      expect((await b.inject({ method: 'POST', url: '/console/api/logout', headers: { cookie, 'x-csrf-token': csrf } })).statusCode).toBe(
        204,
      );
      expect((await a.inject({ method: 'GET', url: '/console/api/session', headers: { cookie } })).statusCode).toBe(401);
    });
  });
}

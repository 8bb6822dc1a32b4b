/**
 * `npm start` in sandbox mode, as a developer runs it: with no message provider configured, codes
 * go to the sandbox mounted at /sandbox — SMS through its Tencent Cloud emulator (signed like the
 * real thing) into the virtual phone's SMS inbox page, email into the outbox page. Outside the
 * sandbox with no provider, SMS login is not offered and sending says what to configure.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../config/index.ts';
import { startService } from '../service.ts';
import { freePort } from '../testing/free-port.ts';

const silent = pino({ level: 'silent' });

async function start(env: Record<string, string>) {
  const port = await freePort();
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'weunion-messages-')),
    ...env,
  });
  return startService(config, { logger: silent });
}

describe('message delivery as started', () => {
  it('sandbox mode: an SMS login code lands in the mounted sandbox’s SMS inbox page', async () => {
    const service = await start({ SANDBOX: 'on' });
    try {
      const phone = `+86138${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
      const sent = await fetch(`${service.address}/api/login/sms/send`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ phone }),
      });
      expect(sent.status).toBe(200);
      const inbox = z
        .array(z.object({ text: z.string() }))
        .parse(await (await fetch(`${service.address}/sandbox/_sandbox/sms?to=${encodeURIComponent(phone)}`)).json());
      expect(inbox[0]?.text).toMatch(/^【weunion沙箱】您的验证码为\d{6}/);
      const page = await (await fetch(`${service.address}/sandbox/phone/sms?number=${encodeURIComponent(phone)}`)).text();
      expect(page).toContain(inbox[0]?.text ?? 'missing');
      const login = await (await fetch(`${service.address}/login?returnTo=%2F`)).text();
      expect(login).toContain('href="/login/sms?returnTo=%2F"');
    } finally {
      await service.close();
    }
  });

  it('no sandbox and no provider: /login offers no SMS login, and the API says what to configure', async () => {
    const service = await start({ SANDBOX: 'off' });
    try {
      const login = await (await fetch(`${service.address}/login?returnTo=%2F`)).text();
      expect(login).not.toContain('/login/sms');
      const sent = await fetch(`${service.address}/api/login/sms/send`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ phone: '+8613800000000' }),
      });
      expect(sent.status).toBe(503);
      expect(await sent.json()).toMatchObject({ code: 'message_provider_missing', detail: expect.stringMatching(/SMS_PROVIDER/) });
      const page = await (await fetch(`${service.address}/login/sms`)).text();
      expect(page).toContain('SMS login is not available here.');
    } finally {
      await service.close();
    }
  });
});

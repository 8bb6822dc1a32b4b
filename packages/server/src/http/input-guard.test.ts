import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminKey } from '../admin-keys/store.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { Browser, createS1Ticket, demo, LoginWorld, storageModes } from '../login/test-harness.ts';

/** A raw request: the body is sent exactly as written (JSON escapes such as `\ud800` included). */
async function send(url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) {
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body,
  });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type') ?? '', text };
}

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`malformed input is a 400 problem at the edge: ${mode.name}`, () => {
    let world: LoginWorld;
    let url: string;
    let adminKey: string;

    beforeAll(async () => {
      world = await LoginWorld.start(mode);
      url = world.first.url;
      adminKey = (await createAdminKey(world.database.db, 'input-guard', SYSTEM_ACTOR)).key;
    });
    afterAll(async () => {
      await world?.close();
    });

    const admin = (path: string, method = 'GET', body?: string) =>
      send(`${url}/api/v1${path}`, { method, ...(body === undefined ? {} : { body }), headers: { authorization: `Bearer ${adminKey}` } });

    const expectRefused = (answer: { status: number; type: string; text: string }, field: string) => {
      expect(answer.status, answer.text).toBe(400);
      expect(answer.type).toContain('application/problem+json');
      expect(JSON.parse(answer.text)).toMatchObject({ code: 'validation_failed' });
      expect(answer.text).toContain(field);
    };

    it('refuses a NUL byte in any string before it reaches the database', async () => {
      expectRefused(await send(`${url}/api/login/s1`, { body: '{"connection":"\\u0000"}' }), 'body.connection');
      expectRefused(await send(`${url}/api/login/s3`, { body: '{"client":"a\\u0000"}' }), 'body.client');
      expectRefused(await send(`${url}/api/login/s2/embedded?connection=a%00b`), 'query.connection');
      expectRefused(await send(`${url}/api/login/tickets/a%00b`), 'path.id');
      expectRefused(await admin('/users?q=%00'), 'query.q');
      expectRefused(await admin('/users/usr_%00'), 'path.userId');
      expectRefused(await admin('/users', 'POST', '{"nickname":"\\u0000"}'), 'body.nickname');
      expectRefused(await admin('/connections/x%00', 'PATCH', '{"name":"n"}'), 'path.connectionId');
      expectRefused(await admin('/admin-keys', 'POST', '{"name":"k\\u0000"}'), 'body.name');
    });

    it('refuses a NUL byte in a field name and nesting no request has', async () => {
      expectRefused(await send(`${url}/api/login/s1`, { body: '{"a\\u0000":1}' }), 'field name');
      expectRefused(await send(`${url}/api/login/s1`, { body: `${'['.repeat(5000)}${']'.repeat(5000)}` }), 'nested');
    });

    it('refuses an unpaired surrogate in a WeChat code instead of failing the call to WeChat', async () => {
      const body = JSON.stringify({ appid: demo('miniProgram').appid, code: 'x' }).replace('"x"', '"\\ud800"');
      expectRefused(await send(`${url}/api/mp/login`, { body }), 'body.code');
      expectRefused(await send(`${url}/api/app/login`, { body: '{"appid":"\\udfff","code":"c"}' }), 'body.appid');
    });

    it('a malformed cookie of someone else does not fail the request', async () => {
      const browser = new Browser();
      const ticket = await createS1Ticket(browser, world.first);
      const secretCookie = `wu_ticket_${ticket.ticketId}=${encodeURIComponent(ticket.secret)}`;
      for (const cookie of ['a=%', 'a=%E0%A4%A', 'a=x%00y', `${secretCookie}; a=%`]) {
        const status = await send(`${url}/api/login/tickets/${ticket.ticketId}`, { headers: { cookie } });
        expect(status.status, `${cookie}: ${status.text}`).toBe(cookie.startsWith('wu_ticket') ? 200 : 404);
      }
      const events = await fetch(`${url}/api/login/tickets/${ticket.ticketId}/events`, { headers: { cookie: `a=%; ${secretCookie}` } });
      expect(events.status).toBe(200);
      await events.body?.cancel();
      const session = await send(`${url}/api/session`, { headers: { cookie: 'wu_session=%; wu_browser=%zz' } });
      expect(session.status).toBe(401);
    });

    it('a search for NUL no longer matches everyone, and changes nothing', async () => {
      const before = await world.userCount();
      expect((await admin('/users?q=%00')).status).toBe(400);
      expect(await world.userCount()).toBe(before);
    });
  });
}

/**
 * The Node SDK against a running weunion: webhook endpoints through the management client, real
 * deliveries (a deliverer on the instance, a receiver on loopback) verified with `verifyWebhook`,
 * and the token broker's three calls against the WeChat sandbox.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminKey } from '../../server/src/admin-keys/store.ts';
import { SYSTEM_ACTOR } from '../../server/src/identity/audit.ts';
import { demo, LoginWorld, storageModes } from '../../server/src/login/test-harness.ts';
import { WebhookDeliverer } from '../../server/src/webhooks/deliverer.ts';
import { WeunionApiError, WeunionWebhookError } from './errors.ts';
import { createManagementClient, type ManagementClient } from './management-client.ts';
import { verifyWebhook, type WebhookEvent } from './webhook.ts';

const embedded = storageModes.find((m) => m.name === 'embedded');

describe.skipIf(embedded === undefined || embedded.skip)('Node SDK: webhooks and the token broker against a running weunion', () => {
  let world: LoginWorld;
  let admin: ManagementClient;
  let deliverer: WebhookDeliverer;
  let receiver: Server;
  let receiverUrl: string;
  let secret = '';
  const verified: WebhookEvent[] = [];
  const refused: string[] = [];

  beforeAll(async () => {
    if (embedded === undefined) throw new Error('no embedded storage');
    world = await LoginWorld.start(embedded);
    const { key } = await createAdminKey(world.database.db, 'sdk-node webhooks', SYSTEM_ACTOR);
    admin = createManagementClient({ baseUrl: world.first.url, apiKey: key });
    const ctx = world.first.app.ctx;
    deliverer = new WebhookDeliverer({
      db: ctx.database.db,
      state: ctx.state,
      secrets: ctx.secrets,
      config: { ...ctx.config, webhookPollIntervalMs: 100, webhookRetryBaseMs: 50 },
    });
    await deliverer.start();
    // A receiver as a business backend writes it: raw body, verifyWebhook, 400 when refused.
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        try {
          verified.push(verifyWebhook(secret, Buffer.concat(chunks), request.headers));
          response.writeHead(204).end();
        } catch (error) {
          refused.push(error instanceof WeunionWebhookError ? error.code : String(error));
          response.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    receiverUrl = `http://127.0.0.1:${address !== null && typeof address === 'object' ? address.port : 0}/weunion-events`;
  });
  afterAll(async () => {
    await deliverer?.stop();
    receiver?.closeAllConnections();
    await new Promise((resolve) => receiver?.close(resolve));
    await world?.close();
  });

  const waitFor = async (what: string, condition: () => boolean) => {
    const deadline = Date.now() + 20_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('webhooks: create an endpoint, receive verified events, read the log, replay, rotate, delete', async () => {
    const created = await admin.webhooks.create({ url: receiverUrl, description: 'CRM', events: ['user.created', 'user.blocked'] });
    secret = created.secret;
    expect(created.endpoint).toMatchObject({ url: receiverUrl, enabled: true, events: ['user.created', 'user.blocked'] });
    expect((await admin.webhooks.list()).map((e) => e.id)).toContain(created.endpoint.id);

    const user = await admin.users.create({ nickname: 'Hana' });
    await admin.users.block(user.id);
    await admin.users.unblock(user.id);
    await waitFor('two events', () => verified.length === 2);
    expect(verified.map((e) => e.type)).toEqual(['user.created', 'user.blocked']);
    expect(verified[1]?.data).toMatchObject({
      user: { id: user.id, status: 'blocked' },
      actor: { kind: 'admin_key', name: 'sdk-node webhooks' },
    });
    expect(refused).toEqual([]);

    const log = await admin.webhooks.deliveries(created.endpoint.id);
    expect(log.items.map((d) => d.status)).toEqual(['delivered', 'delivered']);
    const attempts = await admin.webhooks.attempts(log.items[0]?.id ?? '');
    expect(attempts).toMatchObject([{ ok: true, statusCode: 204 }]);
    const event = await admin.webhooks.event(verified[0]?.id ?? '');
    expect(event).toMatchObject({ type: 'user.created', subjectId: user.id });
    expect((await admin.webhooks.events({ subjectId: user.id })).items.map((e) => e.type)).toEqual(['user.blocked', 'user.created']);

    expect(await admin.webhooks.replay(created.endpoint.id, { eventId: verified[0]?.id ?? '' })).toMatchObject({ queued: 1 });
    await waitFor('the replay', () => verified.length === 3);
    expect(verified[2]?.id).toBe(verified[0]?.id);

    // A receiver still holding the old secret keeps verifying during the overlap.
    const rotated = await admin.webhooks.rotateSecret(created.endpoint.id, 600);
    expect(rotated.secret).not.toBe(created.secret);
    await admin.webhooks.test(created.endpoint.id);
    await waitFor('the ping', () => verified.length === 4);
    expect(verified[3]?.type).toBe('webhook.ping');
    secret = rotated.secret;
    await admin.users.block(user.id);
    await waitFor('the block with the new secret', () => verified.length === 5);

    const wrong = await admin.webhooks.create({ url: 'ftp://example.com/' }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(WeunionApiError);
    expect(wrong).toMatchObject({ code: 'validation_failed', status: 400 });
    await admin.webhooks.delete(created.endpoint.id);
    expect(await admin.webhooks.list()).toEqual([]);
  });

  it('token broker: getAccessToken, refreshAccessToken and getJsapiTicket hand out what weunion holds', async () => {
    const rows = await world.database.db.selectFrom('connections').select(['id', 'appid']).execute();
    const oa = rows.find((r) => r.appid === demo('officialAccount').appid)?.id ?? '';
    const token = await admin.getAccessToken(oa);
    expect(token).toMatchObject({ access_token: expect.any(String), expires_in: expect.any(Number) });
    expect(token.expires_in).toBeGreaterThan(0);
    expect((await admin.getAccessToken(oa)).access_token).toBe(token.access_token);

    const stale = await admin.refreshAccessToken(oa, 'some-token-weunion-no-longer-holds');
    expect(stale.access_token).toBe(token.access_token);
    const refreshed = await admin.refreshAccessToken(oa, token.access_token);
    expect(refreshed.access_token).not.toBe(token.access_token);
    expect((await admin.getAccessToken(oa)).access_token).toBe(refreshed.access_token);

    const ticket = await admin.getJsapiTicket(oa);
    expect(ticket).toMatchObject({ ticket: expect.any(String), expires_in: expect.any(Number) });

    const mp = rows.find((r) => r.appid === demo('miniProgram').appid)?.id ?? '';
    const notAnOa = await admin.getJsapiTicket(mp).catch((e: unknown) => e);
    expect(notAnOa).toMatchObject({ code: 'bad_request', status: 400 });
    expect(await admin.getAccessToken('nope').catch((e: unknown) => e)).toMatchObject({ code: 'not_found', status: 404 });
  });
});

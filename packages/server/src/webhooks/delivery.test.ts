/**
 * Identity events end to end, on each storage backend: changes made through the management API and
 * the identity core, the outbox, deliverers (two instances on one database), and a real HTTP
 * receiver on loopback that verifies each delivery with the Node SDK's `verifyWebhook`.
 */
import { randomBytes } from 'node:crypto';
import { MemorySharedState } from '@weunion/state';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../../sdk-node/src/webhook.ts';
import { createAdminKey } from '../admin-keys/store.ts';
import { loadConfig } from '../config/index.ts';
import { buildApp } from '../http/app.ts';
import { signInWithAssertion } from '../identity/apply.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { mergeUsers } from '../identity/merge.ts';
import { DEFAULT_POLICY } from '../identity/policy.ts';
import { createUser } from '../identity/users.ts';
import { SecretBox } from '../secrets/master-key.ts';
import { recordLoginStat } from '../stats/login-stats.ts';
import type { Database } from '../storage/index.ts';
import { databaseBackends, type TestDatabase } from '../storage/test-backends.ts';
import { type DelivererConfig, WebhookDeliverer } from './deliverer.ts';
import { withoutWebhooks } from './outbox.ts';
import { WebhookReceiver } from './test-receiver.ts';

const FAST: DelivererConfig = {
  webhookTimeoutMs: 1_000,
  webhookLeaseMs: 2_000,
  webhookPollIntervalMs: 100,
  webhookRetryBaseMs: 50,
  webhookRetryWindowSeconds: 3_600,
  webhookDisableAfterSeconds: 3_600,
  webhookRetentionDays: 30,
};

async function waitFor(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const backend of databaseBackends) {
  describe.skipIf(backend.skip)(`identity events (webhooks): ${backend.name}`, () => {
    let database: TestDatabase;
    let sibling: Database;
    let app: FastifyInstance;
    let key: string;
    const state = new MemorySharedState();
    const secrets = new SecretBox(randomBytes(32));
    const running: WebhookDeliverer[] = [];
    const receivers: WebhookReceiver[] = [];

    beforeAll(async () => {
      database = await backend.open();
      sibling = await database.openSibling();
      key = (await createAdminKey(database.db, 'tests', SYSTEM_ACTOR)).key;
      app = await buildApp({ config: loadConfig({ SANDBOX: 'off' }), database, state, secrets }, { logger: pino({ level: 'silent' }) });
    });
    afterEach(async () => {
      await Promise.all(running.splice(0).map((d) => d.stop()));
      await Promise.all(receivers.splice(0).map((r) => r.down()));
      // Each test has its own endpoints: later tests' events go to theirs only.
      await database.db.deleteFrom('webhook_endpoints').execute();
    });
    afterAll(async () => {
      await app?.close();
      await sibling?.close();
      await database?.dispose();
      await state.close();
    });

    const api = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) => {
      const response = await app.inject({
        method,
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      return { status: response.statusCode, body: response.body === '' ? null : response.json() };
    };
    const deliverer = async (db: Database = database, config: Partial<DelivererConfig> = {}) => {
      const started = new WebhookDeliverer({ db: db.db, state, secrets, config: { ...FAST, ...config } });
      await started.start();
      running.push(started);
      return started;
    };
    const receiver = async (up = true) => {
      const started = new WebhookReceiver();
      receivers.push(started);
      if (up) await started.up();
      return started;
    };
    const endpoint = async (url: string, events?: string[]) => {
      const created = await api('POST', '/webhooks/endpoints', { url, description: 'test', ...(events === undefined ? {} : { events }) });
      expect(created.status).toBe(201);
      return { id: String(created.body.endpoint.id), secret: String(created.body.secret) };
    };
    const deliveries = async (endpointId: string) =>
      (await api('GET', `/webhooks/endpoints/${endpointId}/deliveries?limit=200`)).body.deliveries;
    const allDelivered = (endpointId: string, count: number) => async () => {
      const rows = await deliveries(endpointId);
      return rows.length === count && rows.every((d: { status: string }) => d.status === 'delivered');
    };
    const newUser = async (body: Record<string, unknown> = {}) => {
      const created = await api('POST', '/users', body);
      expect(created.status).toBe(201);
      return String(created.body.id);
    };
    let sequence = 0;
    const wechatSignIn = async (unionid?: string) => {
      sequence += 1;
      const result = await signInWithAssertion(
        database,
        {
          appid: 'wx_oa',
          appType: 'official_account',
          openPlatformId: 'op_test',
          openid: `o_webhooks_${backend.name}_${sequence}`,
          ...(unionid === undefined ? {} : { unionid }),
        },
        DEFAULT_POLICY,
      );
      if (result.kind !== 'signed_in') throw new Error(`not signed in: ${result.kind}`);
      return result;
    };

    it('receiver down for a while, then up: every event arrives, each id verified, in order per person, with no secret in it', async () => {
      const hooks = await receiver(false);
      await hooks.up();
      const port = hooks.port;
      await hooks.down();
      const { id: endpointId, secret } = await endpoint(`http://127.0.0.1:${port}/hooks`);
      await deliverer();

      const first = await newUser({ nickname: 'Ada' });
      const second = await newUser({ nickname: 'Bo', password: 'correct horse battery' });
      const third = await newUser({ nickname: 'Cy' });
      expect((await api('POST', `/users/${first}/block`)).status).toBe(200);
      expect((await api('POST', `/users/${first}/unblock`)).status).toBe(200);
      expect((await api('PATCH', `/users/${second}`, { nickname: 'Bob', password: 'another long one' })).status).toBe(200);
      expect((await api('DELETE', `/users/${third}`)).status).toBe(204);
      const wechat = await wechatSignIn(`u_webhooks_${backend.name}`);
      const expectedTypes = [
        'user.created',
        'user.created',
        'user.created',
        'user.blocked',
        'user.unblocked',
        'user.updated',
        'user.deleted',
        'user.created',
        'identity.linked',
      ];

      // Down: attempts fail and are logged, and retried.
      await waitFor('failed attempts', async () => {
        const rows = await deliveries(endpointId);
        return rows.length === expectedTypes.length && rows.some((d: { attempts: number }) => d.attempts >= 2);
      });
      const failing = (await deliveries(endpointId)).find((d: { attempts: number }) => d.attempts >= 2);
      expect(failing).toMatchObject({ status: 'pending', lastAttempt: { ok: false, statusCode: null } });
      expect((await api('GET', `/webhooks/endpoints/${endpointId}`)).body.failingSince).toEqual(expect.any(Number));

      await hooks.up();
      await waitFor('every delivery', allDelivered(endpointId, expectedTypes.length));

      const arrived = hooks.delivered();
      expect(arrived.map((r) => r.id).sort()).toEqual((await deliveries(endpointId)).map((d: { eventId: string }) => d.eventId).sort());
      expect(arrived.map((r) => r.type).sort()).toEqual([...expectedTypes].sort());
      for (const request of arrived) {
        const event = verifyWebhook(secret, request.body, {
          'webhook-id': request.id,
          'webhook-timestamp': request.timestamp,
          'webhook-signature': request.signature,
        });
        expect(event.id).toBe(request.id);
        expect(event.data).toMatchObject({ actor: { kind: expect.any(String) } });
      }
      // In order per person.
      expect(arrived.filter((r) => r.userId === first).map((r) => r.type)).toEqual(['user.created', 'user.blocked', 'user.unblocked']);
      expect(arrived.filter((r) => r.userId === wechat.userId).map((r) => r.type)).toEqual(['user.created', 'identity.linked']);
      // The WeChat identity is named; no secret is.
      const linked = arrived.find((r) => r.type === 'identity.linked');
      expect(JSON.parse(linked?.body ?? '{}').data).toMatchObject({
        user: { id: wechat.userId },
        identity: { appid: 'wx_oa', openid: `o_webhooks_${backend.name}_${sequence}`, unionid: `u_webhooks_${backend.name}` },
        identities: [{ appid: 'wx_oa', unionid: `u_webhooks_${backend.name}` }],
        actor: { kind: 'system' },
      });
      const updated = arrived.find((r) => r.type === 'user.updated');
      expect(JSON.parse(updated?.body ?? '{}').data).toMatchObject({ changes: ['nickname', 'password'], actor: { kind: 'admin_key' } });
      const hash = await database.db
        .selectFrom('password_credentials')
        .select('hash')
        .where('user_id', '=', second)
        .executeTakeFirstOrThrow();
      for (const request of hooks.received) {
        expect(request.body).not.toContain(hash.hash);
        expect(request.body).not.toContain('correct horse');
        expect(request.body).not.toContain('another long one');
        expect(request.body).not.toMatch(/session_?key|secret/i);
      }
      // The deleted person's event names who they were, not what they still have.
      const deleted = arrived.find((r) => r.type === 'user.deleted');
      expect(JSON.parse(deleted?.body ?? '{}').data).toMatchObject({ user: { id: third, status: 'deleted' } });

      // The log of a retried delivery: failures, then the success.
      const attempts = (await api('GET', `/webhooks/deliveries/${failing.id}/attempts`)).body.attempts;
      expect(attempts.length).toBeGreaterThanOrEqual(3);
      expect(attempts.at(-1)).toMatchObject({ ok: true, statusCode: 200, responseExcerpt: '{"ok":true}' });
      expect(attempts.slice(0, -1).every((a: { ok: boolean; error: string }) => !a.ok && a.error.length > 0)).toBe(true);
      expect((await api('GET', `/webhooks/endpoints/${endpointId}`)).body).toMatchObject({
        failingSince: null,
        deliveries: { delivered: expectedTypes.length, pending: 0 },
      });
    });

    it('a change that rolls back raises no event; a merge preview (rehearsed and rolled back) neither', async () => {
      const hooks = await receiver();
      const { id: endpointId } = await endpoint(hooks.url);
      await deliverer();
      const target = await newUser({ nickname: 'Target' });
      const source = await newUser({ nickname: 'Source' });
      await expect(
        database.db.transaction().execute(async (trx) => {
          await mergeUsers(trx, { targetUserId: target, sourceUserId: source, actor: SYSTEM_ACTOR });
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect((await api('GET', `/users/${target}/merge-preview?sourceUserId=${source}`)).body.allowed).toBe(true);
      expect((await api('POST', `/users/${target}/block`)).status).toBe(200);
      await waitFor('the block', allDelivered(endpointId, 3));
      expect(hooks.delivered().map((r) => r.type)).toEqual(['user.created', 'user.created', 'user.blocked']);
      const merged = await database.db.selectFrom('webhook_events').select('id').where('type', '=', 'user.merged').execute();
      expect(merged).toEqual([]);
      // And the merge that does commit raises one.
      expect((await api('POST', `/users/${target}/unblock`)).status).toBe(200);
      expect((await api('POST', `/users/${target}/merge`, { sourceUserId: source })).status).toBe(201);
      await waitFor('the merge', allDelivered(endpointId, 5));
      expect(hooks.delivered().at(-1)).toMatchObject({ type: 'user.merged', userId: target });
    });

    it('an instance killed mid-delivery: another instance on the same database delivers after the lease', async () => {
      const hooks = await receiver();
      hooks.holdFirst = true;
      const { id: endpointId, secret } = await endpoint(hooks.url);
      // Killed well within its 3 s timeout, so it never records the attempt; the lease (4 s) then expires.
      const slow = { webhookTimeoutMs: 3_000, webhookLeaseMs: 4_000 };
      const first = await deliverer(database, slow);
      const userId = await newUser({ nickname: 'Dee' });
      await waitFor('the first attempt to arrive', () => hooks.received.length === 1);
      await first.kill();
      const row = await database.db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('endpoint_id', '=', endpointId)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'pending', lease_owner: first.owner });
      const second = await deliverer(sibling, slow);
      await waitFor('the delivery by the second instance', allDelivered(endpointId, 1));
      expect(hooks.received.map((r) => r.id)).toEqual([row.event_id, row.event_id]);
      expect(hooks.received.map((r) => r.status)).toEqual([0, 200]);
      const attempts = (await api('GET', `/webhooks/deliveries/${row.id}/attempts`)).body.attempts;
      expect(attempts).toHaveLength(1);
      expect(attempts[0]).toMatchObject({ ok: true });
      expect(second.owner).not.toBe(first.owner);
      const event = verifyWebhook(secret, hooks.received[1]?.body ?? '', {
        'webhook-id': row.event_id,
        'webhook-timestamp': hooks.received[1]?.timestamp,
        'webhook-signature': hooks.received[1]?.signature,
      });
      expect(event).toMatchObject({ type: 'user.created', data: { user: { id: userId } } });
    });

    it('two instances at once send each event once (leases), and a later event for a person waits for an earlier one', async () => {
      const hooks = await receiver();
      const { id: endpointId } = await endpoint(hooks.url);
      let holdUser: string | null = null;
      hooks.fail = (r) => r.userId === holdUser && r.type === 'user.created';
      await deliverer(database);
      await deliverer(sibling);
      holdUser = await newUser({ nickname: 'Held' });
      expect((await api('POST', `/users/${holdUser}/block`)).status).toBe(200);
      expect((await api('POST', `/users/${holdUser}/unblock`)).status).toBe(200);
      const others: string[] = [];
      for (let i = 0; i < 6; i += 1) others.push(await newUser({ nickname: `Other ${i}` }));
      await waitFor('the other people', () => others.every((id) => hooks.delivered().some((r) => r.userId === id)));
      await waitFor('a few failed attempts', () => hooks.received.filter((r) => r.status === 503).length >= 3);
      // The held person's block and unblock wait behind their user.created.
      expect(hooks.received.filter((r) => r.userId === holdUser).map((r) => r.type)).toEqual(expect.arrayContaining(['user.created']));
      expect(hooks.received.some((r) => r.userId === holdUser && r.type !== 'user.created')).toBe(false);
      hooks.fail = () => false;
      await waitFor('everything', allDelivered(endpointId, 9));
      expect(
        hooks
          .delivered()
          .filter((r) => r.userId === holdUser)
          .map((r) => r.type),
      ).toEqual(['user.created', 'user.blocked', 'user.unblocked']);
      // Two deliverers racing: no event was sent successfully twice.
      const successes = hooks.received.filter((r) => r.status === 200).map((r) => r.id);
      expect(new Set(successes).size).toBe(successes.length);
    });

    it('replay of one event and of a time range, and a test ping', async () => {
      const hooks = await receiver();
      const { id: endpointId } = await endpoint(hooks.url);
      await deliverer();
      const from = Date.now();
      const ping = await api('POST', `/webhooks/endpoints/${endpointId}/test`);
      expect(ping.status).toBe(201);
      const userId = await newUser({ nickname: 'Eve' });
      expect((await api('POST', `/users/${userId}/block`)).status).toBe(200);
      await waitFor('the ping and two events', allDelivered(endpointId, 3));
      // In order per person; the ping belongs to nobody, so it may arrive before or after them.
      expect(hooks.delivered().map((r) => r.type)).toEqual(expect.arrayContaining(['webhook.ping', 'user.created', 'user.blocked']));
      expect(
        hooks
          .delivered()
          .filter((r) => r.userId === userId)
          .map((r) => r.type),
      ).toEqual(['user.created', 'user.blocked']);
      const created = hooks.delivered().find((r) => r.type === 'user.created');

      const one = await api('POST', `/webhooks/endpoints/${endpointId}/replay`, { eventId: created?.id });
      expect(one.body).toEqual({ queued: 1, eventIds: [created?.id] });
      await waitFor('the replay', allDelivered(endpointId, 4));
      expect(hooks.received.filter((r) => r.id === created?.id)).toHaveLength(2);

      const range = await api('POST', `/webhooks/endpoints/${endpointId}/replay`, { from, to: Date.now() + 1 });
      // The ping is not a type the endpoint subscribes to; the two identity events are.
      expect(range.body.queued).toBe(2);
      await waitFor('the range', allDelivered(endpointId, 6));
      const event = await api('GET', `/webhooks/events/${created?.id}`);
      expect(event.body).toMatchObject({ type: 'user.created', subjectId: userId, payload: { type: 'user.created' } });
      expect(event.body.deliveries).toHaveLength(3);
      expect(event.body.deliveries.every((d: { attemptLog: unknown[] }) => d.attemptLog.length === 1)).toBe(true);

      expect((await api('POST', `/webhooks/endpoints/${endpointId}/replay`, { eventId: 'msg_nope' })).status).toBe(404);
      expect((await api('POST', `/webhooks/endpoints/${endpointId}/replay`, { from: 10, to: 5 })).status).toBe(400);
    });

    it('gives a delivery up after the retry window, and disables an endpoint that keeps failing, with an alert', async () => {
      const hooks = await receiver();
      hooks.fail = () => true;
      const { id: endpointId } = await endpoint(hooks.url);
      const first = await deliverer(database, { webhookRetryWindowSeconds: 1, webhookRetryBaseMs: 100 });
      const userId = await newUser({ nickname: 'Gus' });
      await waitFor('the give-up', async () => (await deliveries(endpointId))[0]?.status === 'failed');
      expect((await deliveries(endpointId))[0].attempts).toBeGreaterThanOrEqual(2);
      await first.stop();

      await deliverer(database, { webhookDisableAfterSeconds: 1, webhookRetryBaseMs: 100 });
      expect((await api('POST', `/users/${userId}/block`)).status).toBe(200);
      await waitFor('the endpoint disabled', async () => (await api('GET', `/webhooks/endpoints/${endpointId}`)).body.enabled === false);
      const disabled = (await api('GET', `/webhooks/endpoints`)).body.endpoints[0];
      expect(disabled).toMatchObject({ enabled: false, disabledAt: expect.any(Number), failingSince: expect.any(Number) });
      expect(disabled.disabledReason).toMatch(/^Every delivery failed since .*HTTP 503/);
      const audit = await api('GET', `/audit-log?subjectId=${endpointId}`);
      expect(audit.body.entries.map((e: { action: string }) => e.action)).toContain('webhook_endpoint.disabled');
      // A disabled endpoint gets no new events; enabling it clears the alert and sends what waited at
      // once, the delivery whose failures disabled it too (as if its backoff had reached an hour).
      await database.db
        .updateTable('webhook_deliveries')
        .set({ next_attempt_at: Date.now() + 3_600_000 })
        .where('endpoint_id', '=', endpointId)
        .where('status', '=', 'pending')
        .execute();
      hooks.fail = () => false;
      const enabled = await api('PATCH', `/webhooks/endpoints/${endpointId}`, { enabled: true });
      expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null, failingSince: null });
      await waitFor('the waiting block', () => hooks.delivered().some((r) => r.type === 'user.blocked'));
    });

    it('the retention sweep deletes finished history older than the retention, never a pending delivery', async () => {
      const hooks = await receiver();
      const { id: endpointId } = await endpoint(hooks.url);
      const sender = await deliverer();
      await newUser({ nickname: 'Old Olga' });
      await waitFor('the delivery', allDelivered(endpointId, 1));
      await sender.stop();
      // A second event, not sent yet (no deliverer runs): pending.
      await newUser({ nickname: 'Pending Pia' });
      const before = await deliveries(endpointId);
      expect(before.map((d: { status: string }) => d.status).sort()).toEqual(['delivered', 'pending']);
      const pendingEvent = before.find((d: { status: string }) => d.status === 'pending').eventId;

      // Within the retention nothing goes; a day past it (as seen from 31 days on) the finished one goes
      // with its attempts and its event, and the pending one stays.
      // (Earlier tests' history is in the same database: counts are at least this test's own.)
      const inRetention = await database.db.selectFrom('webhook_deliveries').select('id').execute();
      await sender.sweep();
      expect(await database.db.selectFrom('webhook_deliveries').select('id').execute()).toHaveLength(inRetention.length);
      const swept = await sender.sweep(Date.now() + 31 * 86_400_000);
      expect(swept.deliveries).toBeGreaterThanOrEqual(1);
      expect(swept.events).toBeGreaterThanOrEqual(1);
      const after = await deliveries(endpointId);
      expect(after.map((d: { status: string; eventId: string }) => [d.status, d.eventId])).toEqual([['pending', pendingEvent]]);
      const attempts = await database.db.selectFrom('webhook_attempts').select('id').where('endpoint_id', '=', endpointId).execute();
      expect(attempts).toEqual([]);
      const events = await database.db.selectFrom('webhook_events').select('id').execute();
      expect(events.map((e) => e.id)).toContain(pendingEvent);
      // And it is still sent.
      await deliverer();
      await waitFor('the pending one delivered', allDelivered(endpointId, 1));
    });

    it('a rotated secret signs alongside the old one during the overlap, then alone', async () => {
      const hooks = await receiver();
      const { id: endpointId, secret: old } = await endpoint(hooks.url);
      await deliverer();
      const rotated = await api('POST', `/webhooks/endpoints/${endpointId}/secret`, { overlapSeconds: 3_600 });
      expect(rotated.status).toBe(200);
      const fresh = String(rotated.body.secret);
      expect(fresh).toMatch(/^whsec_/);
      expect(fresh).not.toBe(old);
      expect(rotated.body.endpoint.previousSecretExpiresAt).toBeGreaterThan(Date.now());
      await newUser();
      await waitFor('one delivery', () => hooks.delivered().length === 1);
      const during = hooks.delivered()[0];
      if (during === undefined) throw new Error('no delivery');
      const headers = { 'webhook-id': during.id, 'webhook-timestamp': during.timestamp, 'webhook-signature': during.signature };
      expect(during.signature.split(' ')).toHaveLength(2);
      expect(verifyWebhook(old, during.body, headers).id).toBe(during.id);
      expect(verifyWebhook(fresh, during.body, headers).id).toBe(during.id);

      const again = await api('POST', `/webhooks/endpoints/${endpointId}/secret`, { overlapSeconds: 0 });
      const newest = String(again.body.secret);
      await newUser();
      await waitFor('a second delivery', () => hooks.delivered().length === 2);
      const after = hooks.delivered()[1];
      if (after === undefined) throw new Error('no delivery');
      const afterHeaders = { 'webhook-id': after.id, 'webhook-timestamp': after.timestamp, 'webhook-signature': after.signature };
      expect(after.signature.split(' ')).toHaveLength(1);
      expect(verifyWebhook(newest, after.body, afterHeaders).id).toBe(after.id);
      expect(() => verifyWebhook(fresh, after.body, afterHeaders)).toThrow(/no signature matches/);
      // The secret is never read back.
      expect(JSON.stringify((await api('GET', `/webhooks/endpoints/${endpointId}`)).body)).not.toContain(newest.slice(6, 20));
    });

    it('refuses endpoint URLs that are not http(s), http off loopback, and credentials in the URL', async () => {
      for (const url of [
        'ftp://example.com/hooks',
        'javascript:alert(1)',
        'http://example.com/hooks',
        'https://user:pw@example.com/',
        'not a url',
      ]) {
        const answer = await api('POST', '/webhooks/endpoints', { url });
        expect(answer.status, url).toBe(400);
        expect(answer.body.code).toBe('validation_failed');
      }
      const https = await api('POST', '/webhooks/endpoints', {
        url: 'https://example.com/hooks',
        events: ['user.created', 'login.failed'],
      });
      expect(https.status).toBe(201);
      expect(https.body.endpoint).toMatchObject({
        url: 'https://example.com/hooks',
        events: ['user.created', 'login.failed'],
        enabled: true,
      });
      const defaults = await api('POST', '/webhooks/endpoints', { url: 'http://localhost:9/hooks' });
      expect(defaults.body.endpoint.events).not.toContain('login.succeeded');
      expect(defaults.body.endpoint.events).toContain('merge_suggestion.created');
      expect((await api('PATCH', `/webhooks/endpoints/${https.body.endpoint.id}`, { url: 'http://example.org/' })).status).toBe(400);
      expect((await api('DELETE', `/webhooks/endpoints/${https.body.endpoint.id}`)).status).toBe(204);
      expect((await api('GET', `/webhooks/endpoints/${https.body.endpoint.id}`)).status).toBe(404);
    });

    it('login events only reach endpoints that opted in; a bulk path can write without events', async () => {
      const hooks = await receiver();
      const { id: optedIn } = await endpoint(hooks.url, ['login.succeeded', 'login.failed', 'user.created']);
      const others = await receiver();
      const { id: plain } = await endpoint(others.url);
      await deliverer();
      const imported = await withoutWebhooks(() => createUser(database.db, { nickname: 'Imported' }, SYSTEM_ACTOR));
      const userId = await newUser({ nickname: 'Flo' });
      await recordLoginStat(database.db, { metric: 'login', scenario: 's2', appid: 'wx_web', userId });
      await recordLoginStat(database.db, { metric: 'failure', scenario: 's1', reason: 'login_expired' });
      await waitFor('the login events', allDelivered(optedIn, 3));
      await waitFor('the plain endpoint', allDelivered(plain, 1));
      // login.failed names nobody, so it is ordered after no one; login.succeeded follows Flo's user.created.
      expect(
        hooks
          .delivered()
          .filter((r) => r.userId === userId)
          .map((r) => r.type),
      ).toEqual(['user.created', 'login.succeeded']);
      expect(others.delivered().map((r) => r.type)).toEqual(['user.created']);
      const body = (type: string) => JSON.parse(hooks.delivered().find((r) => r.type === type)?.body ?? '{}');
      expect(body('login.succeeded').data).toMatchObject({
        user: { id: userId },
        actor: { kind: 'user', id: userId },
        login: { scenario: 's2', appid: 'wx_web' },
      });
      expect(body('login.failed').data).toMatchObject({ user: null, login: { reason: 'login_expired' } });
      expect(hooks.received.some((r) => r.userId === imported.id)).toBe(false);
      expect(await database.db.selectFrom('webhook_events').select('id').where('subject_id', '=', imported.id).execute()).toEqual([]);
    });
  });
}

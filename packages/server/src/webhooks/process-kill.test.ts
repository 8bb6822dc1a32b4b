/**
 * An instance killed mid-delivery, for real: two `weunion serve` processes (the CLI, as deployed)
 * on one embedded database. The first is sending an event to a receiver that holds the request
 * when it gets SIGKILL — no shutdown hook, its lease left in the database. The second, started
 * afterwards, sends the event once the lease expires. The receiver sees the same webhook-id twice,
 * answering the second, and the delivery log shows the one attempt that completed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { verifyWebhook } from '../../../sdk-node/src/webhook.ts';
import { createAdminKey } from '../admin-keys/store.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { type Database, openDatabase } from '../storage/index.ts';
import { WebhookReceiver } from './test-receiver.ts';

const CLI = path.resolve(import.meta.dirname, '../cli.ts');

function serve(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve'], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const address = /listening on (http:\/\/[^)\s]+)/.exec(out)?.[1];
      if (address !== undefined) resolve({ child, url: address });
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('exit', (code) => reject(new Error(`weunion serve exited (${code}): ${err || out}`)));
  });
}

describe('identity events: a weunion process killed mid-delivery', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'weunion-webhooks-kill-'));
  const children: ChildProcess[] = [];
  const receiver = new WebhookReceiver();
  let database: Database | undefined;

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await receiver.down();
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('another process delivers the event once the dead one’s lease expires', async () => {
    await receiver.up();
    receiver.holdFirst = true;
    const env = {
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      SANDBOX: 'off',
      WORKERS: '1',
      // The first attempt must still be waiting when the process is killed (well within 3 s); the
      // lease is at least the timeout plus a second, so the second process takes over after 4 s.
      WEBHOOK_TIMEOUT_MS: '3000',
      WEBHOOK_LEASE_MS: '4000',
      WEBHOOK_POLL_INTERVAL_MS: '200',
    };
    const first = await serve(env);
    children.push(first.child);
    database = await openDatabase(`sqlite:${path.join(dataDir, 'weunion.db')}`);
    const { key } = await createAdminKey(database.db, 'kill test', SYSTEM_ACTOR);
    const call = async (url: string, route: string, body: unknown) => {
      const response = await fetch(`${url}/api/v1${route}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status, route).toBe(201);
      return response.json();
    };
    const { secret } = z.object({ secret: z.string() }).parse(await call(first.url, '/webhooks/endpoints', { url: receiver.url }));
    const { id: userId } = z.object({ id: z.string() }).parse(await call(first.url, '/users', { nickname: 'Kim' }));

    await expect.poll(() => receiver.received.length, { timeout: 15_000 }).toBe(1);
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGKILL');
    await exited;
    const held = await database.db.selectFrom('webhook_deliveries').selectAll().executeTakeFirstOrThrow();
    expect(held).toMatchObject({ status: 'pending', attempts: 0 });
    expect(held.lease_owner).not.toBeNull();

    const second = await serve(env);
    children.push(second.child);
    await expect.poll(() => receiver.delivered().length, { timeout: 20_000 }).toBe(1);
    expect(receiver.received.map((r) => r.id)).toEqual([held.event_id, held.event_id]);
    expect(receiver.received.map((r) => r.status)).toEqual([0, 200]);
    const answered = receiver.received[1];
    const event = verifyWebhook(secret, answered?.body ?? '', {
      'webhook-id': answered?.id,
      'webhook-timestamp': answered?.timestamp,
      'webhook-signature': answered?.signature,
    });
    expect(event).toMatchObject({ type: 'user.created', data: { user: { id: userId } } });
    await expect
      .poll(async () => (await database?.db.selectFrom('webhook_deliveries').select(['status', 'attempts']).executeTakeFirst()) ?? null)
      .toEqual({ status: 'delivered', attempts: 1 });
    expect(await database.db.selectFrom('webhook_attempts').select(['ok']).execute()).toEqual([{ ok: 1 }]);

    const stopped = new Promise((resolve) => second.child.once('exit', resolve));
    second.child.kill('SIGTERM');
    expect(await stopped).toBe(0);
  });
});

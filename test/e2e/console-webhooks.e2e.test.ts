/**
 * An admin sends identity events to a backend from the console, against weunion started as
 * `npm start` does (its deliverer runs in the service): adds an endpoint (the signing secret shown
 * once), a person is created and the backend receives the event and verifies it with the Node SDK,
 * the delivery log shows it, a test event and a replay arrive, and an endpoint that keeps failing is
 * turned off by weunion with an alert the admin clears by turning it on again. In both languages.
 */
import { describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../packages/sdk-node/src/webhook.ts';
import { SYSTEM_ACTOR } from '../../packages/server/src/identity/audit.ts';
import { createUser } from '../../packages/server/src/identity/users.ts';
import { WebhookReceiver } from '../../packages/server/src/webhooks/test-receiver.ts';
import { chromiumPath } from './browser.ts';
import { consoleSnapshot, setUpConsoleWorld, signIn } from './console.ts';

describe.skipIf(chromiumPath === undefined)('console: webhooks', () => {
  const world = setUpConsoleWorld();

  it('add an endpoint, receive verified events, read the log, test, replay, and clear the alert of a failing endpoint', async () => {
    const receiver = new WebhookReceiver();
    await receiver.up();
    try {
      const page = await world().newPage();
      await signIn(page, world());
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'Webhooks', level: 1 }).isVisible()).toBe(true);
      await expect.poll(() => page.getByText('No webhook endpoints yet.', { exact: false }).isVisible()).toBe(true);

      // Add: URL, description, the default events (logins unticked); the secret once.
      await page.getByRole('button', { name: 'Add endpoint' }).first().click();
      const form = page.getByRole('dialog', { name: 'Add a webhook endpoint' });
      await form.getByLabel('URL').fill(receiver.url);
      await form.getByLabel('Description').fill('CRM sync');
      expect(await form.getByRole('checkbox', { name: /^user\.created/ }).isChecked()).toBe(true);
      expect(await form.getByRole('checkbox', { name: /^login\.succeeded/ }).isChecked()).toBe(false);
      await consoleSnapshot(page, 'webhooks-01-add');
      await form.getByRole('button', { name: 'Add endpoint' }).click();
      const shown = page.getByRole('dialog', { name: 'Copy the signing secret now' });
      await expect.poll(() => shown.isVisible()).toBe(true);
      const secret = await shown.getByLabel('Signing secret').inputValue();
      expect(secret).toMatch(/^whsec_/);
      await shown.getByRole('button', { name: 'I have stored it' }).click();
      const row = page.getByRole('row').filter({ hasText: receiver.url });
      await expect.poll(() => row.textContent()).toContain('On');
      expect(await page.content()).not.toContain(secret);

      // A change in weunion reaches the backend, signed.
      const person = await createUser(world().service.database.db, { nickname: 'Mei' }, SYSTEM_ACTOR);
      await expect.poll(() => receiver.delivered().length, { timeout: 15_000 }).toBe(1);
      const [created] = receiver.delivered();
      if (created === undefined) throw new Error('nothing received');
      const event = verifyWebhook(secret, created.body, {
        'webhook-id': created.id,
        'webhook-timestamp': created.timestamp,
        'webhook-signature': created.signature,
      });
      expect(event).toMatchObject({ type: 'user.created', data: { user: { id: person.id, nickname: 'Mei' } } });

      // The endpoint's page: the log, a test event, the attempts, a replay.
      await row.getByRole('link', { name: receiver.url }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'Webhook endpoint', level: 1 }).isVisible()).toBe(true);
      const logRow = page.getByRole('row').filter({ hasText: 'user.created' });
      await expect.poll(() => logRow.textContent()).toContain('Delivered');
      await page.getByRole('button', { name: 'Send test event' }).click();
      await expect.poll(() => receiver.delivered().map((r) => r.type)).toContain('webhook.ping');
      await page.reload();
      await expect.poll(() => page.getByRole('row').filter({ hasText: 'webhook.ping' }).textContent()).toContain('Delivered');
      await logRow.getByRole('button', { name: 'Attempts' }).click();
      const attempts = page.getByRole('dialog', { name: 'Attempts to deliver user.created' });
      await expect.poll(() => attempts.textContent()).toContain('200');
      await consoleSnapshot(page, 'webhooks-02-attempts');
      await attempts.getByRole('button', { name: 'Close' }).click();
      await logRow.getByRole('button', { name: `Replay event ${created.id}` }).click();
      await expect.poll(() => receiver.received.filter((r) => r.id === created.id && r.status === 200).length).toBe(2);

      // Failing for more than a day (its failures began 25 hours ago): the next failure turns it off.
      // First the deliverer records the replay's success (which clears `failing_since`), a moment
      // after the receiver answered it; only then is the clock set back.
      await expect
        .poll(
          async () =>
            (await world().service.database.db.selectFrom('webhook_deliveries').select('id').where('status', '=', 'pending').execute())
              .length,
        )
        .toBe(0);
      receiver.fail = () => true;
      await world()
        .service.database.db.updateTable('webhook_endpoints')
        .set({ failing_since: Date.now() - 25 * 3_600_000 })
        .execute();
      await createUser(world().service.database.db, { nickname: 'Jun' }, SYSTEM_ACTOR);
      await expect.poll(() => receiver.received.filter((r) => r.status === 503).length, { timeout: 15_000 }).toBeGreaterThan(0);
      // The deliverer turns the endpoint off once it has the 503 in hand, a moment after the receiver answered it.
      await expect
        .poll(
          async () =>
            (await world().service.database.db.selectFrom('webhook_endpoints').select('disabled_reason').executeTakeFirst())
              ?.disabled_reason ?? null,
          { timeout: 15_000 },
        )
        .not.toBeNull();
      // Every page says so, until it is dealt with.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' }).click();
      const everywhere = page.getByRole('alert').filter({ hasText: 'kept failing and weunion turned it off' });
      await expect.poll(() => everywhere.isVisible(), { timeout: 15_000 }).toBe(true);
      await everywhere.getByRole('link', { name: 'Open Webhooks' }).click();
      const alert = page.getByRole('alert').filter({ hasText: 'was turned off' });
      await expect.poll(() => alert.textContent()).toContain('Every delivery failed since');
      await consoleSnapshot(page, 'webhooks-03-alert');
      await alert.getByRole('link', { name: 'Open it' }).click();
      await expect.poll(() => page.getByText('weunion turned this endpoint off.').isVisible()).toBe(true);
      receiver.fail = () => false;
      await page.getByRole('button', { name: 'Turn on' }).click();
      await expect.poll(() => page.getByRole('button', { name: 'Turn off' }).isVisible()).toBe(true);
      expect(await page.getByText('weunion turned this endpoint off.').count()).toBe(0);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'People', level: 1 }).isVisible()).toBe(true);
      expect(await page.getByRole('alert').filter({ hasText: 'kept failing' }).count()).toBe(0);

      // In Chinese too.
      await page.goto(`${world().url}/console/webhooks?lang=zh-CN`);
      await expect.poll(() => page.getByRole('heading', { name: 'Webhook', level: 1 }).isVisible()).toBe(true);
      await expect.poll(() => page.getByRole('row').filter({ hasText: receiver.url }).textContent()).toContain('已开启');
      await consoleSnapshot(page, 'webhooks-04-zh');
    } finally {
      await receiver.down();
    }
  });
});

/**
 * Runs a webhook deliverer in this instance: started when the app is ready, stopped (letting
 * attempts in flight finish) when it closes, before storage is closed.
 */
import type { FastifyInstance } from 'fastify';
import { WebhookDeliverer } from './deliverer.ts';

export async function registerWebhookDeliverer(app: FastifyInstance): Promise<void> {
  const deliverer = new WebhookDeliverer({
    db: app.ctx.database.db,
    state: app.ctx.state,
    secrets: app.ctx.secrets,
    config: app.ctx.config,
    log: app.log,
  });
  app.addHook('onReady', async () => {
    await deliverer.start();
  });
  app.addHook('preClose', async () => {
    await deliverer.stop();
  });
}

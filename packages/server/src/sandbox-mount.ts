/**
 * Mounts the WeChat sandbox inside the weunion server at `/sandbox` (sandbox mode of `npm start`).
 * The demo official account and mini program push their events to this server's callback route.
 */
import { sandboxPlugin } from '@weunion/sandbox';
import type { FastifyInstance } from 'fastify';

export const SANDBOX_PREFIX = '/sandbox';

export async function mountSandbox(app: FastifyInstance, options: { publicUrl: string }): Promise<void> {
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  await app.register(sandboxPlugin, {
    prefix: SANDBOX_PREFIX,
    publicUrl: `${publicUrl}${SANDBOX_PREFIX}`,
    callbackBaseUrl: publicUrl,
  });
}

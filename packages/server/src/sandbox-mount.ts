/**
 * Mounts the WeChat sandbox inside the weunion server at `/sandbox` (sandbox mode of `npm start`).
 * The demo official account and mini program push their events to this server's callback route.
 */
import type { FastifyInstance } from 'fastify';

export const SANDBOX_PREFIX = '/sandbox';

export async function mountSandbox(app: FastifyInstance, options: { publicUrl: string }): Promise<void> {
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  // Loaded only when the sandbox is on: a production start never loads the emulators.
  const { sandboxPlugin } = await import('@weunion/sandbox');
  await app.register(sandboxPlugin, {
    prefix: SANDBOX_PREFIX,
    publicUrl: `${publicUrl}${SANDBOX_PREFIX}`,
    callbackBaseUrl: publicUrl,
  });
}

import { AppError } from '@weunion/errors';
import type { FastifyInstance } from 'fastify';
import { sendProblem } from './problem.ts';

/** `/healthz`: the process is up. `/readyz`: its database (and, in scale-out, Redis) answer. */
export function registerHealthRoutes(app: FastifyInstance): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    const { database, state } = app.ctx;
    const checks = await Promise.all([
      database.ping().then(
        () => ['database', 'ok'] as const,
        () => ['database', 'unreachable'] as const,
      ),
      state.ping().then(
        () => ['sharedState', 'ok'] as const,
        () => ['sharedState', 'unreachable'] as const,
      ),
    ]);
    const result = Object.fromEntries(checks);
    if (checks.every(([, status]) => status === 'ok')) {
      return {
        status: 'ready',
        mode: app.ctx.config.mode,
        database: database.dialect,
        sharedState: state.kind,
        checks: result,
        warnings: await readinessWarnings(app),
      };
    }
    const failing = checks.filter(([, s]) => s !== 'ok').map(([name]) => name);
    return sendProblem(
      request,
      reply,
      new AppError('unavailable', `Not ready: ${failing.join(', ')} unreachable`, { details: { checks: result } }),
    );
  });
}

/**
 * Ready, but something an operator must fix: an app bound to an Open Platform account in WeChat
 * while its connection names none (every person since is split until the connection is bound).
 */
async function readinessWarnings(app: FastifyInstance): Promise<{ code: string; connectionId: string; appid: string; detail: string }[]> {
  const rows = await app.ctx.database.db
    .selectFrom('connections')
    .select(['id', 'appid', 'detected_open_platform_id'])
    .where('open_platform_id', 'is', null)
    .where('unionid_seen_at', 'is not', null)
    .execute();
  return rows.map((row) => ({
    code: 'unbound_unionid',
    connectionId: row.id,
    appid: row.appid,
    detail:
      row.detected_open_platform_id === null
        ? `WeChat sends unionids for ${row.appid}, but its connection names no Open Platform account: set openPlatformId`
        : `WeChat sends unionids for ${row.appid} that belong to Open Platform account ${row.detected_open_platform_id}: set the connection's openPlatformId to it`,
  }));
}

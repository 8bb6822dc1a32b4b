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
      return { status: 'ready', mode: app.ctx.config.mode, database: database.dialect, sharedState: state.kind, checks: result };
    }
    const failing = checks.filter(([, s]) => s !== 'ok').map(([name]) => name);
    return sendProblem(
      request,
      reply,
      new AppError('unavailable', `Not ready: ${failing.join(', ')} unreachable`, { details: { checks: result } }),
    );
  });
}

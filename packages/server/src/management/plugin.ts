/**
 * Mounts the management API under `/api/v1`: authentication on every route but the OpenAPI
 * document, then the route table. Two ways in: an admin key (`Authorization: Bearer wu_…`), or the
 * admin console's session cookie plus its CSRF token on every change. Authentication runs before
 * the body is looked at, so an unauthenticated request learns nothing about the input it sent.
 */
import { AppError } from '@weunion/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticateAdminKey } from '../admin-keys/store.ts';
import { consoleActor } from '../console/routes.ts';
import { checkCsrf, readConsoleSession } from '../console/sessions.ts';
import type { Actor } from '../identity/audit.ts';
import { API_PREFIX, buildOpenApiDocument } from './openapi.ts';
import { managementRoutes } from './routes.ts';

async function authenticate(app: FastifyInstance, request: FastifyRequest): Promise<Actor> {
  const header = request.headers.authorization;
  if (header === undefined) {
    // No key: the console's session, if the browser sent one.
    const session = await readConsoleSession(app.ctx, request);
    if (session !== null) {
      checkCsrf(app.ctx, request, session);
      return consoleActor(session);
    }
  }
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (match?.[1] === undefined) {
    throw new AppError('unauthorized', 'Send an admin API key as `Authorization: Bearer wu_…`, or sign in to the console');
  }
  const key = await authenticateAdminKey(app.ctx.database.db, match[1]);
  if (key === null) throw new AppError('unauthorized', 'This admin API key is not valid or has been revoked');
  return { kind: 'admin_key', id: key.id, name: key.name };
}

export function registerManagementApi(app: FastifyInstance): void {
  const document = buildOpenApiDocument(managementRoutes, `${app.ctx.config.publicUrl}`);
  app.get(`${API_PREFIX}/openapi.json`, async () => document);
  for (const route of managementRoutes) {
    app.route({
      method: route.method,
      url: `${API_PREFIX}${route.path}`,
      handler: async (request, reply) => {
        let actor: Actor;
        try {
          actor = await authenticate(app, request);
        } catch (error) {
          reply.header('www-authenticate', 'Bearer');
          throw error;
        }
        const result = await route.run({ params: request.params, query: request.query, body: request.body }, actor, app.ctx);
        reply.status(route.status);
        return route.status === 204 ? reply.send() : result;
      },
    });
  }
}

/**
 * Mounts the management API under `/api/v1`: authentication on every route but the OpenAPI
 * document, then the route table. Two ways in: an admin key (`Authorization: Bearer wu_…`), or the
 * admin console's session cookie plus its CSRF token on every change. Authentication runs before
 * the body is looked at, so an unauthenticated request learns nothing about the input it sent.
 */
import { Readable } from 'node:stream';
import { AppError } from '@weunion/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticateAdminKey } from '../admin-keys/store.ts';
import { consoleActor } from '../console/routes.ts';
import { checkCsrf, readConsoleSession } from '../console/sessions.ts';
import type { Actor } from '../identity/audit.ts';
import { API_PREFIX, buildOpenApiDocument } from './openapi.ts';
import { isDownload, type ManagementRoute } from './route.ts';
import { managementRoutes } from './routes.ts';

/**
 * A `tokens:read` key passes only on token-broker routes, and only for a connection in its scope;
 * checked before anything else so it learns nothing from other routes.
 */
function checkScope(route: ManagementRoute, connections: string[] | null, params: unknown): void {
  if (connections === null) return;
  if (!route.tokenBroker) throw new AppError('forbidden', 'This admin key may only read WeChat tokens (scope tokens:read)');
  const connectionId = (params as { connectionId?: unknown } | undefined)?.connectionId;
  if (typeof connectionId !== 'string' || !connections.includes(connectionId)) {
    throw new AppError('forbidden', 'This admin key may not read the tokens of this connection', { details: { connections } });
  }
}

async function authenticate(app: FastifyInstance, request: FastifyRequest): Promise<{ actor: Actor; connections: string[] | null }> {
  const header = request.headers.authorization;
  if (header === undefined) {
    // No key: the console's session, if the browser sent one.
    const session = await readConsoleSession(app.ctx, request);
    if (session !== null) {
      checkCsrf(app.ctx, request, session);
      return { actor: consoleActor(session), connections: null };
    }
  }
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (match?.[1] === undefined) {
    throw new AppError('unauthorized', 'Send an admin API key as `Authorization: Bearer wu_…`, or sign in to the console');
  }
  const key = await authenticateAdminKey(app.ctx.database.db, match[1]);
  if (key === null) throw new AppError('unauthorized', 'This admin API key is not valid or has been revoked');
  return { actor: { kind: 'admin_key', id: key.id, name: key.name }, connections: key.connections };
}

export function registerManagementApi(app: FastifyInstance): void {
  // Built when first asked for, not at every start (it is a few dozen ms of a cold start).
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;
  app.get(`${API_PREFIX}/openapi.json`, async () => {
    document ??= buildOpenApiDocument(managementRoutes, `${app.ctx.config.publicUrl}`);
    return document;
  });
  for (const route of managementRoutes) {
    app.route({
      method: route.method,
      url: `${API_PREFIX}${route.path}`,
      ...(route.bodyLimit === undefined ? {} : { bodyLimit: route.bodyLimit }),
      handler: async (request, reply) => {
        let authenticated: Awaited<ReturnType<typeof authenticate>>;
        try {
          authenticated = await authenticate(app, request);
        } catch (error) {
          reply.header('www-authenticate', 'Bearer');
          throw error;
        }
        const actor: Actor = authenticated.actor;
        checkScope(route, authenticated.connections, request.params);
        const result = await route.run({ params: request.params, query: request.query, body: request.body }, actor, app.ctx);
        reply.status(route.status);
        if (route.download === true && isDownload(result)) {
          reply.header('content-type', result.contentType);
          reply.header('content-disposition', `attachment; filename="${result.filename}"`);
          return reply.send(Readable.from(result.chunks));
        }
        return route.status === 204 ? reply.send() : result;
      },
    });
  }
}

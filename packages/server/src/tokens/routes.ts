/**
 * Token endpoints of the app logins:
 * - `GET /jwks` — the public signing keys (oidc-provider's default path, so the OIDC provider
 *   keeps serving the same document at the same place);
 * - `POST /api/token/refresh {refresh_token, client_id?}` → new tokens; the old refresh token is
 *   spent, and spending it again ends the session (`refresh_token_reused`);
 * - `POST /api/token/revoke {token, token_type_hint?}` → 200 whatever the token (RFC 7009): a
 *   refresh or access token ends its session (logout).
 */
import { AppError } from '@weunion/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseInput } from '../http/problem.ts';
import type { RateLimiter } from '../http/rate-limit.ts';
import { APP_LOGIN_LIMITS } from '../mp/limits.ts';
import type { AccessTokenClaims, AppTokens } from './app-tokens.ts';

const refreshSchema = z.object({ refresh_token: z.string().min(1).max(512), client_id: z.string().min(1).max(64).optional() }).strict();
const revokeSchema = z
  .object({ token: z.string().min(1).max(8192), token_type_hint: z.enum(['refresh_token', 'access_token']).optional() })
  .strict();

/** The verified access token of the request (`Authorization: Bearer …`). */
export async function requireAccessToken(tokens: AppTokens, request: FastifyRequest): Promise<AccessTokenClaims> {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header) : null;
  if (match?.[1] === undefined) throw new AppError('unauthorized', 'An access token is required (Authorization: Bearer …)');
  return tokens.verifyAccessToken(match[1]);
}

export function registerTokenRoutes(app: FastifyInstance, tokens: AppTokens, limiter: RateLimiter): void {
  // Public keys, fetched by browser relying parties too: any origin may read them.
  app.options('/jwks', async (_request, reply) => {
    reply.header('access-control-allow-origin', '*').header('access-control-allow-methods', 'GET').header('access-control-max-age', '3600');
    return reply.code(204).send();
  });
  app.get('/jwks', async (_request, reply) => {
    reply.header('access-control-allow-origin', '*');
    reply.header('content-type', 'application/jwk-set+json; charset=utf-8');
    reply.header('cache-control', 'public, max-age=300');
    return tokens.jwks();
  });

  app.post('/api/token/refresh', async (request, reply) => {
    await limiter.consume(APP_LOGIN_LIMITS.tokenPerIp, request.ip);
    const body = parseInput(refreshSchema, request.body);
    reply.header('cache-control', 'no-store');
    return tokens.refresh(body.refresh_token, body.client_id);
  });

  app.post('/api/token/revoke', async (request) => {
    await limiter.consume(APP_LOGIN_LIMITS.tokenPerIp, request.ip);
    const body = parseInput(revokeSchema, request.body);
    await tokens.revoke(body.token);
    return {};
  });
}

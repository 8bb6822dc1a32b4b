/**
 * Everything the app logins (S5–S7, and the mini program's side of S3) add to the server, in one
 * call from `buildApp`.
 */
import type { FastifyInstance } from 'fastify';
import { RateLimiter } from '../http/rate-limit.ts';
import { registerMiniProgramTicketRoutes } from './ticket-routes.ts';

export function registerAppLogin(app: FastifyInstance): void {
  const limiter = new RateLimiter(app.ctx.state);
  registerMiniProgramTicketRoutes(app, limiter);
}

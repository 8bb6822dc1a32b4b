/**
 * Everything the app logins (S5–S7, and the mini program's side of S3) add to the server, in one
 * call from `buildApp`: the login endpoints, the completion of pending sign-ins, and the token
 * endpoints (`/jwks`, refresh, revoke).
 */
import type { FastifyInstance } from 'fastify';
import { findConnection } from '../connections/store.ts';
import { RateLimiter } from '../http/rate-limit.ts';
import { subjectFor } from '../identity/subject.ts';
import { findApplication } from '../oidc/applications.ts';
import { oidcDb } from '../oidc/tables.ts';
import { registerS5 } from '../scenarios/s5-mini-program.ts';
import { registerS6 } from '../scenarios/s6-mobile-app.ts';
import { registerS7 } from '../scenarios/s7-app-opens-mini-program.ts';
import { recordAppLogin } from '../stats/login-stats.ts';
import { AppTokens } from '../tokens/app-tokens.ts';
import { registerTokenRoutes } from '../tokens/routes.ts';
import { registerPendingRoutes } from './pending-routes.ts';
import { registerMiniProgramTicketRoutes } from './ticket-routes.ts';

export function registerAppLogin(app: FastifyInstance): void {
  const limiter = new RateLimiter(app.ctx.state);
  const tokens = new AppTokens(app.ctx.database, () => app.signingKeys, {
    issuer: app.ctx.config.publicUrl,
    onIssued: (grant) => recordAppLogin(app, grant, async (id) => (await findConnection(app.ctx.database.db, app.ctx.secrets, id))?.appid),
    // An OIDC application registered under the connection's id sets the subject type of its app logins too.
    subjectOf: async (clientId, userId) => {
      const application = await findApplication(oidcDb(app.ctx.database.db), app.ctx.secrets, clientId);
      return subjectFor(app.ctx.database.db, userId, application?.subjectType ?? 'public');
    },
  });
  registerTokenRoutes(app, tokens, limiter);
  registerMiniProgramTicketRoutes(app, limiter);
  registerPendingRoutes(app, tokens, limiter);
  registerS5(app, tokens, limiter);
  registerS6(app, tokens, limiter);
  registerS7(app, tokens, limiter);
}

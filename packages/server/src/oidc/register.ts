import type { FastifyInstance } from 'fastify';
import { registerHostedLoginPage } from '../hosted/login-page.ts';
import { createOidcProvider } from './provider.ts';
import { registerOidcRoutes } from './routes.ts';

/**
 * The OpenID Provider, its interaction pages and the hosted login page. `/jwks` is served by the
 * token routes from the same `SigningKeys`, so app-scenario tokens and OIDC tokens verify alike.
 */
export async function registerOidc(app: FastifyInstance): Promise<void> {
  const provider = await createOidcProvider({ ...app.ctx, signingKeys: app.signingKeys });
  await registerOidcRoutes(app, provider, { serveJwks: false });
  registerHostedLoginPage(app);
}

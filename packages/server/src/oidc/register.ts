import type { FastifyInstance } from 'fastify';
import type Provider from 'oidc-provider';
import { registerHostedLoginPage } from '../hosted/login-page.ts';
import { LogoutDeliveries } from './backchannel-logout.ts';
import { type ProviderSource, registerOidcRoutes } from './routes.ts';
import { oidcDb } from './tables.ts';

/**
 * The OpenID Provider, its interaction pages and the hosted login page. `/jwks` is served by the
 * token routes from the same `SigningKeys`, so app-scenario tokens and OIDC tokens verify alike.
 */
export async function registerOidc(app: FastifyInstance): Promise<void> {
  await registerOidcRoutes(app, followSigningKeys(app), { serveJwks: false });
  registerHostedLoginPage(app);
  const deliveries = new LogoutDeliveries({
    db: oidcDb(app.ctx.database.db),
    state: app.ctx.state,
    secrets: app.ctx.secrets,
    signingKeys: app.signingKeys,
    issuer: app.ctx.config.publicUrl,
    logger: app.log,
  });
  app.addHook('onReady', () => deliveries.start());
  app.addHook('preClose', () => deliveries.stop());
}

/**
 * oidc-provider takes its keys once, when it is made. So that a running instance signs with the
 * key `weunion keys rotate` activated (and stops offering one that left the JWKS), the provider is
 * made again whenever the published keys or the signing key change. Nothing is lost in the swap:
 * everything the provider keeps lives in weunion's storage, and cookie keys derive from MASTER_KEY.
 */
function followSigningKeys(app: FastifyInstance): ProviderSource {
  let current: { fingerprint: string; provider: Promise<Provider> } | undefined;
  let ensured: Promise<void> | undefined;
  return {
    async get() {
      // The first key is made on first use (every instance agrees on one; see SigningKeys.ensure).
      ensured ??= app.signingKeys.ensure().catch((error: unknown) => {
        ensured = undefined;
        throw error;
      });
      await ensured;
      const fingerprint = await app.signingKeys.fingerprint();
      if (current === undefined || current.fingerprint !== fingerprint) {
        // oidc-provider (a few hundred modules) is loaded with the first request that needs it, as
        // the provider is made then anyway: a start does not wait for it.
        const provider = import('./provider.ts').then(({ createOidcProvider }) =>
          createOidcProvider({ ...app.ctx, signingKeys: app.signingKeys }),
        );
        current = { fingerprint, provider };
        // A failed build must not stick: the next request tries again.
        provider.catch(() => {
          if (current?.provider === provider) current = undefined;
        });
      }
      return current.provider;
    },
  };
}

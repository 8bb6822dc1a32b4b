import type Provider from 'oidc-provider';

/** Gives the provider to use for a request (it is remade when the signing keys change). */
export interface ProviderSource {
  get(): Promise<Provider>;
}

/**
 * The OpenID Provider (oidc-provider by panva), configured for weunion:
 * - issuer = PUBLIC_URL; keys = the cluster's `SigningKeys` (ES256 by default);
 * - authorization code flow only, PKCE (S256) required for public clients, refresh tokens
 *   rotated on every use; userinfo, revocation, introspection, RP-initiated logout;
 * - accounts are weunion users (blocked, merged or deleted ones cannot sign in);
 * - state in weunion's storage (see adapter.ts), so any instance can continue any flow;
 * - first-party applications skip consent (and get `offline_access`, first-party.ts); third-party
 *   ones get weunion's consent page;
 * - ID tokens say how the person logged in (`amr`: scenario and `wechat`; `auth_time`: when WeChat
 *   authenticated them; `acr` when asked), see login-decision.ts;
 * - back-channel logout tokens go through weunion's outbox (backchannel-logout.ts).
 */
import type { SharedState } from '@weunion/state';
import Provider, { type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config/index.ts';
import { unacceptableText } from '../http/input-guard.ts';
import { subjectFor } from '../identity/subject.ts';
import { getUserView, identitiesOf } from '../identity/users.ts';
import { LoginSessions } from '../login/sessions.ts';
import type { SecretBox } from '../secrets/master-key.ts';
import type { SigningKeys } from '../signing/signing-keys.ts';
import { catalogCacheOf } from '../storage/catalog-cache.ts';
import type { Database } from '../storage/index.ts';
import { createAdapterFactory } from './adapter.ts';
import { type Application, findApplication, tryLoginRedirectUri } from './applications.ts';
import { queueLogout } from './backchannel-logout.ts';
import { SCOPE_CLAIMS, userClaims } from './claims.ts';
import { clientBasedCors } from './client-cors.ts';
import { firstPartyOfflineAccess } from './first-party.ts';
import { weunionInteractionPolicy } from './interaction-policy.ts';
import { WECHAT_ACR } from './login-decision.ts';
import { logoutSource, postLogoutSuccessSource, renderProviderError } from './provider-pages.ts';
import { resourceIndicators } from './resource-servers.ts';
import { answerRevocationWithJson } from './revocation-response.ts';
import { answerAsTheSpecsSay } from './spec-responses.ts';
import { oidcDb } from './tables.ts';

export interface OidcDeps {
  config: Config;
  database: Database;
  state: SharedState;
  secrets: SecretBox;
  signingKeys: SigningKeys;
}

export async function createOidcProvider(deps: OidcDeps): Promise<Provider> {
  const db = oidcDb(deps.database.db);
  /** The `sub` an application sees for an account: its imported id for `subjectType: 'external'` (identity/subject.ts). */
  const subjectOf = async (clientId: string, accountId: string) =>
    subjectFor(deps.database.db, accountId, (await findApplication(db, deps.secrets, clientId))?.subjectType ?? 'public');
  await deps.signingKeys.ensure();
  const jwks = await deps.signingKeys.privateJwks();
  const { alg: signingAlg } = await deps.signingKeys.current();
  const configuration: Configuration = {
    adapter: createAdapterFactory({
      db,
      state: deps.state,
      secrets: deps.secrets,
      tryLoginRedirectUri: tryLoginRedirectUri(deps.config.publicUrl),
    }),
    jwks: { keys: jwks.keys as NonNullable<Configuration['jwks']>['keys'] },
    cookies: {
      // Derived from the master key: identical on every instance, never stored.
      keys: [deps.secrets.deriveKey('oidc-cookies').toString('base64url')],
      long: { signed: true, sameSite: 'lax' },
      short: { signed: true, sameSite: 'lax' },
    },
    claims: {
      ...Object.fromEntries(Object.entries(SCOPE_CLAIMS).map(([scope, claims]) => [scope, [...claims]])),
      // Every ID token says when and how the person authenticated; `acr` when the request asks.
      openid: [...SCOPE_CLAIMS.openid, 'auth_time', 'amr'],
      acr: null,
      auth_time: null,
      sid: null,
      iss: null,
    },
    acrValues: [WECHAT_ACR],
    scopes: ['openid', 'offline_access', ...Object.keys(SCOPE_CLAIMS).filter((s) => s !== 'openid')],
    features: {
      devInteractions: { enabled: false },
      // An application revokes its own tokens only (RFC 7009 §2.1): another one's is refused to an
      // authenticated client, and answered as an unknown token to a public one, which proves nothing.
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => {
          if (token.clientId === client.clientId) return true;
          if (client.clientAuthMethod === 'none') return false;
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
      // An application learns about its own tokens only: another one's is reported inactive.
      introspection: { enabled: true, allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
      userinfo: { enabled: true },
      // Which applications an ending session reaches is oidc-provider's; sending is weunion's (below).
      backchannelLogout: { enabled: true },
      resourceIndicators: resourceIndicators({ db, secrets: deps.secrets, alg: signingAlg }),
    },
    clientBasedCORS: clientBasedCors,
    pkce: {
      required: (_ctx, client) => client.tokenEndpointAuthMethod === 'none',
    },
    responseTypes: ['code'],
    // ID tokens carry the claims of the granted scopes, as the app-scenario (S5–S7) ID tokens do,
    // so every login's ID token says the same about the person.
    conformIdTokenClaims: false,
    // Tokens are signed with the cluster's current key (ES256 unless rotated to RS256).
    clientDefaults: {
      id_token_signed_response_alg: signingAlg,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
    interactions: {
      policy: weunionInteractionPolicy(new LoginSessions(deps.state, { ttlMs: deps.config.sessionTtlSeconds * 1000 }), subjectOf),
      url: (_ctx: KoaContextWithOIDC, interaction) => `/interaction/${interaction.uid}`,
    },
    async findAccount(_ctx, id) {
      // Claims are read when the provider asks for them (an ID token, userinfo), not on every look-up.
      const user = await getUserView(deps.database.db, id);
      if (user === null || user.status !== 'active') return undefined;
      return {
        accountId: user.id,
        // `scope` and `claims` are what this token or answer may carry (oidc-provider filters the
        // result by them): the WeChat identities are read only when they can be released.
        async claims(_use, scope, claims) {
          const released = scope.split(' ').includes('wechat') || (claims !== undefined && 'wechat_identities' in claims);
          const identities = released ? await identitiesOf(deps.database.db, user.id) : [];
          return { sub: user.id, ...userClaims({ ...user, identities }) };
        },
      };
    },
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(ctx.oidc.client?.clientId ?? '');
      if (grantId !== undefined) return ctx.oidc.provider.Grant.find(grantId);
      // First-party applications are the operator's own: their requested scopes need no consent.
      const clientId = ctx.oidc.client?.clientId;
      const accountId = ctx.oidc.session?.accountId;
      if (clientId === undefined || accountId === undefined) return undefined;
      const application = await findApplication(db, deps.secrets, clientId);
      if (application === null || !application.firstParty) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId, accountId });
      grant.addOIDCScope(String(ctx.oidc.params?.scope ?? 'openid'));
      // An API the application named with `resource` (resource-servers.ts) is the operator's too.
      for (const [indicator, server] of Object.entries(ctx.oidc.resourceServers ?? {})) grant.addResourceScope(indicator, server.scope);
      await grant.save();
      return grant;
    },
    renderError: renderProviderError,
  };
  const provider = new Provider(deps.config.publicUrl, configuration);
  // The provider reads host, scheme and client address from X-Forwarded-* headers, which weunion
  // sets itself on every request it hands over (public-origin.ts): PUBLIC_URL's host and scheme,
  // and the client address TRUST_PROXY settled on.
  provider.proxy = true;
  answerRevocationWithJson(provider);
  answerAsTheSpecsSay(provider, deps.config.publicUrl);
  // oidc-provider would POST each logout token once, holding up the person's logout until every
  // application answers; weunion queues it instead, to be sent, retried and logged by
  // LogoutDeliveries (backchannel-logout.ts).
  Object.defineProperty(provider.Client.prototype, 'backchannelLogout', {
    value: async function queueBackchannelLogout(this: { clientId: string }, sub: string, sid: string | undefined) {
      await queueLogout({ db, state: deps.state, secrets: deps.secrets }, sub, 'logout', [{ clientId: this.clientId, sid }]);
    },
  });
  // `sub` per application (identity/subject.ts): an imported person's old id for `subjectType:
  // 'external'`. oidc-provider sets `sub` to the account id and lets only pairwise subjects change it,
  // which would bring sector identifiers along; every ID token, userinfo answer and logout token
  // passes through Claims#result, so the subject is swapped there.
  const applicationOfClient = cacheClientsPerApplication(provider, (clientId) =>
    // Without a catalog cache (PostgreSQL with in-process state) every read is a new object: the
    // provider's own lookup then, instead of a second read of the application.
    catalogCacheOf(db) === undefined ? undefined : findApplication(db, deps.secrets, clientId),
  );
  const claimsResult = provider.Claims.prototype.result;
  Object.defineProperty(provider.Claims.prototype, 'result', {
    value: async function externalSubject(this: { client: object & { clientId: string } }) {
      const claims: Record<string, unknown> = await claimsResult.call(this);
      if (typeof claims.sub !== 'string') return claims;
      // The application this request's client was made from: the request answers from one reading
      // of the catalog, and an ID token needs no second lookup (and catalog check) of it.
      const application = applicationOfClient.get(this.client);
      claims.sub =
        application === undefined
          ? await subjectOf(this.client.clientId, claims.sub)
          : await subjectFor(deps.database.db, claims.sub, application.subjectType);
      return claims;
    },
  });
  provider.use(firstPartyOfflineAccess(async (clientId) => (await findApplication(db, deps.secrets, clientId))?.firstParty === true));
  return provider;
}

/**
 * One provider Client per application object. The catalog cache (storage/catalog-cache.ts) hands
 * out the same frozen application until the catalog changes anywhere, and a changed application is
 * a new object; without this the provider serialises, hashes and looks up every client's metadata
 * on each request that names it (several per login). An id no application can have (NUL, unpaired
 * surrogates) is not looked up, as in the adapter. `applicationOf` gives undefined where there is
 * no catalog cache: the provider looks the client up itself then. Returns the application each
 * client was made from.
 */
function cacheClientsPerApplication(
  provider: Provider,
  applicationOf: (clientId: string) => Promise<Application | null> | undefined,
): WeakMap<object, Application> {
  const find = provider.Client.find.bind(provider.Client);
  const clients = new WeakMap<Application, InstanceType<Provider['Client']>>();
  const applications = new WeakMap<object, Application>();
  provider.Client.find = async (id: string) => {
    if (typeof id !== 'string' || id === '' || unacceptableText(id) !== null) return undefined;
    const lookup = applicationOf(id);
    if (lookup === undefined) return find(id);
    const application = await lookup;
    if (application === null) return undefined;
    const known = clients.get(application);
    if (known !== undefined) return known;
    const client = await find(id);
    if (client !== undefined) {
      clients.set(application, client);
      applications.set(client, application);
    }
    return client;
  };
  return applications;
}

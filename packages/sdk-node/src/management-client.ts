/**
 * A typed client of weunion's management API (`/api/v1`, admin key as Bearer token): users,
 * identities, merges and merge suggestions, the audit log, connections and applications, webhook
 * endpoints and their delivery log, and the WeChat token broker. The
 * shapes follow the server's OpenAPI document (`/api/v1/openapi.json`); every answer is parsed, so
 * a server that answers something else is an `invalid_response` error instead of a wrong value
 * later. Fields a newer server adds are kept (objects are parsed loosely).
 *
 * Errors: a problem answer (RFC 9457) becomes `WeunionApiError` with its `code` and `status`; a
 * network failure is `network_error` (status 0).
 */
import {
  type ApplicationType,
  actorView,
  applicationView,
  auditEntryView,
  brokeredAccessToken,
  brokeredJsapiTicket,
  connectionView,
  credentialCheckView,
  identifierView,
  loginEventView,
  loginStatsView,
  mergePreviewView,
  mergeResultView,
  mergeSuggestionView,
  mergeView,
  type ScenarioId,
  USER_STATUSES,
  userDetailView,
  userView,
  type WebhookEventType,
  type WechatAppType,
  webhookAttemptView,
  webhookDeliveryView,
  webhookEndpointView,
  webhookEventView,
  wechatIdentityView,
} from '@weunion/management-api';
import { z } from 'zod';
import { WeunionApiError } from './errors.ts';

/*
 * The shapes are the server's own (@weunion/management-api). This client reads them a little more
 * leniently, because it may talk to a server of another version: objects it hands out are loose (a
 * field a newer server adds is kept), lists a newer server may extend (app types, scenarios,
 * connection sources, credential-check methods, policy and settings keys) are read as plain strings
 * and records, and fields older servers did not send are optional.
 */
const userStatus = z.enum(USER_STATUSES);

const userSchema = userView.loose();
const wechatIdentitySchema = wechatIdentityView.loose();
const identifierSchema = identifierView.loose();
const userDetailSchema = userDetailView
  .extend({ identities: z.array(wechatIdentitySchema), identifiers: z.array(identifierSchema) })
  .loose();

const nextCursor = z.string().nullable();

/** `name`: the admin's username or the admin key's name (absent from older servers). */
const actorSchema = actorView.extend({ name: actorView.shape.name.optional() }).loose();

const mergeResultSchema = mergeResultView.extend({ moved: mergeResultView.shape.moved.loose() }).loose();

const mergePreviewSchema = mergePreviewView
  .extend({
    target: userDetailSchema,
    source: userDetailSchema,
    result: mergePreviewView.shape.result
      .extend({
        identitiesMoving: z.array(wechatIdentitySchema),
        identifiersMoving: z.array(identifierSchema),
        profile: z.array(mergePreviewView.shape.result.shape.profile.element.loose()),
      })
      .loose(),
    refusal: mergePreviewView.shape.refusal.unwrap().loose().nullable(),
  })
  .loose();

const credentialCheckSchema = credentialCheckView.extend({ method: z.string() }).loose();

const loginStatsSchema = loginStatsView
  .extend({ logins: loginStatsView.shape.logins.loose(), failures: loginStatsView.shape.failures.loose() })
  .loose();

const mergeSchema = mergeView.extend({ actor: actorSchema }).loose();

const mergeSuggestionSchema = mergeSuggestionView.loose();

const auditEntrySchema = auditEntryView.extend({ actor: actorSchema }).loose();

const connectionSchema = connectionView
  .extend({
    appType: z.string(),
    scenarios: z.array(z.string()),
    policy: z.record(z.string(), z.unknown()),
    settings: z.record(z.string(), z.unknown()),
    source: z.string(),
    /** What to paste into WeChat for this connection (`server_url`, `oauth_domain`, `js_domain`, `request_domain`). */
    setup: z.array(connectionView.shape.setup.element.loose()).optional(),
  })
  .loose();

// The server's view, made lenient as the other answers here: scenarios and fields a newer server adds pass.
const applicationSchema = applicationView
  .pick({
    id: true,
    name: true,
    type: true,
    redirectUris: true,
    postLogoutRedirectUris: true,
    firstParty: true,
    secretSet: true,
    createdAt: true,
    updatedAt: true,
  })
  .extend({ scenarios: z.array(z.string()), branding: applicationView.shape.branding.loose() })
  .loose();

const webhookEndpointSchema = webhookEndpointView.extend({ events: z.array(z.string()) }).loose();
const webhookAttemptSchema = webhookAttemptView.loose();
const webhookDeliverySchema = webhookDeliveryView.extend({ status: z.string(), lastAttempt: webhookAttemptSchema.nullable() }).loose();
const webhookEventSchema = webhookEventView
  .extend({ deliveries: z.array(webhookDeliverySchema.extend({ attemptLog: z.array(webhookAttemptSchema) }).loose()) })
  .loose();
const webhookEventSummarySchema = webhookEventView.omit({ deliveries: true }).loose();
const withSecret = z.object({ endpoint: webhookEndpointSchema, secret: z.string() });

export type User = z.output<typeof userSchema>;
export type WebhookEndpoint = z.output<typeof webhookEndpointSchema>;
export type WebhookDelivery = z.output<typeof webhookDeliverySchema>;
export type WebhookAttempt = z.output<typeof webhookAttemptSchema>;
export type WebhookEventRecord = z.output<typeof webhookEventSchema>;
export type BrokeredAccessToken = z.output<typeof brokeredAccessToken>;
export type BrokeredJsapiTicket = z.output<typeof brokeredJsapiTicket>;

export interface WebhookEndpointInput {
  /** https (http only on loopback, or where the server allows it). */
  url: string;
  description?: string;
  /** Default: every event but the opt-in `login.succeeded` / `login.failed`. */
  events?: WebhookEventType[];
  enabled?: boolean;
}
export type UserStatus = z.output<typeof userStatus>;
export type UserDetail = z.output<typeof userDetailSchema>;
export type WechatIdentity = z.output<typeof wechatIdentitySchema>;
export type MergeResult = z.output<typeof mergeResultSchema>;
export type MergePreview = z.output<typeof mergePreviewSchema>;
export type CredentialCheck = z.output<typeof credentialCheckSchema>;
export type LoginStats = z.output<typeof loginStatsSchema>;
export type Merge = z.output<typeof mergeSchema>;
export type MergeSuggestion = z.output<typeof mergeSuggestionSchema>;
export type AuditEntry = z.output<typeof auditEntrySchema>;
export type Connection = z.output<typeof connectionSchema>;
export type Application = z.output<typeof applicationSchema>;
export type Scenario = ScenarioId;
export type { ApplicationType, WechatAppType };

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

export interface PageQuery {
  cursor?: string;
  /** 1–200, default 50. */
  limit?: number;
}

export interface UserSearch extends PageQuery {
  id?: string;
  /** E.164 (`+8613912345678`). */
  phone?: string;
  email?: string;
  openid?: string;
  unionid?: string;
  status?: UserStatus;
  /** One search box: an exact id, phone, email, openid or unionid, or part of the name or nickname. */
  q?: string;
  /** People with a WeChat identity of this app. */
  appid?: string;
  /** People who signed in through this scenario (within the login history). */
  scenario?: ScenarioId;
  /** Times in ms since the epoch: created / last signed in within [from, to). */
  createdFrom?: number;
  createdTo?: number;
  lastLoginFrom?: number;
  lastLoginTo?: number;
  /** With (`true`) or without (`false`) a verified phone number. */
  hasPhone?: boolean;
}

/** Filters of the login history; times in ms since the epoch, [from, to). */
export interface LoginEventQuery extends PageQuery {
  outcome?: 'succeeded' | 'failed';
  scenario?: ScenarioId;
  appid?: string;
  clientId?: string;
  from?: number;
  to?: number;
}

const loginEventSchema = loginEventView.loose();
/** One end-user login or failed login (`reason`: the problem code, or `code:reason`). */
export type LoginEvent = z.output<typeof loginEventSchema>;

/** A stored connection (optionally with a new secret to try), or an app not stored. */
/** A stored connection (optionally with a new secret) or an app not stored; `language` picks the explanation's language. */
export type CredentialCheckInput = (
  | { connectionId: string; secret?: string }
  | { appType: WechatAppType; appid: string; secret: string }
) & {
  language?: 'en' | 'zh-CN';
};

export interface LoginStatsQuery {
  /** ms since the epoch; default 14 days before `to`. */
  from?: number;
  /** ms since the epoch, exclusive; default now. */
  to?: number;
  bucket?: 'day' | 'hour';
  /** Minutes east of UTC (480 for China): days start at local midnight. */
  tzOffsetMinutes?: number;
}

/** Profile fields; `null` clears one. */
export interface UserInput {
  name?: string | null;
  nickname?: string | null;
  picture?: string | null;
  gender?: string | null;
  locale?: string | null;
  phoneNumber?: string | null;
  phoneNumberVerified?: boolean;
  email?: string | null;
  emailVerified?: boolean;
  /** Write-only: the password used when binding an existing account. */
  password?: string;
}

export interface ConnectionInput {
  id: string;
  name: string;
  appType: WechatAppType;
  appid: string;
  secret?: string;
  token?: string;
  encodingAesKey?: string;
  originalId?: string;
  openPlatformId?: string | null;
  scenarios: Scenario[];
  /** Identity policy (see the OpenAPI document); defaults apply to what is left out. */
  policy?: Record<string, unknown>;
  settings?: Record<string, unknown>;
}
/** Only the fields named change; `policy` and `settings` change field by field. */
export type ConnectionPatch = Partial<Omit<ConnectionInput, 'id'>>;

export interface ApplicationInput {
  /** The client_id: 3–63 lower-case letters, digits and dashes. */
  id: string;
  name: string;
  type: ApplicationType;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  scenarios?: Array<'s1' | 's2' | 's3' | 's4'>;
  firstParty?: boolean;
  branding?: { logoUrl?: string; primaryColor?: string; termsUrl?: string; privacyUrl?: string; requireAgreement?: boolean };
  /** Identity-policy override for logins made for this application (see the OpenAPI document). */
  policy?: Record<string, unknown>;
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt';
  jwks?: { keys: Array<Record<string, unknown>> } | null;
  jwksUri?: string | null;
  idTokenSignedResponseAlg?: 'ES256' | 'RS256' | null;
  backchannelLogoutUri?: string | null;
  resources?: string[];
  /** `external`: ID tokens and userinfo carry the person's imported id (e.g. their Authing user id) as `sub`. */
  subjectType?: 'public' | 'external';
}
/** Only the fields named change; `branding` and `policy` change field by field and `null` removes one of theirs. */
export type ApplicationPatch = Partial<Omit<ApplicationInput, 'id' | 'type' | 'branding' | 'policy'>> & {
  branding?: {
    logoUrl?: string | null;
    primaryColor?: string | null;
    termsUrl?: string | null;
    privacyUrl?: string | null;
    requireAgreement?: boolean | null;
  };
  policy?: Record<string, unknown>;
};

export interface ManagementClientOptions {
  /** weunion's URL (`PUBLIC_URL`); the API is under `/api/v1`. */
  baseUrl: string;
  /** An admin key (`wu_…`, from `weunion admin-keys create` or the API). */
  apiKey: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

const problemSchema = z.looseObject({ code: z.string().optional(), title: z.string().optional(), detail: z.string().optional() });

type Query = Record<string, string | number | undefined>;

export function createManagementClient(options: ManagementClientOptions) {
  const base = `${options.baseUrl.replace(/\/+$/, '')}/api/v1`;
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function call<T extends z.ZodType>(
    method: string,
    path: string,
    schema: T,
    input: { query?: Query; body?: unknown } = {},
  ): Promise<z.output<T>> {
    const url = new URL(`${base}${path}`);
    for (const [key, value] of Object.entries(input.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          accept: 'application/json',
          ...(input.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(input.body === undefined ? {} : { body: JSON.stringify(input.body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      throw new WeunionApiError(
        { code: 'network_error', status: 0, message: `${method} ${path}: weunion could not be reached` },
        { cause },
      );
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const problem = problemSchema.safeParse(body);
      const fields = problem.success ? problem.data : {};
      const message = fields.detail ?? fields.title ?? `weunion answered ${response.status}`;
      throw new WeunionApiError({
        code: fields.code ?? `http_${response.status}`,
        status: response.status,
        message: `${method} ${path}: ${message}`,
        ...(fields.detail === undefined ? {} : { detail: fields.detail }),
        problem: fields,
      });
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new WeunionApiError({
        code: 'invalid_response',
        status: response.status,
        message: `${method} ${path}: unexpected answer at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? ''}`,
      });
    }
    return parsed.data;
  }

  const segment = encodeURIComponent;
  const none = z.undefined();
  const pageOf = <T>(items: T[], nextCursor: string | null): Page<T> => ({ items, nextCursor });

  return {
    users: {
      /** Lists or searches users (every filter given must match), in creation order. */
      async list(query: UserSearch = {}): Promise<Page<User>> {
        const { hasPhone, ...rest } = query;
        const answer = await call('GET', '/users', z.object({ users: z.array(userSchema), nextCursor }), {
          query: { ...rest, ...(hasPhone === undefined ? {} : { hasPhone: String(hasPhone) }) },
        });
        return pageOf(answer.users, answer.nextCursor);
      },
      get: (userId: string): Promise<UserDetail> => call('GET', `/users/${segment(userId)}`, userDetailSchema),
      create: (input: UserInput): Promise<UserDetail> => call('POST', '/users', userDetailSchema, { body: input }),
      update: (userId: string, patch: UserInput): Promise<UserDetail> =>
        call('PATCH', `/users/${segment(userId)}`, userDetailSchema, { body: patch }),
      block: (userId: string): Promise<UserDetail> => call('POST', `/users/${segment(userId)}/block`, userDetailSchema),
      unblock: (userId: string): Promise<UserDetail> => call('POST', `/users/${segment(userId)}/unblock`, userDetailSchema),
      /** Sets or resets the user's password (used to prove an account when binding WeChat); audited, never returned. */
      setPassword: (userId: string, password: string): Promise<UserDetail> =>
        call('POST', `/users/${segment(userId)}/password`, userDetailSchema, { body: { password } }),
      removePassword: (userId: string): Promise<UserDetail> => call('DELETE', `/users/${segment(userId)}/password`, userDetailSchema),
      /** The user's logins and failed logins, newest first. */
      async loginEvents(userId: string, query: LoginEventQuery = {}): Promise<Page<LoginEvent>> {
        const answer = await call(
          'GET',
          `/users/${segment(userId)}/login-events`,
          z.object({ events: z.array(loginEventSchema), nextCursor }),
          {
            query: { ...query },
          },
        );
        return pageOf(answer.events, answer.nextCursor);
      },
      /** Deletes the user: profile cleared, sign-in methods removed (the audit log keeps the record). */
      delete: async (userId: string): Promise<void> => {
        await call('DELETE', `/users/${segment(userId)}`, none);
      },
      async identities(userId: string): Promise<WechatIdentity[]> {
        return (await call('GET', `/users/${segment(userId)}/identities`, z.object({ identities: z.array(wechatIdentitySchema) })))
          .identities;
      },
      /** Unlinks one WeChat identity: the next login through that app is a new person. */
      unlinkIdentity: async (userId: string, identityId: string): Promise<void> => {
        await call('DELETE', `/users/${segment(userId)}/identities/${segment(identityId)}`, none);
      },
      /** Merges `sourceUserId` into `targetUserId` (undoable with `merges.undo`). */
      merge: (targetUserId: string, sourceUserId: string): Promise<MergeResult> =>
        call('POST', `/users/${segment(targetUserId)}/merge`, mergeResultSchema, { body: { sourceUserId } }),
      /** What `merge(targetUserId, sourceUserId)` would do, without doing it (`allowed: false` with the refusal). */
      mergePreview: (targetUserId: string, sourceUserId: string): Promise<MergePreview> =>
        call('GET', `/users/${segment(targetUserId)}/merge-preview`, mergePreviewSchema, { query: { sourceUserId } }),
    },
    merges: {
      async list(query: PageQuery & { userId?: string } = {}): Promise<Page<Merge>> {
        const answer = await call('GET', '/merges', z.object({ merges: z.array(mergeSchema), nextCursor }), { query: { ...query } });
        return pageOf(answer.merges, answer.nextCursor);
      },
      /** Undoes a merge: the source user comes back exactly as it was. */
      undo: (mergeId: string): Promise<MergeResult> => call('POST', `/merges/${segment(mergeId)}/undo`, mergeResultSchema),
    },
    mergeSuggestions: {
      async list(query: PageQuery & { status?: 'open' | 'merged' | 'dismissed' } = {}): Promise<Page<MergeSuggestion>> {
        const answer = await call('GET', '/merge-suggestions', z.object({ suggestions: z.array(mergeSuggestionSchema), nextCursor }), {
          query: { ...query },
        });
        return pageOf(answer.suggestions, answer.nextCursor);
      },
      dismiss: (suggestionId: string): Promise<MergeSuggestion> =>
        call('POST', `/merge-suggestions/${segment(suggestionId)}/dismiss`, mergeSuggestionSchema),
    },
    loginEvents: {
      /** Every end-user login and failed login, newest first (kept LOGIN_HISTORY_RETENTION_DAYS). */
      async list(query: LoginEventQuery & { userId?: string } = {}): Promise<Page<LoginEvent>> {
        const answer = await call('GET', '/login-events', z.object({ events: z.array(loginEventSchema), nextCursor }), {
          query: { ...query },
        });
        return pageOf(answer.events, answer.nextCursor);
      },
    },
    auditLog: {
      /** Newest first. */
      async list(query: PageQuery & { subjectId?: string; action?: string } = {}): Promise<Page<AuditEntry>> {
        const answer = await call('GET', '/audit-log', z.object({ entries: z.array(auditEntrySchema), nextCursor }), {
          query: { ...query },
        });
        return pageOf(answer.entries, answer.nextCursor);
      },
    },
    connections: {
      async list(): Promise<Connection[]> {
        return (await call('GET', '/connections', z.object({ connections: z.array(connectionSchema) }))).connections;
      },
      get: (connectionId: string): Promise<Connection> => call('GET', `/connections/${segment(connectionId)}`, connectionSchema),
      create: (input: ConnectionInput): Promise<Connection> => call('POST', '/connections', connectionSchema, { body: input }),
      /** Secrets left out keep their stored value. */
      update: (connectionId: string, patch: ConnectionPatch): Promise<Connection> =>
        call('PATCH', `/connections/${segment(connectionId)}`, connectionSchema, { body: patch }),
      delete: async (connectionId: string): Promise<void> => {
        await call('DELETE', `/connections/${segment(connectionId)}`, none);
      },
      /** Asks WeChat whether an AppID and AppSecret are right; saves nothing, never returns a token. */
      checkCredentials: (input: CredentialCheckInput): Promise<CredentialCheck> =>
        call('POST', '/connections/check-credentials', credentialCheckSchema, { body: input }),
    },
    stats: {
      /** Logins, new users and failures per day or hour. */
      logins: (query: LoginStatsQuery = {}): Promise<LoginStats> => call('GET', '/stats/logins', loginStatsSchema, { query: { ...query } }),
    },
    applications: {
      async list(): Promise<Application[]> {
        return (await call('GET', '/applications', z.object({ applications: z.array(applicationSchema) }))).applications;
      },
      get: (applicationId: string): Promise<Application> => call('GET', `/applications/${segment(applicationId)}`, applicationSchema),
      /** A web application's `clientSecret` is in this answer only. */
      create: (input: ApplicationInput): Promise<{ application: Application; clientSecret: string | null }> =>
        call('POST', '/applications', z.object({ application: applicationSchema, clientSecret: z.string().nullable() }), { body: input }),
      update: (applicationId: string, patch: ApplicationPatch): Promise<Application> =>
        call('PATCH', `/applications/${segment(applicationId)}`, applicationSchema, { body: patch }),
      /** A new client secret for a web application; the old one stops working at once. */
      async rotateSecret(applicationId: string): Promise<string> {
        return (await call('POST', `/applications/${segment(applicationId)}/secret`, z.object({ clientSecret: z.string() }))).clientSecret;
      },
      delete: async (applicationId: string): Promise<void> => {
        await call('DELETE', `/applications/${segment(applicationId)}`, none);
      },
    },
    webhooks: {
      async list(): Promise<WebhookEndpoint[]> {
        return (await call('GET', '/webhooks/endpoints', z.object({ endpoints: z.array(webhookEndpointSchema) }))).endpoints;
      },
      get: (endpointId: string): Promise<WebhookEndpoint> =>
        call('GET', `/webhooks/endpoints/${segment(endpointId)}`, webhookEndpointSchema),
      /** The signing `secret` (`whsec_…`) is in this answer only: give it to `verifyWebhook`. */
      create: (input: WebhookEndpointInput): Promise<{ endpoint: WebhookEndpoint; secret: string }> =>
        call('POST', '/webhooks/endpoints', withSecret, { body: input }),
      /** `enabled: true` after an automatic disable clears the alert. */
      update: (endpointId: string, patch: Partial<WebhookEndpointInput>): Promise<WebhookEndpoint> =>
        call('PATCH', `/webhooks/endpoints/${segment(endpointId)}`, webhookEndpointSchema, { body: patch }),
      delete: async (endpointId: string): Promise<void> => {
        await call('DELETE', `/webhooks/endpoints/${segment(endpointId)}`, none);
      },
      /** A new secret, in this answer only; the old one keeps signing too for `overlapSeconds` (default a day). */
      rotateSecret: (endpointId: string, overlapSeconds?: number): Promise<{ endpoint: WebhookEndpoint; secret: string }> =>
        call('POST', `/webhooks/endpoints/${segment(endpointId)}/secret`, withSecret, {
          body: overlapSeconds === undefined ? {} : { overlapSeconds },
        }),
      /** Sends a `webhook.ping` event to the endpoint. */
      test: (endpointId: string): Promise<{ eventId: string }> =>
        call('POST', `/webhooks/endpoints/${segment(endpointId)}/test`, z.object({ eventId: z.string() })),
      /** Sends one stored event again, or every one of `[from, to)` (ms) the endpoint subscribes to. */
      replay: (
        endpointId: string,
        what: { eventId: string } | { from: number; to: number },
      ): Promise<{ queued: number; eventIds: string[] }> =>
        call('POST', `/webhooks/endpoints/${segment(endpointId)}/replay`, z.object({ queued: z.number(), eventIds: z.array(z.string()) }), {
          body: what,
        }),
      async deliveries(
        endpointId: string,
        query: PageQuery & { status?: 'pending' | 'delivered' | 'failed'; subjectId?: string } = {},
      ): Promise<Page<WebhookDelivery>> {
        const answer = await call(
          'GET',
          `/webhooks/endpoints/${segment(endpointId)}/deliveries`,
          z.object({ deliveries: z.array(webhookDeliverySchema), nextCursor }),
          { query: { ...query } },
        );
        return pageOf(answer.deliveries, answer.nextCursor);
      },
      async attempts(deliveryId: string): Promise<WebhookAttempt[]> {
        return (
          await call('GET', `/webhooks/deliveries/${segment(deliveryId)}/attempts`, z.object({ attempts: z.array(webhookAttemptSchema) }))
        ).attempts;
      },
      /** One event as sent, with its delivery to each endpoint and every attempt. */
      event: (eventId: string): Promise<WebhookEventRecord> => call('GET', `/webhooks/events/${segment(eventId)}`, webhookEventSchema),
      async events(query: PageQuery & { type?: string; subjectId?: string } = {}) {
        const answer = await call('GET', '/webhooks/events', z.object({ events: z.array(webhookEventSummarySchema), nextCursor }), {
          query: { ...query },
        });
        return pageOf(answer.events, answer.nextCursor);
      },
    },
    /**
     * The WeChat token broker: the official account's or mini program's access_token that weunion
     * itself holds (cached once for the cluster), instead of fetching one (which would make WeChat
     * drop weunion's). A `tokens:read` admin key suffices for the connections it names.
     */
    getAccessToken: (connectionId: string): Promise<BrokeredAccessToken> =>
      call('GET', `/connections/${segment(connectionId)}/access-token`, brokeredAccessToken.loose()),
    /**
     * For a token WeChat answered 40001/42001 to: weunion refreshes only while `invalidToken` is still
     * its current one (once across all instances) and answers the current token either way.
     */
    refreshAccessToken: (connectionId: string, invalidToken: string): Promise<BrokeredAccessToken> =>
      call('POST', `/connections/${segment(connectionId)}/access-token/refresh`, brokeredAccessToken.loose(), { body: { invalidToken } }),
    /** An official account's JS-SDK ticket (`jsapi_ticket`), the one weunion signs `wx.config` with. */
    getJsapiTicket: (connectionId: string): Promise<BrokeredJsapiTicket> =>
      call('GET', `/connections/${segment(connectionId)}/jsapi-ticket`, brokeredJsapiTicket.loose()),
  };
}

export type ManagementClient = ReturnType<typeof createManagementClient>;

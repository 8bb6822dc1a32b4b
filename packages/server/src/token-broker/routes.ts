/**
 * The WeChat token broker (issue #19): app backends that send template/subscribe messages take the
 * official account's or mini program's access_token (and an official account's jsapi ticket) from
 * weunion instead of fetching their own — a backend fetching its own token kills weunion's cached
 * one five minutes later. What they get is the very token weunion's own client holds in shared
 * state (never a forced refresh, never the AppSecret).
 *
 * - `POST …/access-token/refresh {invalidToken}`: for a backend WeChat told 40001/42001; it refreshes
 *   only while the cached token is still that one, single-flight across instances (the token
 *   cache's `rejected` path), so a hundred backends reporting the same token cost one fetch, and a
 *   stale report cannot throw away a token someone else just fetched.
 * - Every read counts against the caller's key: `TOKEN_READS_PER_KEY` in shared state (429 past it),
 *   since each miss can cost a WeChat call against the app's daily token quota; and each answered
 *   read bumps a counter per key and connection (`token_reads`), shown with the key's listing.
 * - Open to `tokens:read` admin keys limited to named connections (checked in `plugin.ts`).
 */
import { AppError } from '@weunion/errors';
import { brokeredAccessToken, brokeredJsapiTicket } from '@weunion/management-api';
import type { WechatAppCredentials } from '@weunion/wechat';
import { z } from 'zod';
import { type Connection, findConnection } from '../connections/store.ts';
import type { AppContext } from '../http/context.ts';
import { RateLimiter, type RateRule } from '../http/rate-limit.ts';
import type { Actor } from '../identity/audit.ts';
import { defineRoute, type ManagementRoute } from '../management/route.ts';

export const TOKEN_READS_PER_KEY: RateRule = { name: 'token-broker', limit: 60, windowMs: 60_000 };

const params = z.object({ connectionId: z.string().min(1).max(100).describe('The connection id.') }).strict();
const TIMEOUT_MS = 10_000;

/** Seconds left, rounded down: a backend caching for `expires_in` never outlives weunion's own use. */
const secondsUntil = (expiresAt: number) => Math.max(0, Math.floor((expiresAt - Date.now()) / 1000));

async function brokeredApp(ctx: AppContext, actor: Actor, connectionId: string, ticket: boolean): Promise<WechatAppCredentials> {
  await new RateLimiter(ctx.state).consume(TOKEN_READS_PER_KEY, `${actor.kind}:${actor.id ?? 'system'}`);
  const connection: Connection | null = await findConnection(ctx.database.db, ctx.secrets, connectionId);
  if (connection === null) throw new AppError('not_found', `No connection ${connectionId}`);
  const allowed = ticket ? ['official_account'] : ['official_account', 'mini_program'];
  if (!allowed.includes(connection.appType)) {
    throw new AppError(
      'bad_request',
      ticket
        ? `Connection ${connectionId} is a ${connection.appType}; only official accounts have a jsapi ticket`
        : `Connection ${connectionId} is a ${connection.appType}; only official accounts and mini programs have an app access_token`,
      { details: { appType: connection.appType } },
    );
  }
  if (connection.secret === null) {
    throw new AppError('conflict', `Connection ${connectionId} has no AppSecret configured, so weunion holds no token for it`);
  }
  return { appid: connection.appid, secret: connection.secret };
}

/** One more read of `connectionId`'s tokens by this key (or console admin): a counter, not an audit row. */
async function countRead(ctx: AppContext, actor: Actor, connectionId: string): Promise<void> {
  const now = Date.now();
  await ctx.database.db
    .insertInto('token_reads')
    .values({ key_id: readerId(actor), connection_id: connectionId, count: 1, last_read_at: now })
    .onConflict((conflict) =>
      conflict.columns(['key_id', 'connection_id']).doUpdateSet((eb) => ({
        count: eb('token_reads.count', '+', 1),
        last_read_at: now,
      })),
    )
    .execute();
}

/** Admin keys by their id (`key_…`); console admins as `admin:<id>`, so the two never collide. */
const readerId = (actor: Actor) => (actor.kind === 'admin_key' ? (actor.id ?? '') : `${actor.kind}:${actor.id ?? ''}`);

async function accessToken(ctx: AppContext, app: WechatAppCredentials, rejected?: string) {
  const signal = AbortSignal.timeout(TIMEOUT_MS);
  const token = await ctx.wechat.tokens.get(app, { rejected, signal });
  const cached = await ctx.wechat.tokens.peek(app.appid);
  // The cache can only have moved on to a newer token between the two reads; report the one handed out.
  const expiresIn = cached?.accessToken === token ? secondsUntil(cached.expiresAt) : 0;
  return { access_token: token, expires_in: expiresIn };
}

export const tokenBrokerRoutes: ManagementRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/connections/:connectionId/access-token',
    tag: 'token-broker',
    summary:
      "The app's access_token weunion itself uses (official account or mini program), cached cluster-wide; fetched from WeChat only when none is cached. Never the AppSecret.",
    tokenBroker: true,
    params,
    response: brokeredAccessToken,
    handler: async ({ params: { connectionId }, actor, ctx }) => {
      const answer = await accessToken(ctx, await brokeredApp(ctx, actor, connectionId, false));
      await countRead(ctx, actor, connectionId);
      return answer;
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/connections/:connectionId/access-token/refresh',
    tag: 'token-broker',
    summary:
      'Report a token WeChat refused (40001/42001): refreshes only while it is still the cached token (once across the cluster), and answers the current token either way.',
    tokenBroker: true,
    params,
    body: z.object({ invalidToken: z.string().min(1).max(2048).describe('The access_token WeChat refused.') }).strict(),
    response: brokeredAccessToken,
    handler: async ({ params: { connectionId }, body, actor, ctx }) => {
      const answer = await accessToken(ctx, await brokeredApp(ctx, actor, connectionId, false), body.invalidToken);
      await countRead(ctx, actor, connectionId);
      return answer;
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/connections/:connectionId/jsapi-ticket',
    tag: 'token-broker',
    summary: "An official account's JS-SDK jsapi ticket, the one weunion signs `wx.config` with (cached cluster-wide).",
    tokenBroker: true,
    params,
    response: brokeredJsapiTicket,
    handler: async ({ params: { connectionId }, actor, ctx }) => {
      const app = await brokeredApp(ctx, actor, connectionId, true);
      const ticket = await ctx.wechat.jsSdk.getJsapiTicket(app, { signal: AbortSignal.timeout(TIMEOUT_MS) });
      const cached = await ctx.wechat.jsSdk.peekJsapiTicket(app.appid);
      await countRead(ctx, actor, connectionId);
      return { ticket, expires_in: cached?.ticket === ticket ? secondsUntil(cached.expiresAt) : 0 };
    },
  }),
];

/**
 * The login history: one row per end-user login and failure (table `login_events`, 0024), for the
 * console's history pages and the management API. Where rows come from — the same places as the
 * login statistics (stats/login-stats.ts), one call each:
 * - a browser login (S1–S4, the hosted pages, OIDC) succeeds in `startSession` (login/finish.ts);
 * - an app login (S5–S7) succeeds where `AppTokens` issues its tokens (`recordAppLogin`);
 * - a failure is a login route's problem answer (the `onError` hook) or a redirect flow's trip to
 *   `/login/error` (`redirectToErrorPage`).
 * The IP and user agent are the request's; app logins learn theirs through `loginRequest`, set for
 * every login request by `registerLoginHistory` (AsyncLocalStorage: `AppTokens` never sees HTTP).
 *
 * Recording never fails a login: errors are logged and swallowed. Rows older than
 * LOGIN_HISTORY_RETENTION_DAYS are deleted in bounded batches by a background sweep.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Insertable, Kysely, Selectable } from 'kysely';
import { newId } from '../identity/ids.ts';
import { cursorPage } from '../storage/cursor-page.ts';
import { precompiled } from '../storage/precompiled.ts';
import type { LoginEventsTable, LoginOutcome, Tables } from '../storage/schema.ts';

export interface LoginEvent {
  outcome: LoginOutcome;
  userId?: string | null | undefined;
  scenario?: string | null | undefined;
  appid?: string | null | undefined;
  clientId?: string | null | undefined;
  /** For failures: the problem code, optionally `code:reason`. */
  reason?: string | null | undefined;
  /** The request the login came in on (its IP and user agent are kept). */
  request?: Pick<FastifyRequest, 'ip' | 'headers'> | undefined;
  at?: number;
}

interface WarnLogger {
  warn(object: object, message: string): void;
}

/** A user agent longer than this is cut: it is for reading, and anyone can send megabytes of it. */
const MAX_USER_AGENT = 512;

const loginRequests = new AsyncLocalStorage<Pick<FastifyRequest, 'ip' | 'headers'>>();

/** The login request being answered, for code (app tokens) that is not handed the request. */
export function loginRequest(): Pick<FastifyRequest, 'ip' | 'headers'> | undefined {
  return loginRequests.getStore();
}

// Every login runs it (storage/precompiled.ts: built once, run with new values).
const INSERT_EVENT = precompiled<Tables, Insertable<LoginEventsTable>, unknown>((db, row) =>
  db.insertInto('login_events').values({
    id: row.id,
    at: row.at,
    outcome: row.outcome,
    user_id: row.user_id,
    scenario: row.scenario,
    appid: row.appid,
    client_id: row.client_id,
    reason: row.reason,
    ip: row.ip,
    user_agent: row.user_agent,
  }),
);

/** Writes one login event; never throws (a history row is never worth a failed login). */
export async function recordLoginEvent(db: Kysely<Tables>, event: LoginEvent, log?: WarnLogger): Promise<void> {
  const at = event.at ?? Date.now();
  const request = event.request ?? loginRequest();
  const agent = request?.headers['user-agent'];
  try {
    await INSERT_EVENT.execute(db, {
      id: newIdAt('lge', at),
      at,
      outcome: event.outcome,
      user_id: event.userId ?? null,
      scenario: event.scenario ?? null,
      appid: event.appid || null,
      client_id: event.clientId || null,
      reason: event.reason ?? null,
      ip: request?.ip ?? null,
      user_agent: typeof agent === 'string' ? agent.slice(0, MAX_USER_AGENT) : null,
    });
  } catch (error) {
    if (log !== undefined) log.warn({ err: error, outcome: event.outcome }, 'login history not recorded');
    else process.emitWarning(`login history not recorded: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** `newId`, but for a given time (events recorded for a past moment still sort by it). */
function newIdAt(prefix: string, at: number): string {
  const id = newId(prefix);
  return `${prefix}_${at.toString(16).padStart(11, '0')}${id.slice(prefix.length + 12)}`;
}

/** The smallest id of an event at or after `at` (ids sort by time). */
export function loginEventIdAt(at: number): string {
  return `lge_${Math.max(0, at).toString(16).padStart(11, '0')}`;
}

/** A failed login as the history keeps it: the scenario from the route, the code and its reason. */
export function failedLogin(request: FastifyRequest, code: string, reason: unknown): LoginEvent {
  return {
    outcome: 'failed' as const,
    scenario: scenarioOfRoute(request.routeOptions.url ?? request.url),
    // App logins name their WeChat app in the body; kept only when it looks like one.
    appid: appidIn(request.body),
    reason: typeof reason === 'string' ? `${code}:${reason}` : code,
    request,
  };
}
const SCENARIO_IN_URL = /\/(s[1-7])(?:\/|$|\?)/;
const APPID = /^wx[0-9a-zA-Z]{6,30}$/;
function appidIn(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('appid' in body)) return undefined;
  return typeof body.appid === 'string' && APPID.test(body.appid) ? body.appid : undefined;
}

/** The login routes whose path does not name their scenario. */
const ROUTE_SCENARIOS: Record<string, string> = { '/api/mp/login': 's5', '/api/mp/phone': 's5', '/api/app/login': 's6' };
const scenarioOfRoute = (url: string): string | undefined => ROUTE_SCENARIOS[url] ?? SCENARIO_IN_URL.exec(url)?.[1];

const LOGIN_ROUTE = /^\/(api\/(login|app|mp)\/|login\/|interaction\/)/;

/**
 * Makes the request known to `loginRequest` for every login route, and starts the retention
 * sweep (each instance sweeps; a batch is one bounded delete, so two instances only share work).
 */
export function registerLoginHistory(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    if (LOGIN_ROUTE.test(request.url)) loginRequests.run(request, done);
    else done();
  });
  const retentionMs = app.ctx.config.loginHistoryRetentionDays * 24 * 3_600_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  app.addHook('onReady', async () => {
    timer = setInterval(() => {
      running = sweepLoginHistory(app.ctx.database.db, Date.now() - retentionMs).catch((error: unknown) =>
        app.log.warn({ err: error }, 'login history sweep failed'),
      );
    }, SWEEP_EVERY_MS);
    timer.unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await running;
  });
}

const SWEEP_EVERY_MS = 10 * 60_000;
/** Rows per delete: small enough that a sweep never holds a long lock or a big transaction. */
export const SWEEP_BATCH = 1000;
/** Batches per sweep; the rest waits for the next (a backlog after raising the retention drains over a few sweeps). */
const SWEEP_BATCHES = 20;

/** Deletes events older than `before`, at most SWEEP_BATCH rows per statement; returns how many went. */
export async function sweepLoginHistory(db: Kysely<Tables>, before: number, batches = SWEEP_BATCHES): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < batches; i += 1) {
    const result = await db
      .deleteFrom('login_events')
      .where('id', 'in', (eb) => eb.selectFrom('login_events').select('id').where('at', '<', before).limit(SWEEP_BATCH))
      .executeTakeFirst();
    const n = Number(result.numDeletedRows);
    deleted += n;
    if (n < SWEEP_BATCH) break;
  }
  return deleted;
}

export interface LoginEventView {
  id: string;
  at: number;
  outcome: LoginOutcome;
  userId: string | null;
  scenario: string | null;
  appid: string | null;
  clientId: string | null;
  reason: string | null;
  ip: string | null;
  userAgent: string | null;
}

function toView(row: Selectable<LoginEventsTable>): LoginEventView {
  return {
    id: row.id,
    at: Number(row.at),
    outcome: row.outcome,
    userId: row.user_id,
    scenario: row.scenario,
    appid: row.appid,
    clientId: row.client_id,
    reason: row.reason,
    ip: row.ip,
    userAgent: row.user_agent,
  };
}

export interface LoginEventFilter {
  userId?: string | undefined;
  outcome?: LoginOutcome | undefined;
  scenario?: string | undefined;
  appid?: string | undefined;
  clientId?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
  cursor?: string | undefined;
  limit: number;
}

/**
 * Login events, newest first. Read by id (time order) from the primary key, or from
 * `(user_id, id)` for one person; the other filters narrow what that range returns.
 */
export async function listLoginEvents(
  db: Kysely<Tables>,
  filter: LoginEventFilter,
): Promise<{ events: LoginEventView[]; nextCursor: string | null }> {
  let query = db.selectFrom('login_events').selectAll();
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
  if (filter.outcome !== undefined) query = query.where('outcome', '=', filter.outcome);
  if (filter.scenario !== undefined) query = query.where('scenario', '=', filter.scenario);
  if (filter.appid !== undefined) query = query.where('appid', '=', filter.appid);
  if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId);
  if (filter.from !== undefined) query = query.where('id', '>=', loginEventIdAt(filter.from));
  if (filter.to !== undefined) query = query.where('id', '<', loginEventIdAt(filter.to));
  if (filter.cursor !== undefined) query = query.where('id', '<', filter.cursor);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const { page, nextCursor } = cursorPage(rows, filter.limit);
  return { events: page.map(toView), nextCursor };
}

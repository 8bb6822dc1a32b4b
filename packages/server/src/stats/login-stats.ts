/**
 * Login statistics: hourly counters of completed logins (by scenario, WeChat app and application),
 * of people who became new users, and of failed logins by the problem `code` they got.
 *
 * Where they are counted, and why there:
 * - a login completes where it turns into a session or tokens: `startSession` (browser logins,
 *   S1–S4 and the hosted pages) and `AppTokens.issue` (app logins, S5–S7); every path — straight
 *   through, or after choosing or proving an account — ends in one of the two;
 * - a new user is counted where identity commits the user it created (`identity/apply.ts`), the
 *   only place users come from in a sign-in, so each counts exactly once;
 * - a failure is the problem a login route answered with (the `onError` hook below), or the code a
 *   redirect flow sent the browser to `/login/error` with (`redirectToErrorPage`).
 * Recording never fails a login: errors are caught and logged. The same two places raise the
 * opt-in `login.succeeded` / `login.failed` webhook events (webhooks/login-events.ts).
 */
import { AppError } from '@weunion/errors';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { failedLogin, recordLoginEvent } from '../login/history.ts';
import { precompiled } from '../storage/precompiled.ts';
import type { LoginStatMetric, Tables } from '../storage/schema.ts';
import { writeLoginEvent } from '../webhooks/login-events.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
export const MAX_BUCKETS = 400;

export interface LoginStatEvent {
  metric: LoginStatMetric;
  scenario?: string | undefined;
  appid?: string | undefined;
  clientId?: string | undefined;
  reason?: string | undefined;
  /** Who logged in (a completed login), for the `login.succeeded` event. */
  userId?: string | undefined;
  /** When it happened, ms (default now). */
  at?: number;
}

interface WarnLogger {
  warn(object: object, message: string): void;
}

/** Adds one to the event's hourly counter, atomically on both databases. */
type LoginStatRow = Omit<Tables['login_stats'], 'count'>;

// Every login runs it (storage/precompiled.ts: built once, run with new values).
const INCREMENT = precompiled<Tables, LoginStatRow, unknown>((db, row) =>
  db
    .insertInto('login_stats')
    .values({
      hour_start: row.hour_start,
      metric: row.metric,
      scenario: row.scenario,
      appid: row.appid,
      client_id: row.client_id,
      reason: row.reason,
      count: 1,
    })
    .onConflict((conflict) =>
      conflict
        .columns(['hour_start', 'metric', 'scenario', 'appid', 'client_id', 'reason'])
        .doUpdateSet((eb) => ({ count: eb('login_stats.count', '+', eb.ref('excluded.count')) })),
    ),
);

/** Adds one to the event's hourly counter, atomically on both databases. */
export async function incrementLoginStat(db: Kysely<Tables>, event: LoginStatEvent): Promise<void> {
  const at = event.at ?? Date.now();
  await INCREMENT.execute(db, {
    hour_start: at - (at % HOUR_MS),
    metric: event.metric,
    scenario: event.scenario ?? '',
    appid: event.appid ?? '',
    client_id: event.clientId ?? '',
    reason: event.reason ?? '',
  });
}

/**
 * `incrementLoginStat` for the login paths: a statistic is never worth a failed login, so any
 * error is logged (or, where no logger reaches, emitted as a process warning) and swallowed.
 */
export async function recordLoginStat(db: Kysely<Tables>, event: LoginStatEvent, log?: WarnLogger): Promise<void> {
  try {
    await incrementLoginStat(db, event);
    if (event.metric !== 'new_user') {
      const { metric, ...rest } = event;
      await writeLoginEvent(db, { outcome: metric === 'login' ? 'succeeded' : 'failed', ...rest });
    }
  } catch (error) {
    if (log !== undefined) log.warn({ err: error, metric: event.metric }, 'login statistics not recorded');
    else process.emitWarning(`login statistics not recorded: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * An app login (S5–S7) that got tokens. The app signs in as its connection (the grant's client id
 * is the connection id), so the WeChat app is that connection's; there is no application to count.
 */
export async function recordAppLogin(
  app: FastifyInstance,
  grant: { userId: string; clientId: string; method: string },
  /** The connection's appid (the caller's cached look-up). */
  appidOf: (connectionId: string) => Promise<string | undefined>,
): Promise<void> {
  const db = app.ctx.database.db;
  try {
    const appid = await appidOf(grant.clientId);
    await incrementLoginStat(db, { metric: 'login', scenario: grant.method, appid });
    await writeLoginEvent(db, { outcome: 'succeeded', userId: grant.userId, scenario: grant.method, appid });
    await recordLoginEvent(db, { outcome: 'succeeded', userId: grant.userId, scenario: grant.method, appid }, app.log);
  } catch (error) {
    app.log.warn({ err: error, metric: 'login' }, 'login statistics not recorded');
  }
}

/**
 * The requests a person logs in with (JSON flows: they are POSTs; polling a ticket or reading a
 * pending sign-in is not an attempt, and counting each poll of an expired ticket would swamp the
 * numbers). Redirect flows report through `redirectToErrorPage`.
 */
const LOGIN_ROUTE = /^\/api\/(login|app|mp)\//;
const SCENARIO_IN_ROUTE = /\/(s[1-7])(?:\/|$)/;

/** Counts every failed login request by the problem code it answers with. */
export function registerLoginFailureStats(app: FastifyInstance): void {
  app.addHook('onError', async (request, _reply, error) => {
    const url = request.routeOptions.url ?? '';
    if (request.method !== 'POST' || !LOGIN_ROUTE.test(url)) return;
    const reason = error instanceof AppError ? error.code : 'internal';
    await recordLoginStat(app.ctx.database.db, { metric: 'failure', reason, scenario: SCENARIO_IN_ROUTE.exec(url)?.[1] }, request.log);
    await recordLoginEvent(
      app.ctx.database.db,
      failedLogin(request, reason, error instanceof AppError ? error.details?.reason : undefined),
      request.log,
    );
  });
}

export interface LoginStatsQuery {
  from: number;
  to: number;
  bucket: 'day' | 'hour';
  tzOffsetMinutes: number;
}

export interface LoginStats {
  bucket: 'day' | 'hour';
  buckets: number[];
  logins: {
    total: number[];
    byScenario: Record<string, number[]>;
    byApp: Record<string, number[]>;
    byApplication: Record<string, number[]>;
  };
  newUsers: number[];
  failures: { total: number[]; byReason: Record<string, number[]> };
}

/**
 * Counters summed into day or hour buckets aligned to the viewer's UTC offset (a day starts at
 * their midnight), every bucket present, ascending. Counters are per UTC hour, so with an offset
 * that is not whole hours an hour bucket holds the UTC hour that starts in it.
 */
export async function readLoginStats(db: Kysely<Tables>, query: LoginStatsQuery): Promise<LoginStats> {
  if (query.to <= query.from) throw new AppError('bad_request', '`to` must be after `from`');
  const size = query.bucket === 'day' ? DAY_MS : HOUR_MS;
  const offset = query.tzOffsetMinutes * 60_000;
  const bucketOf = (t: number) => Math.floor((t + offset) / size) * size - offset;
  const first = bucketOf(query.from);
  const count = Math.ceil((query.to - first) / size);
  if (count > MAX_BUCKETS) {
    throw new AppError(
      'bad_request',
      `That is ${count} ${query.bucket} buckets; ask for at most ${MAX_BUCKETS} (a shorter range, or days)`,
    );
  }
  const buckets = Array.from({ length: count }, (_, i) => first + i * size);
  const end = first + count * size;
  const rows = await db
    .selectFrom('login_stats')
    .select(['hour_start', 'metric', 'scenario', 'appid', 'client_id', 'reason', 'count'])
    .where('hour_start', '>=', first)
    .where('hour_start', '<', end)
    .execute();

  const zeros = () => buckets.map(() => 0);
  const stats: LoginStats = {
    bucket: query.bucket,
    buckets,
    logins: { total: zeros(), byScenario: {}, byApp: {}, byApplication: {} },
    newUsers: zeros(),
    failures: { total: zeros(), byReason: {} },
  };
  const add = (series: Record<string, number[]>, key: string, index: number, n: number) => {
    if (key === '') return;
    const values = series[key] ?? zeros();
    values[index] = (values[index] ?? 0) + n;
    series[key] = values;
  };
  const bump = (values: number[], index: number, n: number) => {
    values[index] = (values[index] ?? 0) + n;
  };
  for (const row of rows) {
    // PostgreSQL hands bigint back as a string.
    const hour = Number(row.hour_start);
    const n = Number(row.count);
    const index = Math.floor((hour - first) / size);
    if (row.metric === 'login') {
      bump(stats.logins.total, index, n);
      add(stats.logins.byScenario, row.scenario, index, n);
      add(stats.logins.byApp, row.appid, index, n);
      add(stats.logins.byApplication, row.client_id, index, n);
    } else if (row.metric === 'new_user') {
      bump(stats.newUsers, index, n);
    } else if (row.metric === 'failure') {
      bump(stats.failures.total, index, n);
      add(stats.failures.byReason, row.reason, index, n);
    }
  }
  return stats;
}

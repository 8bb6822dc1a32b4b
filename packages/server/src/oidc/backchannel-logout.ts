/**
 * OIDC Back-Channel Logout 1.0: when a person's session ends, every application they used that
 * registered a `backchannelLogoutUri` gets a signed logout token, POSTed server to server.
 *
 * - Durable: a logout is a row in `oidc_logout_deliveries` first (the outbox), written where the
 *   session ends (RP-initiated logout) or after an admin's change commits (block, delete, merge).
 *   A slow or down application never holds up the person's logout or the admin's request.
 * - Retried: any instance's worker claims due rows (compare-and-set on `next_attempt_at`, so one
 *   instance sends each attempt), and a failed attempt is retried with exponential backoff until
 *   MAX_ATTEMPTS, then marked `failed`. Every attempt is logged (never the token).
 * - The token (spec section 2.4): `typ: logout+jwt`, iss, aud = client_id, iat, exp, jti, sub,
 *   `sid` when the logout ended one session, the back-channel logout event, and no nonce; signed
 *   like the application's ID tokens.
 */
import { randomUUID } from 'node:crypto';
import type { SharedState, Subscription } from '@weunion/state';
import type { FastifyBaseLogger } from 'fastify';
import { SignJWT } from 'jose';
import { sql } from 'kysely';
import { subjectFor } from '../identity/subject.ts';
import type { SecretBox } from '../secrets/master-key.ts';
import type { SigningKeys } from '../signing/signing-keys.ts';
import { type Application, findApplication } from './applications.ts';
import type { OidcDb } from './tables.ts';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
export const LOGOUT_REASONS = ['logout', 'blocked', 'deleted', 'merged'] as const;
export type LogoutReason = (typeof LOGOUT_REASONS)[number];

/** Shared-state channel that wakes every instance's worker when a logout is queued. */
const KICK_CHANNEL = 'oidc:backchannel-logout';
const MAX_ATTEMPTS = 8;
/** Delivered and failed deliveries are kept this long as the record of what was sent, then pruned. */
const KEEP_FINISHED_MS = 30 * 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;
const LOGOUT_TOKEN_TTL_SECONDS = 120;

export interface LogoutTarget {
  clientId: string;
  /** The session that ended at this application; absent when all of the person's sessions end. */
  sid?: string | undefined;
}

/**
 * Queues logout tokens for `targets` (only applications with a back-channel logout URI get one)
 * and wakes the workers. Call it after the change that ended the session has committed.
 */
export async function queueLogout(
  deps: { db: OidcDb; state: SharedState; secrets: SecretBox },
  accountId: string,
  reason: LogoutReason,
  targets: LogoutTarget[],
  now = Date.now(),
): Promise<number> {
  let queued = 0;
  for (const target of targets) {
    const application = await findApplication(deps.db, deps.secrets, target.clientId);
    if (application?.backchannelLogoutUri == null) continue;
    await deps.db
      .insertInto('oidc_logout_deliveries')
      .values({
        id: randomUUID(),
        client_id: target.clientId,
        account_id: accountId,
        sid: target.sid ?? null,
        reason,
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
        last_error: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    queued++;
  }
  if (queued > 0) await deps.state.publish(KICK_CHANNEL, accountId);
  return queued;
}

/** The applications a person holds a grant at: one indexed look-up. */
export function grantedClients(db: OidcDb, accountId: string) {
  return (
    db
      .selectFrom('oidc_models')
      .select('client_id')
      .distinct()
      .where('account_id', '=', accountId)
      // A literal: the index on account_id holds grants only (migration 0026), and a prepared
      // statement's generic plan (PostgreSQL, after a few runs) cannot use a partial index for
      // a condition it sees only as a parameter.
      .where('model', '=', sql.lit('Grant'))
      .where('client_id', 'is not', null)
  );
}

/**
 * Ends every session of a person at every application they used (they were blocked, deleted or
 * merged away): one logout token per application with a grant for them, without `sid`.
 */
export async function queueAccountLogout(
  deps: { db: OidcDb; state: SharedState; secrets: SecretBox },
  accountId: string,
  reason: LogoutReason,
): Promise<number> {
  const rows = await grantedClients(deps.db, accountId).execute();
  const targets = rows.flatMap((row) => (row.client_id === null ? [] : [{ clientId: row.client_id }]));
  return queueLogout(deps, accountId, reason, targets);
}

export interface LogoutDeliveryOptions {
  db: OidcDb;
  state: SharedState;
  secrets: SecretBox;
  signingKeys: SigningKeys;
  issuer: string;
  logger: FastifyBaseLogger;
  /** How often each instance looks for due deliveries besides being woken (default 5 s). */
  pollMs?: number;
  /** The first retry waits this long; each next one twice as long (default 10 s). */
  retryBaseMs?: number;
  /** A receiver that has not answered by then has failed this attempt (default 5 s). */
  timeoutMs?: number;
  now?: () => number;
}

/** Sends queued logout tokens; one per instance, started with the server and stopped on close. */
export class LogoutDeliveries {
  readonly #options: LogoutDeliveryOptions;
  #timer: NodeJS.Timeout | undefined;
  #subscription: Subscription | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #prunedAt = Number.NEGATIVE_INFINITY;

  constructor(options: LogoutDeliveryOptions) {
    this.#options = options;
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  async start(): Promise<void> {
    this.#subscription = await this.#options.state.subscribe(KICK_CHANNEL, () => this.wake());
    this.#timer = setInterval(() => this.wake(), this.#options.pollMs ?? 5000);
    this.#timer.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#subscription?.unsubscribe();
    await this.#running;
  }

  /** Sends what is due now; a wake during a run makes one more run after it. */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#running = this.deliverDue()
      .then(() => undefined)
      .catch((error: unknown) => this.#options.logger.error({ err: error }, 'back-channel logout: delivery run failed'))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  /** Claims and sends every due delivery; returns how many it attempted. */
  async deliverDue(): Promise<number> {
    const { db } = this.#options;
    await this.#prune();
    let attempted = 0;
    for (;;) {
      const now = this.#now();
      const due = await db
        .selectFrom('oidc_logout_deliveries')
        .selectAll()
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .limit(20)
        .execute();
      if (due.length === 0) return attempted;
      for (const row of due) {
        // Claim: push the next attempt past this one's timeout; another instance's claim of the
        // same row finds next_attempt_at changed and skips it.
        const lease = now + (this.#options.timeoutMs ?? 5000) * 2;
        const claimed = await db
          .updateTable('oidc_logout_deliveries')
          .set({ next_attempt_at: lease })
          .where('id', '=', row.id)
          .where('status', '=', 'pending')
          .where('next_attempt_at', '=', row.next_attempt_at)
          .executeTakeFirst();
        if (claimed.numUpdatedRows !== 1n) continue;
        attempted++;
        await this.#attempt(row);
      }
    }
  }

  /** Drops finished deliveries older than KEEP_FINISHED_MS (any instance may; at most hourly each). */
  async #prune(): Promise<void> {
    const now = this.#now();
    if (now - this.#prunedAt < PRUNE_EVERY_MS) return;
    this.#prunedAt = now;
    await this.#options.db
      .deleteFrom('oidc_logout_deliveries')
      .where('status', 'in', ['delivered', 'failed'])
      .where('updated_at', '<', now - KEEP_FINISHED_MS)
      .execute();
  }

  async #attempt(row: { id: string; client_id: string; account_id: string; sid: string | null; reason: string; attempts: number }) {
    const { db, logger } = this.#options;
    const attempts = row.attempts + 1;
    const log = { clientId: row.client_id, accountId: row.account_id, reason: row.reason, attempt: attempts, deliveryId: row.id };
    let error: string | null = null;
    const application = await findApplication(db, this.#options.secrets, row.client_id);
    if (application?.backchannelLogoutUri == null) {
      // The application was deleted or stopped taking logouts since: nothing to deliver.
      error = 'the application no longer has a back-channel logout URI';
    } else {
      try {
        const response = await fetch(application.backchannelLogoutUri, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ logout_token: await this.#logoutToken(row, application) }),
          signal: AbortSignal.timeout(this.#options.timeoutMs ?? 5000),
        });
        // Spec 2.8: 200 OK (or 204) means the logout succeeded; anything else is a failure.
        if (response.status !== 200 && response.status !== 204) error = `HTTP ${response.status}`;
        await response.body?.cancel();
      } catch (caught) {
        error = caught instanceof Error ? caught.message : String(caught);
      }
    }
    const now = this.#now();
    if (error === null) {
      await db
        .updateTable('oidc_logout_deliveries')
        .set({ status: 'delivered', attempts, last_error: null, updated_at: now })
        .where('id', '=', row.id)
        .execute();
      logger.info(log, 'back-channel logout delivered');
      return;
    }
    const giveUp = attempts >= MAX_ATTEMPTS || application?.backchannelLogoutUri == null;
    const backoff = (this.#options.retryBaseMs ?? 10_000) * 2 ** (attempts - 1);
    await db
      .updateTable('oidc_logout_deliveries')
      .set({
        status: giveUp ? 'failed' : 'pending',
        attempts,
        last_error: error.slice(0, 500),
        next_attempt_at: now + backoff,
        updated_at: now,
      })
      .where('id', '=', row.id)
      .execute();
    logger.warn({ ...log, error, willRetry: !giveUp }, 'back-channel logout not delivered');
  }

  async #logoutToken(row: { client_id: string; account_id: string; sid: string | null }, application: Application): Promise<string> {
    const key = await this.#options.signingKeys.current(application.idTokenSignedResponseAlg ?? undefined);
    // The `sub` the application's ID tokens carry (spec 2.4: the RP finds the sessions by it), an
    // imported id for `subjectType: external`.
    const subject = await subjectFor(this.#options.db, row.account_id, application.subjectType);
    const claims = {
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      ...(row.sid === null ? {} : { sid: row.sid }),
    };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'logout+jwt' })
      .setIssuer(this.#options.issuer)
      .setAudience(row.client_id)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(`${LOGOUT_TOKEN_TTL_SECONDS}s`)
      .setJti(randomUUID())
      .sign(key.privateKey);
  }
}

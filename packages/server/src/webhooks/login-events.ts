/**
 * The opt-in login events: `login.succeeded` where a login turns into a session or tokens, and
 * `login.failed` where a login route answers with a problem — the same two places the login
 * statistics count them (stats/login-stats.ts). A login changes nobody's account, so there is no
 * transaction to join: the event is written on its own, and only when an endpoint asked for it.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../storage/schema.ts';
import { personSnapshot } from './events.ts';
import { writeOutbox } from './outbox.ts';

export interface LoginEvent {
  outcome: 'succeeded' | 'failed';
  userId?: string | undefined;
  scenario?: string | undefined;
  appid?: string | undefined;
  clientId?: string | undefined;
  /** For failures: the problem code the person got. */
  reason?: string | undefined;
}

export async function writeLoginEvent(db: Kysely<Tables>, event: LoginEvent, now = Date.now()): Promise<void> {
  const login = {
    scenario: event.scenario ?? null,
    appid: event.appid ?? null,
    clientId: event.clientId ?? null,
    ...(event.outcome === 'failed' ? { reason: event.reason ?? null } : {}),
  };
  const userId = event.userId;
  await writeOutbox(
    db,
    [
      {
        type: event.outcome === 'succeeded' ? 'login.succeeded' : 'login.failed',
        subjectId: userId ?? null,
        data: async (trx) => ({
          ...(userId === undefined ? { user: null, identities: [] } : await personSnapshot(trx, userId)),
          actor: userId === undefined ? { kind: 'system', id: null, name: null } : { kind: 'user', id: userId, name: null },
          login,
        }),
      },
    ],
    now,
  );
}

/**
 * Which identity events an audited change raises, and what they say. The audit log already records
 * every change to a person in the transaction that makes it (`recordAudit`); each entry below maps
 * to at most one webhook event, so the outbox row is written in that same transaction.
 *
 * A payload names the person (their profile as it is after the change), their WeChat identities
 * (appid, openid, unionid), the identity the event is about, and the actor. It is built from a
 * whitelist, never by copying the audit's before/after: no secret, password hash or session_key
 * can reach a receiver. Audit actions with no event here (e.g. `identity.unionid_recorded`,
 * `identifier.added`, connection and admin changes) raise none.
 */
import type { WebhookEventType } from '@weunion/management-api';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { PROFILE_COLUMNS } from '../identity/profile.ts';
import type { Tables } from '../storage/schema.ts';

/** What the audit log records, as far as events need it (identity/audit.ts's `AuditEntry`). */
export interface AuditedChange {
  actor: { kind: string; id: string | null; name?: string | null | undefined };
  action: string;
  subjectId: string | null;
  before?: unknown;
  after?: unknown;
}

export type OutboxEventType = WebhookEventType | 'webhook.ping';

/** An event not yet written: `data` is only built when some endpoint wants the event. */
export interface PendingEvent {
  type: OutboxEventType;
  /** The person it is about: events for one person are sent in order. */
  subjectId: string | null;
  data(db: Kysely<Tables>): Promise<Record<string, unknown>>;
}

export interface IdentityRef {
  id: string;
  appid: string;
  appType: string;
  openid: string;
  unionid: string | null;
  openPlatformId: string | null;
}

/** The person as the change left them: profile (no secrets) and WeChat identities. */
export async function personSnapshot(db: Kysely<Tables>, userId: string) {
  const user = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  const identities = await db
    .selectFrom('wechat_identities')
    .select(['id', 'appid', 'app_type', 'openid', 'unionid', 'open_platform_id'])
    .where('user_id', '=', userId)
    .orderBy('first_seen_at')
    .orderBy('id')
    .execute();
  return {
    user:
      user === undefined
        ? { id: userId }
        : {
            id: user.id,
            status: user.status,
            name: user.name,
            nickname: user.nickname,
            picture: user.picture,
            phoneNumber: user.phone_number,
            phoneNumberVerified: user.phone_number_verified === 1,
            email: user.email,
            emailVerified: user.email_verified === 1,
            mergedInto: user.merged_into,
          },
    identities: identities.map(
      (row): IdentityRef => ({
        id: row.id,
        appid: row.appid,
        appType: row.app_type,
        openid: row.openid,
        unionid: row.unionid,
        openPlatformId: row.open_platform_id,
      }),
    ),
  };
}

const identityRow = z.looseObject({
  id: z.string(),
  appid: z.string(),
  openid: z.string(),
  unionid: z.string().nullable().optional(),
  app_type: z.string().optional(),
  appType: z.string().optional(),
  open_platform_id: z.string().nullable().optional(),
  openPlatformId: z.string().nullable().optional(),
});

function identityRef(value: unknown): IdentityRef | null {
  const parsed = identityRow.safeParse(value);
  if (!parsed.success) return null;
  const row = parsed.data;
  return {
    id: row.id,
    appid: row.appid,
    appType: row.appType ?? row.app_type ?? '',
    openid: row.openid,
    unionid: row.unionid ?? null,
    openPlatformId: row.openPlatformId ?? row.open_platform_id ?? null,
  };
}

const record = z.record(z.string(), z.unknown());
const fields = (value: unknown): Record<string, unknown> => {
  const parsed = record.safeParse(value);
  return parsed.success ? parsed.data : {};
};
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v) => typeof v === 'string') : []);

/** The profile fields a `user.updated` may name (never a value of `password`, only that it changed). */
const PROFILE_FIELDS = new Set<string>([...PROFILE_COLUMNS, 'password']);
const CAMEL: Record<string, string> = {
  phone_number: 'phoneNumber',
  phone_number_verified: 'phoneNumberVerified',
  email_verified: 'emailVerified',
};

/** The webhook event an audited change raises, if any. */
export function eventForAudit(entry: AuditedChange): PendingEvent | null {
  const subjectId = entry.subjectId;
  if (subjectId === null) return null;
  const actor = { kind: entry.actor.kind, id: entry.actor.id, name: entry.actor.name ?? null };
  const after = fields(entry.after);
  const before = fields(entry.before);
  const about =
    (type: WebhookEventType, extra: () => Record<string, unknown> = () => ({})) =>
    (): PendingEvent => ({
      type,
      subjectId,
      data: async (db) => ({ ...(await personSnapshot(db, subjectId)), actor, ...extra() }),
    });
  switch (entry.action) {
    case 'user.created': {
      const source = fields(after.source);
      return about('user.created', () => (text(source.appid) === null ? {} : { source: { appid: text(source.appid) } }))();
    }
    case 'user.profile_updated':
      return about('user.updated', () => ({
        changes: Object.keys(after)
          .filter((key) => PROFILE_FIELDS.has(key))
          .map((key) => CAMEL[key] ?? key),
      }))();
    case 'identity.linked':
      return about('identity.linked', () => ({ identity: identityRef(after), via: text(after.via) }))();
    case 'identity.unlinked':
      return about('identity.unlinked', () => ({ identity: identityRef(before) }))();
    case 'identity.moved':
      return about('identity.linked', () => ({
        identityIds: strings(after.identityIds),
        via: 'moved',
        fromUserId: text(after.sourceUserId),
        mergeId: text(after.mergeId),
      }))();
    case 'identity.moved_out':
      return about('identity.unlinked', () => ({
        identityIds: strings(after.identityIds),
        via: 'moved',
        toUserId: text(after.targetUserId),
        mergeId: text(after.mergeId),
      }))();
    case 'identity.moved_back':
      return about('identity.linked', () => ({
        identityIds: strings(after.identityIds),
        via: 'moved_back',
        fromUserId: text(after.targetUserId),
        mergeId: text(after.mergeId),
      }))();
    case 'user.merged':
      return about('user.merged', () => ({ mergeId: text(after.mergeId), sourceUserId: text(after.sourceUserId) }))();
    case 'user.unmerged':
      return about('user.unmerged', () => ({ mergedInto: text(before.merged_into) }))();
    case 'user.blocked':
    case 'user.unblocked':
      return about(entry.action)();
    case 'user.deleted': {
      // The identities are gone by now: the event names those the person had.
      const identities = Array.isArray(before.identities) ? before.identities.map(identityRef).filter((i) => i !== null) : [];
      return { type: 'user.deleted', subjectId, data: async () => ({ user: { id: subjectId, status: 'deleted' }, identities, actor }) };
    }
    case 'merge_suggestion.created':
      return about('merge_suggestion.created', () => ({
        suggestion: { id: text(after.id), userId: subjectId, otherUserId: text(after.otherUserId), reason: text(after.reason) },
      }))();
    default:
      return null;
  }
}

/**
 * Importing people: the one path every import takes (Authing, weunion's CSV/JSON), dry run or not.
 *
 * Records are taken in batches. For each batch every key it names (external ids, openids, unionids,
 * verified phones and emails, and the accounts they lead to) is looked up with a few indexed `IN`
 * queries, each person is resolved in memory against what is known, and what the batch adds is
 * written with multi-row inserts in one transaction, together with the run's checkpoint — so a stopped
 * import resumes after its last committed batch, and a login racing the import (a unique constraint
 * lost) makes the batch look up and resolve again.
 *
 * The rules are the identity rules of the README, applied to records instead of logins:
 * - a person is joined to an account by the external id imported before, their unionid, an openid
 *   of theirs, or their verified phone (only when that account holds no other WeChat person of the
 *   same app or Open Platform account) — never by email;
 * - two people of the same source system are never joined to one account: the second is created,
 *   and what the two share becomes a merge suggestion;
 * - a unionid, openid or verified phone held by another account stays where it is: the record is a
 *   conflict, reported, and a merge suggestion is recorded for an admin (never merged);
 * - an account never gets a second openid of one app nor a second unionid of one Open Platform
 *   account; phone and email stay verified only when the source said so.
 * Running the same import again finds every record's account and adds nothing.
 */
import { createHash } from 'node:crypto';
import { AppError } from '@weunion/errors';
import { type Insertable, type Kysely, sql } from 'kysely';
import { type Actor, recordAudit } from '../identity/audit.ts';
import { newId } from '../identity/ids.ts';
import type { Database } from '../storage/database.ts';
import { isUniqueViolation } from '../storage/database.ts';
import type { ImportRunsTable, Tables, UserStatus } from '../storage/schema.ts';
import { withoutWebhooks } from '../webhooks/outbox.ts';
import { type ImportEvent, writeImportEvents } from './events.ts';
import { type ImportedPerson, recordKey, type UnreadableRecord } from './records.ts';

export type ImportKind = 'authing' | 'people';

/** What an import did (or, dry, would do). The same numbers for a dry run and the run after it. */
export interface ImportReport {
  runId: string | null;
  kind: ImportKind;
  dryRun: boolean;
  status: 'running' | 'stopped' | 'done';
  /** Records in the input, readable or not. */
  total: number;
  /** Records taken so far (a stopped run: up to its checkpoint). */
  processed: number;
  created: number;
  joined: number;
  unchanged: number;
  skipped: number;
  /** Records with at least one conflict (they are created or joined too, without what conflicts). */
  conflicts: number;
  identitiesAdded: number;
  unionidsClaimed: number;
  suggestions: number;
  skippedReasons: Record<string, number>;
  conflictReasons: Record<string, number>;
  /** WeChat identities of readable records that were not imported, by reason. */
  identitiesLeftOut: Record<string, number>;
  /** The first skipped and conflicting records, with why. */
  details: ImportDetail[];
  /** Why a run stopped before its end (resume it with the same input). */
  failure?: string;
}

export interface ImportDetail {
  key: string;
  position: number;
  kind: 'skipped' | 'conflict';
  reason: string;
  detail: string;
  /** The accounts involved (the record's, the other holder). */
  userId?: string;
  otherUserId?: string;
}

export interface ImportOptions {
  kind: ImportKind;
  /** Identifies the input (and mapping): `resume` continues the unfinished run of the same input. */
  inputHash: string;
  dryRun: boolean;
  /** Records per transaction (default 500). */
  batchSize?: number;
  resume?: boolean;
  /** Stop (status `stopped`) after this many batches of this call: resumable with `resume`. */
  stopAfterBatches?: number;
  /** Asked before each batch: true stops the run there (status `stopped`), e.g. on Ctrl-C. */
  shouldStop?: () => boolean;
  actor: Actor;
  /** Identity webhooks for what the import changes, written to the outbox in each batch's transaction; off unless asked. */
  emitEvents?: boolean;
  /** Told after every batch (progress). */
  onProgress?: (report: ImportReport) => void;
  unreadable?: UnreadableRecord[];
  identitiesLeftOut?: Record<string, number>;
}

const MAX_DETAILS = 200;
const LOOKUP_CHUNK = 900;
const MAX_ATTEMPTS = 8;
/** A `running` run whose last batch is older than this has died: `resume` takes it over. */
const RUNNING_LEASE_MS = 5 * 60_000;

export function hashInput(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

interface ConnectionFacts {
  appType: string;
  openPlatformId: string | null;
}

interface AccountFacts {
  status: UserStatus;
  mergedInto: string | null;
  appids: Set<string>;
  unionidByPlatform: Map<string, string>;
  externalSources: Set<string>;
  verifiedPhone: boolean;
  verifiedEmail: boolean;
  phoneNumber: string | null;
  email: string | null;
  name: string | null;
  nickname: string | null;
  picture: string | null;
  gender: string | null;
  locale: string | null;
}

/** What is known of the database (and, in a dry run, of what the run would have written). */
class Known {
  readonly external = new Map<string, string | null>();
  readonly ledger = new Map<string, string | null>();
  readonly unionid = new Map<string, string | null>();
  readonly phone = new Map<string, string | null>();
  readonly email = new Map<string, string | null>();
  readonly accounts = new Map<string, AccountFacts | null>();
  readonly suggested = new Set<string>();
}

const key2 = (a: string, b: string) => `${a}\0${b}`;

/** The writes of one batch. */
interface BatchWrites {
  users: Insertable<Tables['users']>[];
  userUpdates: Map<string, Record<string, string | number | null>>;
  externalIds: Insertable<Tables['user_external_ids']>[];
  unionidOwners: Insertable<Tables['unionid_owners']>[];
  identifiers: Insertable<Tables['user_identifiers']>[];
  identities: Insertable<Tables['wechat_identities']>[];
  suggestions: {
    userId: string;
    otherUserId: string;
    reason: string;
    openPlatformId: string | null;
    unionid: string | null;
    appid: string | null;
    openid: string | null;
  }[];
  audits: { userId: string; created: boolean; after: Record<string, unknown> }[];
  events: ImportEvent[];
}

function emptyWrites(): BatchWrites {
  return {
    users: [],
    userUpdates: new Map(),
    externalIds: [],
    unionidOwners: [],
    identifiers: [],
    identities: [],
    suggestions: [],
    audits: [],
    events: [],
  };
}

function emptyReport(kind: ImportKind, dryRun: boolean, total: number): ImportReport {
  return {
    runId: null,
    kind,
    dryRun,
    status: 'running',
    total,
    processed: 0,
    created: 0,
    joined: 0,
    unchanged: 0,
    skipped: 0,
    conflicts: 0,
    identitiesAdded: 0,
    unionidsClaimed: 0,
    suggestions: 0,
    skippedReasons: {},
    conflictReasons: {},
    identitiesLeftOut: {},
    details: [],
  };
}

function count(record: Record<string, number>, reason: string, by = 1): void {
  record[reason] = (record[reason] ?? 0) + by;
}

function addDetail(report: ImportReport, detail: ImportDetail): void {
  if (report.details.length < MAX_DETAILS) report.details.push(detail);
}

/** Imports `people` (already read from a file); returns the report. */
export async function runImport(database: Database, people: ImportedPerson[], options: ImportOptions): Promise<ImportReport> {
  // No webhook for anything an import changes unless asked; asked, they are the import's own (events.ts).
  return options.emitEvents === true
    ? importRecords(database, people, options)
    : withoutWebhooks(() => importRecords(database, people, options));
}

async function importRecords(database: Database, people: ImportedPerson[], options: ImportOptions): Promise<ImportReport> {
  const db = database.db;
  const batchSize = Math.max(1, Math.min(options.batchSize ?? 500, 5000));
  const unreadable = options.unreadable ?? [];
  const total = people.length + unreadable.length;
  let report = emptyReport(options.kind, options.dryRun, total);
  let start = 0;
  let runId: string | null = null;

  if (!options.dryRun && options.resume === true) {
    const previous = await db
      .selectFrom('import_runs')
      .selectAll()
      .where('kind', '=', options.kind)
      .where('input_hash', '=', options.inputHash)
      .where('status', '<>', 'done')
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    if (previous !== undefined) {
      // A run that wrote a batch a moment ago is still going (another process, another request).
      if (previous.status === 'running' && Date.now() - Number(previous.updated_at) < RUNNING_LEASE_MS) {
        throw new AppError('conflict', `an import of this file is running (${previous.id}); follow it, or resume it once it has stopped`, {
          details: { runId: previous.id },
        });
      }
      runId = previous.id;
      start = Number(previous.next_index);
      report = { ...emptyReport(options.kind, false, total), ...(JSON.parse(previous.report) as Partial<ImportReport>) };
      report.status = 'running';
    }
  }
  if (runId === null) {
    for (const record of unreadable) {
      report.skipped++;
      count(report.skippedReasons, record.reason);
      addDetail(report, { key: record.key, position: record.position, kind: 'skipped', reason: record.reason, detail: record.detail });
    }
    report.processed += unreadable.length;
    for (const [reason, n] of Object.entries(options.identitiesLeftOut ?? {})) count(report.identitiesLeftOut, reason, n);
    if (!options.dryRun) {
      runId = newId('imp');
      const now = Date.now();
      const row: Insertable<ImportRunsTable> = {
        id: runId,
        kind: options.kind,
        input_hash: options.inputHash,
        status: 'running',
        next_index: 0,
        total,
        report: JSON.stringify({ ...report, runId }),
        actor: options.actor.name ?? options.actor.id ?? options.actor.kind,
        created_at: now,
        updated_at: now,
      };
      await db.insertInto('import_runs').values(row).execute();
    }
  }
  report.runId = runId;

  const connections = new Map<string, ConnectionFacts>();
  for (const c of await db.selectFrom('connections').select(['appid', 'app_type', 'open_platform_id']).execute()) {
    connections.set(c.appid, { appType: c.app_type, openPlatformId: c.open_platform_id });
  }

  const known = new Known();
  let batches = 0;
  try {
    for (let index = start; index < people.length; index += batchSize) {
      if ((options.stopAfterBatches !== undefined && batches >= options.stopAfterBatches) || options.shouldStop?.() === true) {
        report.status = 'stopped';
        break;
      }
      const batch = people.slice(index, index + batchSize);
      const next = index + batch.length;
      if (options.dryRun) {
        await loadFacts(db, known, batch, connections);
        planBatch(batch, known, connections, emptyWrites(), report);
      } else {
        report = await applyBatch(database, batch, connections, report, next, options, known);
      }
      batches++;
      // PostgreSQL plans the batch look-ups from table statistics; tables that grew from nearly empty
      // during this import would be read with sequential scans until autovacuum catches up.
      if (!options.dryRun && database.dialect === 'postgres' && (batches & (batches - 1)) === 0) await refreshStatistics(db);
      options.onProgress?.(report);
    }
  } catch (error) {
    // The batches committed so far stay; the run says where it stopped and why, for a resume.
    if (runId !== null) {
      const failed = { ...report, status: 'stopped' as const, failure: error instanceof Error ? error.message : String(error) };
      await db
        .updateTable('import_runs')
        .set({ status: 'stopped', report: JSON.stringify(failed), updated_at: Date.now() })
        .where('id', '=', runId)
        .execute()
        .catch(() => {});
    }
    throw error;
  }
  if (report.status === 'running') report.status = 'done';
  if (runId !== null) {
    await db
      .updateTable('import_runs')
      .set({ status: report.status, report: JSON.stringify(report), updated_at: Date.now() })
      .where('id', '=', runId)
      .execute();
  }
  return report;
}

/** Plans and writes one batch in a transaction, again from fresh look-ups when a concurrent change won a race. */
async function applyBatch(
  database: Database,
  batch: ImportedPerson[],
  connections: Map<string, ConnectionFacts>,
  before: ImportReport,
  nextIndex: number,
  options: ImportOptions,
  known: Known,
): Promise<ImportReport> {
  for (let attempt = 1; ; attempt++) {
    const report: ImportReport = structuredClone(before);
    const writes = emptyWrites();
    try {
      await database.db.transaction().execute(async (trx) => {
        await loadFacts(trx, known, batch, connections);
        planBatch(batch, known, connections, writes, report);
        await writeBatch(trx, writes, options.actor, report);
        if (options.emitEvents === true) await writeImportEvents(trx, writes.events, options.actor);
        if (report.runId !== null) {
          await trx
            .updateTable('import_runs')
            .set({ next_index: nextIndex, report: JSON.stringify(report), updated_at: Date.now() })
            .where('id', '=', report.runId)
            .execute();
        }
      });
      return report;
    } catch (error) {
      // What was planned is not in the database: forget everything known and look up again.
      clearKnown(known);
      const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
      const retryable = isUniqueViolation(error) || code === '40P01' || code === '40001';
      if (!retryable || attempt >= MAX_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}

async function refreshStatistics(db: Kysely<Tables>): Promise<void> {
  await sql`analyze users, wechat_identities, unionid_owners, user_identifiers, user_external_ids`.execute(db);
}

function clearKnown(known: Known): void {
  known.external.clear();
  known.ledger.clear();
  known.unionid.clear();
  known.phone.clear();
  known.email.clear();
  known.accounts.clear();
}

function chunks<T>(values: T[], size = LOOKUP_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

/** Looks up, with indexed `IN` queries, every key of the batch not known yet, and the accounts they lead to. */
async function loadFacts(db: Kysely<Tables>, known: Known, batch: ImportedPerson[], connections: Map<string, ConnectionFacts>) {
  const externals = new Map<string, Set<string>>();
  const openids = new Set<string>();
  const unionids = new Map<string, Set<string>>();
  const phones = new Set<string>();
  const emails = new Set<string>();
  const accountIds = new Set<string>();
  for (const person of batch) {
    if (person.external !== undefined && !known.external.has(key2(person.external.source, person.external.id))) {
      const set = externals.get(person.external.source) ?? new Set();
      set.add(person.external.id);
      externals.set(person.external.source, set);
    }
    if (person.id !== undefined && !known.accounts.has(person.id)) accountIds.add(person.id);
    for (const w of person.wechat) {
      if (w.openid !== undefined && !known.ledger.has(key2(w.appid, w.openid))) openids.add(w.openid);
      const platform = connections.get(w.appid)?.openPlatformId;
      if (w.unionid !== undefined && platform != null && !known.unionid.has(key2(platform, w.unionid))) {
        const set = unionids.get(platform) ?? new Set();
        set.add(w.unionid);
        unionids.set(platform, set);
      }
    }
    if (person.phone?.verified === true && !known.phone.has(person.phone.value)) phones.add(person.phone.value);
    if (person.email?.verified === true && !known.email.has(person.email.value)) emails.add(person.email.value);
  }

  for (const [source, ids] of externals) {
    for (const chunk of chunks([...ids])) {
      for (const id of chunk) known.external.set(key2(source, id), null);
      const rows = await db
        .selectFrom('user_external_ids')
        .select(['external_id', 'user_id'])
        .where('source', '=', source)
        .where('external_id', 'in', chunk)
        .execute();
      for (const row of rows) {
        known.external.set(key2(source, row.external_id), row.user_id);
        accountIds.add(row.user_id);
      }
    }
  }
  const wanted = new Set<string>();
  for (const person of batch) {
    for (const w of person.wechat) {
      if (w.openid === undefined) continue;
      const key = key2(w.appid, w.openid);
      if (known.ledger.has(key)) continue;
      wanted.add(key);
      known.ledger.set(key, null);
    }
  }
  for (const chunk of chunks([...openids])) {
    const rows = await db.selectFrom('wechat_identities').select(['appid', 'openid', 'user_id']).where('openid', 'in', chunk).execute();
    for (const row of rows) {
      const key = key2(row.appid, row.openid);
      if (!wanted.has(key)) continue;
      known.ledger.set(key, row.user_id);
      accountIds.add(row.user_id);
    }
  }
  for (const [platform, values] of unionids) {
    for (const chunk of chunks([...values])) {
      for (const u of chunk) known.unionid.set(key2(platform, u), null);
      const rows = await db
        .selectFrom('unionid_owners')
        .select(['unionid', 'user_id'])
        .where('open_platform_id', '=', platform)
        .where('unionid', 'in', chunk)
        .execute();
      for (const row of rows) {
        known.unionid.set(key2(platform, row.unionid), row.user_id);
        accountIds.add(row.user_id);
      }
    }
  }
  for (const [kind, values, map] of [
    ['phone', phones, known.phone],
    ['email', emails, known.email],
  ] as const) {
    for (const chunk of chunks([...values])) {
      for (const v of chunk) map.set(v, null);
      const rows = await db
        .selectFrom('user_identifiers')
        .select(['value', 'user_id'])
        .where('kind', '=', kind)
        .where('value', 'in', chunk)
        .execute();
      for (const row of rows) {
        map.set(row.value, row.user_id);
        accountIds.add(row.user_id);
      }
    }
  }
  await loadAccounts(db, known, accountIds);
}

async function loadAccounts(db: Kysely<Tables>, known: Known, ids: Set<string>): Promise<void> {
  let pending = [...ids].filter((id) => !known.accounts.has(id));
  for (let hop = 0; pending.length > 0 && hop < 4; hop++) {
    const followed = new Set<string>();
    for (const chunk of chunks(pending)) {
      for (const id of chunk) known.accounts.set(id, null);
      const users = await db.selectFrom('users').selectAll().where('id', 'in', chunk).execute();
      const facts = new Map<string, AccountFacts>();
      for (const u of users) {
        facts.set(u.id, {
          status: u.status,
          mergedInto: u.merged_into,
          appids: new Set(),
          unionidByPlatform: new Map(),
          externalSources: new Set(),
          verifiedPhone: false,
          verifiedEmail: false,
          phoneNumber: u.phone_number,
          email: u.email,
          name: u.name,
          nickname: u.nickname,
          picture: u.picture,
          gender: u.gender,
          locale: u.locale,
        });
        if (u.status === 'merged' && u.merged_into !== null && !known.accounts.has(u.merged_into)) followed.add(u.merged_into);
      }
      const present = [...facts.keys()];
      if (present.length > 0) {
        for (const row of await db.selectFrom('wechat_identities').select(['user_id', 'appid']).where('user_id', 'in', present).execute()) {
          facts.get(row.user_id)?.appids.add(row.appid);
        }
        for (const row of await db
          .selectFrom('unionid_owners')
          .select(['user_id', 'open_platform_id', 'unionid'])
          .where('user_id', 'in', present)
          .execute()) {
          facts.get(row.user_id)?.unionidByPlatform.set(row.open_platform_id, row.unionid);
        }
        for (const row of await db
          .selectFrom('user_external_ids')
          .select(['user_id', 'source'])
          .where('user_id', 'in', present)
          .execute()) {
          facts.get(row.user_id)?.externalSources.add(row.source);
        }
        for (const row of await db.selectFrom('user_identifiers').select(['user_id', 'kind']).where('user_id', 'in', present).execute()) {
          const f = facts.get(row.user_id);
          if (f === undefined) continue;
          if (row.kind === 'phone') f.verifiedPhone = true;
          else f.verifiedEmail = true;
        }
      }
      for (const [id, f] of facts) known.accounts.set(id, f);
      // Suggestions already open for these accounts: a dry run then counts what the run will add.
      if (present.length > 0) {
        for (const column of ['user_id', 'other_user_id'] as const) {
          for (const row of await db
            .selectFrom('merge_suggestions')
            .select(['user_id', 'other_user_id', 'reason'])
            .where(column, 'in', present)
            .execute()) {
            known.suggested.add([row.user_id, row.other_user_id].sort().join('\0') + row.reason);
          }
        }
      }
    }
    pending = [...followed];
  }
}

/** The live account behind an id: a merged account leads to the one it was merged into. */
function liveAccount(known: Known, id: string | null | undefined): { id: string; facts: AccountFacts } | null {
  let current = id ?? null;
  for (let hop = 0; current !== null && hop < 5; hop++) {
    const facts = known.accounts.get(current);
    if (facts == null) return null;
    if (facts.status === 'merged') {
      current = facts.mergedInto;
      continue;
    }
    if (facts.status === 'deleted') return null;
    return { id: current, facts };
  }
  return null;
}

function newAccountFacts(person: ImportedPerson): AccountFacts {
  return {
    status: person.status,
    mergedInto: null,
    appids: new Set(),
    unionidByPlatform: new Map(),
    externalSources: new Set(),
    verifiedPhone: false,
    verifiedEmail: false,
    phoneNumber: null,
    email: null,
    name: person.name ?? null,
    nickname: person.nickname ?? null,
    picture: person.picture ?? null,
    gender: person.gender ?? null,
    locale: person.locale ?? null,
  };
}

interface PlannedIdentity {
  appid: string;
  appType: string;
  openPlatformId: string | null;
  openid?: string;
  unionid?: string;
}

/** Resolves each person of the batch against what is known, updating it and collecting the writes. */
function planBatch(
  batch: ImportedPerson[],
  known: Known,
  connections: Map<string, ConnectionFacts>,
  writes: BatchWrites,
  report: ImportReport,
): ImportReport {
  const now = Date.now();
  for (const person of batch) {
    report.processed++;
    const key = recordKey(person);
    // The record's WeChat identities, with the Open Platform account of each app.
    const identities: PlannedIdentity[] = [];
    const recordUnionids = new Map<string, string>();
    const conflicts: Omit<ImportDetail, 'key' | 'position' | 'kind'>[] = [];
    for (const w of person.wechat) {
      const connection = connections.get(w.appid);
      if (connection === undefined) {
        count(report.identitiesLeftOut, 'appid is not a weunion connection');
        continue;
      }
      let unionid = w.unionid;
      if (unionid !== undefined && connection.openPlatformId === null) {
        count(report.identitiesLeftOut, 'unionid of an app with no Open Platform account');
        unionid = undefined;
      }
      if (unionid !== undefined && connection.openPlatformId !== null) {
        const other = recordUnionids.get(connection.openPlatformId);
        if (other !== undefined && other !== unionid) {
          conflicts.push({
            reason: 'two_unionids',
            detail: `two unionids under ${connection.openPlatformId} in one record; ${unionid} left out`,
          });
          unionid = undefined;
        } else {
          recordUnionids.set(connection.openPlatformId, unionid);
        }
      }
      if (w.openid === undefined && unionid === undefined) continue;
      identities.push({
        appid: w.appid,
        appType: connection.appType,
        openPlatformId: connection.openPlatformId,
        ...(w.openid === undefined ? {} : { openid: w.openid }),
        ...(unionid === undefined ? {} : { unionid }),
      });
    }
    if (
      person.external === undefined &&
      person.id === undefined &&
      identities.length === 0 &&
      person.phone === undefined &&
      person.email === undefined
    ) {
      report.skipped++;
      count(report.skippedReasons, 'empty');
      addDetail(report, {
        key,
        position: person.position,
        kind: 'skipped',
        reason: 'empty',
        detail: 'nothing to import: no id, WeChat identity, phone or email',
      });
      continue;
    }

    // Who the record is: the account its external id (or weunion id) names, else the one its WeChat
    // identities lead to, else the one its verified phone leads to when that cannot mix two people.
    const sameSourceElsewhere = (facts: AccountFacts) => person.external !== undefined && facts.externalSources.has(person.external.source);
    let target =
      person.external === undefined ? null : liveAccount(known, known.external.get(key2(person.external.source, person.external.id)));
    if (target === null && person.id !== undefined) target = liveAccount(known, person.id);
    let via: string = target === null ? 'created' : 'id';
    if (target === null) {
      const found: { id: string; facts: AccountFacts }[] = [];
      for (const [platform, unionid] of recordUnionids) {
        const owner = liveAccount(known, known.unionid.get(key2(platform, unionid)));
        if (owner !== null) found.push(owner);
      }
      for (const i of identities) {
        if (i.openid === undefined) continue;
        const holder = liveAccount(known, known.ledger.get(key2(i.appid, i.openid)));
        if (holder !== null) found.push(holder);
      }
      target = found.find((candidate) => !sameSourceElsewhere(candidate.facts)) ?? null;
      if (target !== null) via = 'wechat';
      else if (person.phone?.verified === true) {
        const owner = liveAccount(known, known.phone.get(person.phone.value));
        if (owner !== null && found.length === 0 && !sameSourceElsewhere(owner.facts) && mayJoinByPhone(owner.facts, identities)) {
          target = owner;
          via = 'phone';
        }
      }
    }

    const created = target === null;
    let userId: string;
    let facts: AccountFacts;
    if (target === null) {
      userId = person.id !== undefined && known.accounts.get(person.id) === null ? person.id : newId('usr');
      facts = newAccountFacts(person);
      known.accounts.set(userId, facts);
    } else {
      userId = target.id;
      facts = target.facts;
    }
    const added = { identities: 0, unionids: 0, phone: false, email: false, external: false };
    const suggest = (otherUserId: string, reason: string, about: Partial<BatchWrites['suggestions'][number]>) => {
      const pair = [userId, otherUserId].sort().join('\0') + reason;
      if (known.suggested.has(pair)) return;
      known.suggested.add(pair);
      report.suggestions++;
      writes.suggestions.push({ userId, otherUserId, reason, openPlatformId: null, unionid: null, appid: null, openid: null, ...about });
    };

    // The external id: what makes the next run find this record's account.
    if (person.external !== undefined) {
      const k = key2(person.external.source, person.external.id);
      if (known.external.get(k) == null) {
        known.external.set(k, userId);
        facts.externalSources.add(person.external.source);
        writes.externalIds.push({
          source: person.external.source,
          external_id: person.external.id,
          user_id: userId,
          data: person.external.data === undefined ? null : JSON.stringify(person.external.data),
          created_at: now,
        });
        added.external = true;
      }
    }

    // Unionids: the join key of the person under each Open Platform account.
    for (const [platform, unionid] of recordUnionids) {
      const k = key2(platform, unionid);
      const owner = liveAccount(known, known.unionid.get(k));
      if (owner?.id === userId) continue;
      if (owner !== null) {
        conflicts.push({
          reason: 'unionid_held',
          detail: `unionid ${unionid} (${platform}) belongs to another account`,
          otherUserId: owner.id,
        });
        suggest(owner.id, 'import_unionid_conflict', { openPlatformId: platform, unionid });
        continue;
      }
      if (known.unionid.get(k) != null) {
        conflicts.push({ reason: 'unionid_held', detail: `unionid ${unionid} (${platform}) belongs to a deleted account` });
        continue;
      }
      const own = facts.unionidByPlatform.get(platform);
      if (own !== undefined && own !== unionid) {
        conflicts.push({ reason: 'account_has_other_unionid', detail: `the account already holds unionid ${own} under ${platform}` });
        continue;
      }
      known.unionid.set(k, userId);
      facts.unionidByPlatform.set(platform, unionid);
      writes.unionidOwners.push({ open_platform_id: platform, unionid, user_id: userId, created_at: now });
      added.unionids++;
    }

    // Ledger rows: one per (appid, openid), carrying the person's unionid under the app's platform.
    for (const i of identities) {
      if (i.openid === undefined) continue;
      const k = key2(i.appid, i.openid);
      const holder = liveAccount(known, known.ledger.get(k));
      if (holder?.id === userId) continue;
      if (holder !== null || known.ledger.get(k) != null) {
        conflicts.push({
          reason: 'openid_held',
          detail: `openid ${i.openid} of ${i.appid} belongs to another account`,
          ...(holder === null ? {} : { otherUserId: holder.id }),
        });
        if (holder !== null) suggest(holder.id, 'import_openid_conflict', { appid: i.appid, openid: i.openid });
        continue;
      }
      if (facts.appids.has(i.appid)) {
        conflicts.push({ reason: 'account_has_other_openid', detail: `the account already holds another openid of ${i.appid}` });
        continue;
      }
      const unionid = i.openPlatformId === null ? undefined : recordUnionids.get(i.openPlatformId);
      // The row's unionid is the account's only: one it does not own stays off the row.
      const rowUnionid =
        unionid !== undefined && i.openPlatformId !== null && facts.unionidByPlatform.get(i.openPlatformId) === unionid ? unionid : null;
      known.ledger.set(k, userId);
      facts.appids.add(i.appid);
      const id = newId('wid');
      writes.identities.push({
        id,
        user_id: userId,
        appid: i.appid,
        app_type: i.appType,
        open_platform_id: i.openPlatformId,
        openid: i.openid,
        unionid: rowUnionid,
        first_seen_at: now,
        last_seen_at: now,
        phone: null,
        phone_verified_at: null,
        last_profile: null,
      });
      writes.events.push({
        type: 'identity.linked',
        userId,
        identityId: id,
        appid: i.appid,
        appType: i.appType,
        openPlatformId: i.openPlatformId,
        openid: i.openid,
        unionid: rowUnionid,
      });
      added.identities++;
    }

    // Phone and email: verified only when the source said so; never a join key for email.
    const update: Record<string, string | number | null> = {};
    for (const kind of ['phone', 'email'] as const) {
      const value = person[kind];
      if (value === undefined) continue;
      const map = kind === 'phone' ? known.phone : known.email;
      const field = kind === 'phone' ? 'phoneNumber' : 'email';
      let verifiedHere = false;
      if (value.verified) {
        const owner = map.get(value.value);
        const live = liveAccount(known, owner);
        if (live?.id === userId) verifiedHere = true;
        else if (owner != null) {
          conflicts.push({
            reason: `${kind}_held`,
            detail: `verified ${kind} ${value.value} belongs to another account`,
            ...(live === null ? {} : { otherUserId: live.id }),
          });
          if (kind === 'phone' && live !== null) suggest(live.id, 'import_phone_conflict', {});
        } else if (!(kind === 'phone' ? facts.verifiedPhone : facts.verifiedEmail)) {
          // An account keeps the verified value it has; a second one would be a second person's.
          map.set(value.value, userId);
          if (kind === 'phone') facts.verifiedPhone = true;
          else facts.verifiedEmail = true;
          writes.identifiers.push({ id: newId('idf'), user_id: userId, kind, value: value.value, verified_at: now });
          added[kind] = true;
          verifiedHere = true;
        }
      }
      if (facts[field] === null || (facts[field] === value.value && added[kind])) {
        facts[field] = value.value;
        update[kind === 'phone' ? 'phone_number' : 'email'] = value.value;
        update[kind === 'phone' ? 'phone_number_verified' : 'email_verified'] = verifiedHere ? 1 : 0;
      }
    }

    if (created) {
      writes.users.push({
        id: userId,
        status: person.status,
        name: person.name ?? null,
        nickname: person.nickname ?? null,
        picture: person.picture ?? null,
        gender: person.gender ?? null,
        locale: person.locale ?? null,
        phone_number: (update.phone_number as string | undefined) ?? null,
        phone_number_verified: (update.phone_number_verified as number | undefined) ?? 0,
        email: (update.email as string | undefined) ?? null,
        email_verified: (update.email_verified as number | undefined) ?? 0,
        merged_into: null,
        created_at: now,
        updated_at: now,
        last_login_at: null,
      });
      writes.events.unshift({ type: 'user.created', userId });
      report.created++;
    } else {
      for (const field of ['name', 'nickname', 'picture', 'gender', 'locale'] as const) {
        const value = person[field];
        if (value !== undefined && facts[field] === null) {
          facts[field] = value;
          update[field] = value;
        }
      }
      const changed = Object.keys(update).length > 0;
      if (changed) writes.userUpdates.set(userId, { ...(writes.userUpdates.get(userId) ?? {}), ...update, updated_at: now });
      const gained = changed || added.identities > 0 || added.unionids > 0 || added.external;
      if (gained) {
        report.joined++;
        writes.events.push({ type: 'user.updated', userId });
      } else report.unchanged++;
    }
    report.identitiesAdded += added.identities;
    report.unionidsClaimed += added.unionids;
    if (
      created ||
      added.identities + added.unionids > 0 ||
      added.phone ||
      added.email ||
      added.external ||
      Object.keys(update).length > 0
    ) {
      writes.audits.push({
        userId,
        created,
        after: { source: person.external?.source ?? 'import', externalId: person.external?.id ?? null, via, added },
      });
    }
    if (conflicts.length > 0) {
      report.conflicts++;
      for (const c of conflicts) {
        count(report.conflictReasons, c.reason);
        addDetail(report, { key, position: person.position, kind: 'conflict', userId, ...c });
      }
    }
  }
  return report;
}

/** A verified phone may join an account only if that cannot put two WeChat people into it. */
function mayJoinByPhone(facts: AccountFacts, identities: PlannedIdentity[]): boolean {
  if (facts.status !== 'active') return false;
  for (const i of identities) {
    if (i.openid !== undefined && facts.appids.has(i.appid)) return false;
    if (i.unionid !== undefined && i.openPlatformId !== null) {
      const own = facts.unionidByPlatform.get(i.openPlatformId);
      if (own !== undefined && own !== i.unionid) return false;
    }
  }
  return true;
}

/** Multi-row inserts, in the order logins write (users, unionid claims, identifiers, ledger, suggestions, audit). */
async function writeBatch(trx: Kysely<Tables>, writes: BatchWrites, actor: Actor, report: ImportReport): Promise<void> {
  // Chunks of at most ~15,000 bound values: under SQLite's and PostgreSQL's limits on parameters.
  const inChunks = async <R>(rows: R[], columns: number, write: (chunk: R[]) => Promise<unknown>) => {
    const size = Math.max(1, Math.floor(15_000 / columns));
    for (let i = 0; i < rows.length; i += size) await write(rows.slice(i, i + size));
  };
  await inChunks(writes.users, 16, (rows) => trx.insertInto('users').values(rows).execute());
  for (const [id, set] of writes.userUpdates) await trx.updateTable('users').set(set).where('id', '=', id).execute();
  await inChunks(writes.externalIds, 5, (rows) => trx.insertInto('user_external_ids').values(rows).execute());
  await inChunks(writes.unionidOwners, 4, (rows) => trx.insertInto('unionid_owners').values(rows).execute());
  await inChunks(writes.identifiers, 5, (rows) => trx.insertInto('user_identifiers').values(rows).execute());
  await inChunks(writes.identities, 12, (rows) => trx.insertInto('wechat_identities').values(rows).execute());
  const now = Date.now();
  for (const s of writes.suggestions) {
    const existing = await trx
      .selectFrom('merge_suggestions')
      .select('id')
      .where((eb) =>
        eb.or([
          eb.and([eb('user_id', '=', s.userId), eb('other_user_id', '=', s.otherUserId)]),
          eb.and([eb('user_id', '=', s.otherUserId), eb('other_user_id', '=', s.userId)]),
        ]),
      )
      .where('reason', '=', s.reason)
      .executeTakeFirst();
    if (existing !== undefined) {
      report.suggestions--;
      continue;
    }
    const id = newId('sug');
    await trx
      .insertInto('merge_suggestions')
      .values({
        id,
        user_id: s.userId,
        other_user_id: s.otherUserId,
        reason: s.reason,
        open_platform_id: s.openPlatformId,
        unionid: s.unionid,
        appid: s.appid,
        openid: s.openid,
        status: 'open',
        created_at: now,
        resolved_at: null,
      })
      .execute();
    await recordAudit(
      trx,
      { actor, action: 'merge_suggestion.created', subjectId: s.userId, after: { id, otherUserId: s.otherUserId, reason: s.reason } },
      now,
      // Raised with the import's other events (events.ts), only when asked for.
      { webhooks: false },
    );
    writes.events.push({
      type: 'merge_suggestion.created',
      suggestionId: id,
      userId: s.userId,
      otherUserId: s.otherUserId,
      reason: s.reason,
    });
  }
  await inChunks(
    writes.audits.map((a) => ({
      id: newId('aud'),
      at: now,
      actor_kind: actor.kind,
      actor_id: actor.id,
      actor_name: actor.name ?? null,
      action: a.created ? 'user.imported' : 'user.import_joined',
      subject_id: a.userId,
      before: null,
      after: JSON.stringify(a.after),
    })),
    9,
    (rows) => trx.insertInto('audit_log').values(rows).execute(),
  );
}

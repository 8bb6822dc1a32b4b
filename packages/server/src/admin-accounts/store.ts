/**
 * Admin accounts: the people who sign in to the console (issue #9). A username (lower-case, so
 * "Alice" and "alice" are one account), a scrypt password hash (identity/password.ts), and an
 * optional TOTP secret sealed with the master key. Every change is audited in the same
 * transaction; the CLI and the console call these same functions.
 */
import { AppError } from '@weunion/errors';
import type { Kysely } from 'kysely';
import { type Actor, recordAudit } from '../identity/audit.ts';
import { newId } from '../identity/ids.ts';
import { hashPassword, verifyPasswordHash } from '../identity/password.ts';
import type { SecretBox } from '../secrets/master-key.ts';
import type { AdminAccountsTable, Tables } from '../storage/schema.ts';
import { deleteRecoveryCodes } from './recovery-codes.ts';

export const MIN_PASSWORD_LENGTH = 10;
/** scrypt reads at most this much; a longer "password" is a way to burn CPU, not a password. */
const MAX_PASSWORD_LENGTH = 1024;
const USERNAME = /^[a-z0-9._-]{3,64}$/;

export interface AdminAccountView {
  id: string;
  username: string;
  displayName: string | null;
  totpEnabled: boolean;
  createdAt: number;
  updatedAt: number;
  lastLoginAt: number | null;
  disabledAt: number | null;
}

export function adminAccountView(row: AdminAccountsTable): AdminAccountView {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    totpEnabled: row.totp_secret_sealed !== null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastLoginAt: row.last_login_at,
    disabledAt: row.disabled_at,
  };
}

/** The canonical username: trimmed and lower-cased, 3–64 of [a-z0-9._-]. */
export function normalizeUsername(input: string): string {
  const username = input.trim().toLowerCase();
  if (!USERNAME.test(username)) {
    throw new AppError('validation_failed', 'A username is 3–64 characters of a–z, 0–9, ".", "_" and "-"', {
      details: { field: 'username' },
    });
  }
  return username;
}

export function checkNewPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AppError('validation_failed', `A password needs at least ${MIN_PASSWORD_LENGTH} characters`, {
      details: { field: 'password' },
    });
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new AppError('validation_failed', `A password has at most ${MAX_PASSWORD_LENGTH} characters`, { details: { field: 'password' } });
  }
}

/** The TOTP secret is sealed bound to its account, so a sealed value copied to another row fails to open. */
const totpAssociatedData = (id: string) => `admin_accounts.totp:${id}`;

export function openTotpSecret(secrets: SecretBox, row: Pick<AdminAccountsTable, 'id' | 'totp_secret_sealed'>): string | null {
  return row.totp_secret_sealed === null ? null : secrets.open(row.totp_secret_sealed, totpAssociatedData(row.id));
}

export async function countAdminAccounts(db: Kysely<Tables>): Promise<number> {
  const row = await db
    .selectFrom('admin_accounts')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function listAdminAccounts(db: Kysely<Tables>): Promise<AdminAccountView[]> {
  const rows = await db.selectFrom('admin_accounts').selectAll().orderBy('username').execute();
  return rows.map(adminAccountView);
}

export async function findAdminAccountById(db: Kysely<Tables>, id: string): Promise<AdminAccountsTable | null> {
  return (await db.selectFrom('admin_accounts').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

/** The account with this username (any case); `not_found` when there is none. */
export async function requireAdminAccount(db: Kysely<Tables>, username: string): Promise<AdminAccountsTable> {
  const name = username.trim().toLowerCase();
  const row = await db.selectFrom('admin_accounts').selectAll().where('username', '=', name).executeTakeFirst();
  if (row === undefined) throw new AppError('not_found', `No admin account "${name}"`);
  return row;
}

export interface NewAdminAccount {
  username: string;
  displayName?: string | null;
  password: string;
  /** Base32 TOTP secret to turn on at once (the CLI's `--totp`). */
  totpSecret?: string;
}

export async function createAdminAccount(
  db: Kysely<Tables>,
  secrets: SecretBox,
  input: NewAdminAccount,
  actor: Actor,
): Promise<AdminAccountView> {
  const username = normalizeUsername(input.username);
  checkNewPassword(input.password);
  const displayName = input.displayName?.trim() || null;
  const passwordHash = await hashPassword(input.password);
  const now = Date.now();
  const id = newId('adm');
  const row: AdminAccountsTable = {
    id,
    username,
    display_name: displayName,
    password_hash: passwordHash,
    totp_secret_sealed: input.totpSecret === undefined ? null : secrets.seal(input.totpSecret, totpAssociatedData(id)),
    created_at: now,
    updated_at: now,
    last_login_at: null,
    disabled_at: null,
  };
  return db.transaction().execute(async (trx) => {
    const taken = await trx.selectFrom('admin_accounts').select('id').where('username', '=', username).executeTakeFirst();
    if (taken !== undefined) throw new AppError('conflict', `An admin account "${username}" already exists`);
    await trx.insertInto('admin_accounts').values(row).execute();
    const view = adminAccountView(row);
    await recordAudit(trx, { actor, action: 'admin_account.created', subjectId: id, after: view }, now);
    return view;
  });
}

/** Updates one account and audits it; `not_found` when it is gone. */
async function updateAccount(
  db: Kysely<Tables>,
  id: string,
  action: string,
  changes: Partial<Omit<AdminAccountsTable, 'id' | 'username' | 'created_at'>>,
  actor: Actor,
): Promise<void> {
  const now = Date.now();
  await db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('admin_accounts')
      .set({ ...changes, updated_at: now })
      .where('id', '=', id)
      .executeTakeFirst();
    if (result.numUpdatedRows !== 1n) throw new AppError('not_found', `No admin account ${id}`);
    await recordAudit(trx, { actor, action, subjectId: id }, now);
  });
}

export async function setAdminPassword(db: Kysely<Tables>, id: string, password: string, actor: Actor): Promise<void> {
  checkNewPassword(password);
  await updateAccount(db, id, 'admin_account.password_changed', { password_hash: await hashPassword(password) }, actor);
}

export async function enableAdminTotp(db: Kysely<Tables>, secrets: SecretBox, id: string, totpSecret: string, actor: Actor): Promise<void> {
  await updateAccount(
    db,
    id,
    'admin_account.totp_enabled',
    { totp_secret_sealed: secrets.seal(totpSecret, totpAssociatedData(id)) },
    actor,
  );
}

/** TOTP off (console or CLI): its recovery codes go with it. */
export async function disableAdminTotp(db: Kysely<Tables>, id: string, actor: Actor): Promise<void> {
  await updateAccount(db, id, 'admin_account.totp_disabled', { totp_secret_sealed: null }, actor);
  await deleteRecoveryCodes(db, id);
}

/** A disabled account cannot sign in, and its open console sessions stop working at once. */
export async function setAdminDisabled(db: Kysely<Tables>, id: string, disabled: boolean, actor: Actor): Promise<void> {
  await updateAccount(
    db,
    id,
    disabled ? 'admin_account.disabled' : 'admin_account.enabled',
    { disabled_at: disabled ? Date.now() : null },
    actor,
  );
}

export async function deleteAdminAccount(db: Kysely<Tables>, id: string, actor: Actor): Promise<void> {
  const now = Date.now();
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('admin_accounts').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) throw new AppError('not_found', `No admin account ${id}`);
    await trx.deleteFrom('admin_accounts').where('id', '=', id).execute();
    await recordAudit(trx, { actor, action: 'admin_account.deleted', subjectId: id, before: adminAccountView(row) }, now);
  });
}

export async function recordAdminLogin(db: Kysely<Tables>, id: string, now = Date.now()): Promise<void> {
  await db.updateTable('admin_accounts').set({ last_login_at: now }).where('id', '=', id).execute();
}

/**
 * A hash of a password nobody knows, made once: an unknown username is checked against it so a
 * miss costs the same scrypt work as a hit and timing does not tell which usernames exist.
 */
let decoyHash: Promise<string> | undefined;

/**
 * The enabled account with this username whose password is `password`, or null — for an unknown
 * username, a wrong password and a disabled account alike, after the same work.
 */
export async function verifyAdminPassword(db: Kysely<Tables>, username: string, password: string): Promise<AdminAccountsTable | null> {
  const name = username.trim().toLowerCase();
  const row = USERNAME.test(name)
    ? await db.selectFrom('admin_accounts').selectAll().where('username', '=', name).executeTakeFirst()
    : undefined;
  const candidate = password.slice(0, MAX_PASSWORD_LENGTH);
  if (row === undefined) {
    decoyHash ??= hashPassword('decoy password that never matches');
    await verifyPasswordHash(candidate, await decoyHash);
    return null;
  }
  const ok = await verifyPasswordHash(candidate, row.password_hash);
  return ok && row.disabled_at === null ? row : null;
}

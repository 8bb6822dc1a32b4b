/**
 * TOTP recovery codes for console admins: ten codes made when TOTP is turned on (or regenerated),
 * shown once, stored as SHA-256 hashes, each accepted once instead of a TOTP code at sign-in. A code
 * is 10 Crockford base32 characters (50 random bits), written `xxxxx-xxxxx`; sign-in is rate
 * limited per IP and username, so a fast hash is enough (as for admin API keys).
 *
 * Using one is a conditional update (`used_at is null`), so two sign-ins racing with the same code
 * cannot both pass.
 */
import { createHash, randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type Actor, recordAudit } from '../identity/audit.ts';
import type { Tables } from '../storage/schema.ts';

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const CODE_LENGTH = 10;

function newCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i += 1) code += ALPHABET[randomInt(ALPHABET.length)];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** What a person may type: any case, spaces or dashes, and the letters Crockford reads as digits. */
export function normalizeRecoveryCode(input: string): string {
  return input.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1');
}

/** Whether a sign-in's second factor looks like a recovery code rather than a 6-digit TOTP code. */
export function isRecoveryCodeShaped(input: string): boolean {
  const code = normalizeRecoveryCode(input);
  return code.length === CODE_LENGTH && [...code].every((c) => ALPHABET.includes(c));
}

const hashOf = (code: string) => createHash('sha256').update(normalizeRecoveryCode(code)).digest('hex');

/** Replaces the admin's recovery codes with ten new ones and returns them (the only time they are shown). */
export async function generateRecoveryCodes(db: Kysely<Tables>, adminId: string, actor: Actor): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
  const now = Date.now();
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('admin_recovery_codes').where('admin_id', '=', adminId).execute();
    await trx
      .insertInto('admin_recovery_codes')
      .values(codes.map((code) => ({ admin_id: adminId, code_hash: hashOf(code), created_at: now, used_at: null })))
      .execute();
    await recordAudit(
      trx,
      { actor, action: 'admin_account.recovery_codes_generated', subjectId: adminId, after: { count: codes.length } },
      now,
    );
  });
  return codes;
}

/** Uses one recovery code; true exactly once per code. */
export async function consumeRecoveryCode(db: Kysely<Tables>, adminId: string, code: string): Promise<boolean> {
  if (!isRecoveryCodeShaped(code)) return false;
  const now = Date.now();
  const result = await db
    .updateTable('admin_recovery_codes')
    .set({ used_at: now })
    .where('admin_id', '=', adminId)
    .where('code_hash', '=', hashOf(code))
    .where('used_at', 'is', null)
    .executeTakeFirst();
  if (result.numUpdatedRows !== 1n) return false;
  await recordAudit(
    db,
    {
      actor: { kind: 'admin', id: adminId },
      action: 'admin_account.recovery_code_used',
      subjectId: adminId,
      after: { remaining: await remainingRecoveryCodes(db, adminId) },
    },
    now,
  );
  return true;
}

export async function remainingRecoveryCodes(db: Kysely<Tables>, adminId: string): Promise<number> {
  const row = await db
    .selectFrom('admin_recovery_codes')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('admin_id', '=', adminId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** TOTP turned off: its recovery codes go with it. */
export async function deleteRecoveryCodes(db: Kysely<Tables>, adminId: string): Promise<void> {
  await db.deleteFrom('admin_recovery_codes').where('admin_id', '=', adminId).execute();
}

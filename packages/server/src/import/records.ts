/**
 * The one shape every import goes through: a person as another system knew them. The Authing
 * reader (authing.ts) and the generic CSV/JSON reader (people-format.ts) both produce these; the
 * engine (engine.ts) resolves and writes them, so every import obeys the same identity rules.
 */
import { z } from 'zod';

/** One WeChat identity: `appid` + `openid` is a ledger row; `unionid` alone is a join key. */
export interface ImportedWechatIdentity {
  appid: string;
  openid?: string;
  unionid?: string;
}

export interface ImportedPerson {
  /** Where the record was in the input (1-based row or list position), for the report. */
  position: number;
  /** The weunion user id (from a weunion export): kept when free, an existing one is that person. */
  id?: string;
  /** The id in the system the person came from. */
  external?: { source: string; id: string; data?: unknown };
  status: 'active' | 'blocked';
  name?: string;
  nickname?: string;
  picture?: string;
  gender?: string;
  locale?: string;
  phone?: { value: string; verified: boolean };
  email?: { value: string; verified: boolean };
  wechat: ImportedWechatIdentity[];
}

/** A record the reader could not take, with why (shown in the report as skipped). */
export interface UnreadableRecord {
  position: number;
  key: string;
  reason: SkipReason;
  detail: string;
}

export type SkipReason = 'invalid' | 'archived' | 'empty';

/** What the report calls a record: its external id, weunion id or position. */
export function recordKey(person: Pick<ImportedPerson, 'external' | 'id' | 'position'>): string {
  if (person.external !== undefined) return `${person.external.source}:${person.external.id}`;
  return person.id ?? `#${person.position}`;
}

/** E.164, as WeChat and the ledger keep phones; a bare 11-digit mainland number gets +86. */
export function normalizePhone(raw: string, countryCode?: string): string | null {
  const compact = raw.replace(/[\s().-]/g, '');
  const code = (countryCode ?? '+86').replace(/^\+/, '');
  const e164 = compact.startsWith('+') ? compact : compact.startsWith('00') ? `+${compact.slice(2)}` : `+${code}${compact}`;
  return /^\+[1-9]\d{4,16}$/.test(e164) ? e164 : null;
}

export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const importedIdentitySchema = z
  .object({
    appid: z.string().min(1).max(64),
    openid: z.string().min(1).max(128).optional(),
    unionid: z.string().min(1).max(128).optional(),
  })
  .refine((i) => i.openid !== undefined || i.unionid !== undefined, { error: 'an identity needs an openid or a unionid' });

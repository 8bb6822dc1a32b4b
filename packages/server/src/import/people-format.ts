/**
 * weunion's own people file, CSV or JSON, read for `import people` and written by `export people`
 * (a file exported from one weunion imports into another, or back into the same one, unchanged).
 *
 * CSV: one row per WeChat identity, the person's columns repeated on each of their rows; rows of
 * one person are consecutive and share `id` (or `external_source` + `external_id`). A person with no
 * WeChat identity is one row with `appid`/`openid`/`unionid` empty. Columns (header required, any
 * order, unknown columns refused):
 *
 * | column | meaning |
 * | --- | --- |
 * | `id` | weunion user id (`usr_…`); an existing one is that person, a free one is kept |
 * | `external_source`, `external_id` | the person's id in the system they came from |
 * | `status` | `active` (default) or `blocked` |
 * | `name`, `nickname`, `picture`, `gender`, `locale` | profile |
 * | `phone`, `phone_verified` | E.164 (a bare mainland number gets +86); `true`/`1` when verified |
 * | `email`, `email_verified` | email; `true`/`1` when verified |
 * | `appid`, `openid`, `unionid` | one WeChat identity: the app (a weunion connection), its openid, the unionid under the app's Open Platform account; a unionid without openid is a join key only |
 *
 * JSON: `[{ id?, externalId?: {source, id}, status?, name?, nickname?, picture?, gender?, locale?,
 * phone?, phoneVerified?, email?, emailVerified?, wechat?: [{appid, openid?, unionid?}] }]`
 * (or `{ "people": [...] }`).
 */
import { AppError } from '@weunion/errors';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { z } from 'zod';
import { EMAIL_PATTERN, type ImportedPerson, importedIdentitySchema, normalizePhone, type UnreadableRecord } from './records.ts';

export const CSV_COLUMNS = [
  'id',
  'external_source',
  'external_id',
  'status',
  'name',
  'nickname',
  'picture',
  'gender',
  'locale',
  'phone',
  'phone_verified',
  'email',
  'email_verified',
  'appid',
  'openid',
  'unionid',
] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];

const text = (max: number) =>
  z
    .string()
    .max(max)
    .nullish()
    .transform((v) => (v === null || v === undefined || v.trim() === '' ? undefined : v.trim()));

const personSchema = z
  .object({
    id: z
      .string()
      .regex(/^usr_[0-9a-z]{6,40}$/, { error: 'must be a weunion user id (usr_…)' })
      .optional(),
    externalId: z.object({ source: z.string().min(1).max(40), id: z.string().min(1).max(128) }).optional(),
    status: z.enum(['active', 'blocked']).default('active'),
    name: text(200),
    nickname: text(200),
    picture: text(2000),
    gender: text(40),
    locale: text(40),
    phone: text(40),
    phoneVerified: z.boolean().default(false),
    email: text(320),
    emailVerified: z.boolean().default(false),
    wechat: z.array(importedIdentitySchema).max(200).default([]),
  })
  .strict();
export type PeopleFilePerson = z.input<typeof personSchema>;

export interface PeopleReading {
  people: ImportedPerson[];
  unreadable: UnreadableRecord[];
}

export type PeopleFormat = 'csv' | 'json';

/** The format of an uploaded file: by its name when it has one, else by its first character. */
export function detectFormat(name: string | undefined, content: string): PeopleFormat {
  if (name !== undefined && /\.csv$/i.test(name)) return 'csv';
  if (name !== undefined && /\.json$/i.test(name)) return 'json';
  return /^\s*[[{]/.test(content) ? 'json' : 'csv';
}

export function readPeopleFile(content: string, format: PeopleFormat): PeopleReading {
  return format === 'csv' ? readCsv(content) : readJson(content);
}

function toPerson(position: number, value: unknown): ImportedPerson | UnreadableRecord {
  const parsed = personSchema.safeParse(value);
  const keyOf = () => {
    if (typeof value !== 'object' || value === null) return `#${position}`;
    const v = value as { id?: unknown; externalId?: { source?: unknown; id?: unknown } };
    if (typeof v.id === 'string') return v.id;
    if (v.externalId !== undefined) return `${String(v.externalId.source)}:${String(v.externalId.id)}`;
    return `#${position}`;
  };
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { position, key: keyOf(), reason: 'invalid', detail: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` };
  }
  const p = parsed.data;
  const phone = p.phone === undefined ? undefined : normalizePhone(p.phone);
  if (phone === null) return { position, key: keyOf(), reason: 'invalid', detail: `phone: "${p.phone}" is not a phone number` };
  if (p.email !== undefined && !EMAIL_PATTERN.test(p.email)) {
    return { position, key: keyOf(), reason: 'invalid', detail: `email: "${p.email}" is not an email address` };
  }
  return {
    position,
    ...(p.id === undefined ? {} : { id: p.id }),
    ...(p.externalId === undefined ? {} : { external: p.externalId }),
    status: p.status,
    ...(p.name === undefined ? {} : { name: p.name }),
    ...(p.nickname === undefined ? {} : { nickname: p.nickname }),
    ...(p.picture === undefined ? {} : { picture: p.picture }),
    ...(p.gender === undefined ? {} : { gender: p.gender }),
    ...(p.locale === undefined ? {} : { locale: p.locale }),
    ...(phone === undefined ? {} : { phone: { value: phone, verified: p.phoneVerified } }),
    ...(p.email === undefined ? {} : { email: { value: p.email.toLowerCase(), verified: p.emailVerified } }),
    wechat: p.wechat.map((w) => ({
      appid: w.appid,
      ...(w.openid === undefined ? {} : { openid: w.openid }),
      ...(w.unionid === undefined ? {} : { unionid: w.unionid }),
    })),
  };
}

function split(people: (ImportedPerson | UnreadableRecord)[]): PeopleReading {
  const reading: PeopleReading = { people: [], unreadable: [] };
  for (const p of people) {
    if ('reason' in p) reading.unreadable.push(p);
    else reading.people.push(p);
  }
  return reading;
}

function readJson(content: string): PeopleReading {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (error) {
    throw new AppError('bad_request', `the file is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const list = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && 'people' in parsed ? parsed.people : parsed;
  if (!Array.isArray(list)) throw new AppError('bad_request', 'a people JSON file is a list of people, or {"people": [...]}');
  return split(list.map((value, index) => toPerson(index + 1, value)));
}

const TRUE = new Set(['true', '1', 'yes']);

function readCsv(content: string): PeopleReading {
  let rows: Record<string, string>[];
  try {
    rows = parseCsv(content, { columns: true, bom: true, skip_empty_lines: true, trim: true, relax_column_count: false });
  } catch (error) {
    throw new AppError(
      'bad_request',
      `the file is not valid CSV (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
    );
  }
  const header = Object.keys(rows[0] ?? {});
  const unknown = header.filter((c) => !(CSV_COLUMNS as readonly string[]).includes(c));
  if (unknown.length > 0) throw new AppError('bad_request', `unknown CSV columns: ${unknown.join(', ')} (see the README for the columns)`);
  const people: (ImportedPerson | UnreadableRecord)[] = [];
  let current: { key: string; position: number; value: Record<string, unknown>; wechat: unknown[] } | null = null;
  const flush = () => {
    if (current !== null) people.push(toPerson(current.position, { ...current.value, wechat: current.wechat }));
    current = null;
  };
  rows.forEach((row, index) => {
    const position = index + 2; // the header is line 1
    const key = row.id ? `id:${row.id}` : row.external_id ? `ext:${row.external_source ?? ''}:${row.external_id}` : '';
    if (current === null || key === '' || key !== current.key) {
      flush();
      current = {
        key,
        position,
        value: {
          ...(row.id ? { id: row.id } : {}),
          ...(row.external_id ? { externalId: { source: row.external_source || 'import', id: row.external_id } } : {}),
          ...(row.status ? { status: row.status } : {}),
          name: row.name,
          nickname: row.nickname,
          picture: row.picture,
          gender: row.gender,
          locale: row.locale,
          phone: row.phone,
          phoneVerified: TRUE.has((row.phone_verified ?? '').toLowerCase()),
          email: row.email,
          emailVerified: TRUE.has((row.email_verified ?? '').toLowerCase()),
        },
        wechat: [],
      };
    }
    if (row.appid || row.openid || row.unionid) {
      current.wechat.push({
        appid: row.appid ?? '',
        ...(row.openid ? { openid: row.openid } : {}),
        ...(row.unionid ? { unionid: row.unionid } : {}),
      });
    }
  });
  flush();
  return split(people);
}

/** One exported person, as `export people` writes it (JSON), flattened per identity for CSV. */
export interface ExportedPerson {
  id: string;
  externalId?: { source: string; id: string };
  status: 'active' | 'blocked';
  name?: string;
  nickname?: string;
  picture?: string;
  gender?: string;
  locale?: string;
  phone?: string;
  phoneVerified: boolean;
  email?: string;
  emailVerified: boolean;
  wechat: { appid: string; openid: string; unionid?: string }[];
}

export function csvHeader(): string {
  return stringifyCsv([[...CSV_COLUMNS]]);
}

export function csvRows(person: ExportedPerson): string {
  const base: Record<CsvColumn, string> = {
    id: person.id,
    external_source: person.externalId?.source ?? '',
    external_id: person.externalId?.id ?? '',
    status: person.status,
    name: person.name ?? '',
    nickname: person.nickname ?? '',
    picture: person.picture ?? '',
    gender: person.gender ?? '',
    locale: person.locale ?? '',
    phone: person.phone ?? '',
    phone_verified: person.phone === undefined ? '' : String(person.phoneVerified),
    email: person.email ?? '',
    email_verified: person.email === undefined ? '' : String(person.emailVerified),
    appid: '',
    openid: '',
    unionid: '',
  };
  const identities = person.wechat.length === 0 ? [undefined] : person.wechat;
  return stringifyCsv(
    identities.map((w) =>
      CSV_COLUMNS.map((c) => (w === undefined ? base[c] : { ...base, appid: w.appid, openid: w.openid, unionid: w.unionid ?? '' }[c])),
    ),
  );
}

/**
 * Reading Authing's user export: the V3 user list (`listUsers` / `getUser` with `withIdentities`,
 * `withCustomData`), as Authing's API answers it (`{ data: { list: [...] } }`), a bare list, or
 * several pages in one array. Each user is Authing's `UserDto`: `userId`, `status`
 * (`Activated`, `Suspended`, `Deactivated`, `Resigned`, `Archived`), `phone` + `phoneCountryCode` +
 * `phoneVerified`, `email` + `emailVerified`, `name`, `nickname`, `photo`, `gender` (`M`/`F`/`U`),
 * `customData`, and `identities`: `{ identityId, extIdpId, provider, type, userIdInIdp,
 * originConnIds }` — for WeChat, `type` is `openid` (userIdInIdp: the openid of the app behind the
 * connection) or `unionid` (userIdInIdp: the unionid under the app's Open Platform account).
 *
 * The mapping file names, for each Authing connection (an `originConnIds` entry or the `extIdpId`),
 * the appid of the weunion connection it becomes: `{ "connections": { "<id>": "wx…" } }`.
 * Identities of connections the mapping leaves out (other social logins) are reported, not imported.
 */
import { AppError } from '@weunion/errors';
import { z } from 'zod';
import { EMAIL_PATTERN, type ImportedPerson, type ImportedWechatIdentity, normalizePhone, type UnreadableRecord } from './records.ts';

const identitySchema = z
  .object({
    identityId: z.string().optional(),
    extIdpId: z.string().optional(),
    provider: z.string().optional(),
    type: z.string().optional(),
    userIdInIdp: z.string().optional(),
    originConnIds: z.array(z.string()).optional(),
  })
  .loose();

const optionalText = z
  .string()
  .nullish()
  .transform((v) => (v === null || v === undefined || v.trim() === '' ? undefined : v.trim()));

const userSchema = z
  .object({
    userId: z.string().min(1).max(128),
    status: z.string().optional(),
    email: optionalText,
    emailVerified: z.boolean().nullish(),
    phone: optionalText,
    phoneCountryCode: optionalText,
    phoneVerified: z.boolean().nullish(),
    name: optionalText,
    nickname: optionalText,
    photo: optionalText,
    gender: optionalText,
    customData: z.unknown().optional(),
    identities: z.array(identitySchema).nullish(),
  })
  .loose();

export const authingMappingSchema = z
  .object({
    connections: z
      .record(z.string().min(1), z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'must be an appid' }))
      .refine((m) => Object.keys(m).length > 0, { error: 'name at least one Authing connection' }),
  })
  .strict();
export type AuthingMapping = z.output<typeof authingMappingSchema>;

/** Identities left out, by reason: the report lists them so nothing vanishes silently. */
export interface AuthingReading {
  people: ImportedPerson[];
  unreadable: UnreadableRecord[];
  identitiesLeftOut: Record<string, number>;
}

/** The list of users in any of the shapes Authing's export takes. */
function userList(input: unknown): unknown[] {
  if (Array.isArray(input)) {
    // Several API answers saved in one array: flatten their pages.
    if (input.length > 0 && input.every((page) => typeof page === 'object' && page !== null && 'data' in page)) {
      return input.flatMap((page) => userList(page));
    }
    return input;
  }
  if (typeof input === 'object' && input !== null) {
    const object = input as Record<string, unknown>;
    if (typeof object.data === 'object' && object.data !== null) return userList(object.data);
    for (const key of ['list', 'users']) if (Array.isArray(object[key])) return object[key];
  }
  throw new AppError('bad_request', 'not an Authing user export: expected a list of users, or {"data": {"list": [...]}}');
}

const GENDERS: Record<string, string> = { M: 'male', F: 'female' };

export function readAuthingExport(input: unknown, mapping: AuthingMapping): AuthingReading {
  const people: ImportedPerson[] = [];
  const unreadable: UnreadableRecord[] = [];
  const identitiesLeftOut: Record<string, number> = {};
  const leaveOut = (reason: string) => {
    identitiesLeftOut[reason] = (identitiesLeftOut[reason] ?? 0) + 1;
  };
  userList(input).forEach((raw, index) => {
    const position = index + 1;
    const parsed = userSchema.safeParse(raw);
    if (!parsed.success) {
      const key = typeof raw === 'object' && raw !== null && 'userId' in raw ? `authing:${String(raw.userId)}` : `#${position}`;
      const issue = parsed.error.issues[0];
      unreadable.push({ position, key, reason: 'invalid', detail: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` });
      return;
    }
    const user = parsed.data;
    const status = user.status ?? 'Activated';
    if (status === 'Archived' || status === 'Resigned') {
      unreadable.push({ position, key: `authing:${user.userId}`, reason: 'archived', detail: `Authing status ${status}` });
      return;
    }
    const wechat: ImportedWechatIdentity[] = [];
    for (const identity of user.identities ?? []) {
      const connection = [...(identity.originConnIds ?? []), identity.extIdpId ?? '']
        .map((id) => mapping.connections[id])
        .find((appid) => appid !== undefined);
      if (connection === undefined) {
        leaveOut(`unmapped connection (${identity.provider ?? 'unknown provider'})`);
        continue;
      }
      const value = identity.userIdInIdp?.trim() ?? '';
      if (value === '' || value.length > 128) {
        leaveOut('no userIdInIdp');
        continue;
      }
      if (identity.type === 'openid') wechat.push({ appid: connection, openid: value });
      else if (identity.type === 'unionid') wechat.push({ appid: connection, unionid: value });
      else leaveOut(`identity type ${identity.type ?? '(none)'}`);
    }
    const phone = user.phone === undefined ? null : normalizePhone(user.phone, user.phoneCountryCode);
    if (user.phone !== undefined && phone === null) leaveOut('phone number not readable');
    const email = user.email !== undefined && EMAIL_PATTERN.test(user.email) ? user.email.toLowerCase() : undefined;
    const gender = user.gender === undefined ? undefined : GENDERS[user.gender];
    people.push({
      position,
      external: { source: 'authing', id: user.userId, ...(user.customData === undefined ? {} : { data: user.customData }) },
      status: status === 'Activated' ? 'active' : 'blocked',
      ...(user.name === undefined ? {} : { name: user.name }),
      ...(user.nickname === undefined ? {} : { nickname: user.nickname }),
      ...(user.photo === undefined ? {} : { picture: user.photo }),
      ...(gender === undefined ? {} : { gender }),
      ...(phone === null ? {} : { phone: { value: phone, verified: user.phoneVerified === true } }),
      ...(email === undefined ? {} : { email: { value: email, verified: user.emailVerified === true } }),
      wechat,
    });
  });
  return { people, unreadable, identitiesLeftOut };
}

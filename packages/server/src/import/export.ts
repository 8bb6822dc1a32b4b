/**
 * `export people`: every active or blocked person with their WeChat identities, page by page (by id,
 * so memory stays flat however many people there are), in the people format import reads back.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../storage/schema.ts';
import { csvHeader, csvRows, type ExportedPerson, type PeopleFormat } from './people-format.ts';

const PAGE = 500;

export async function* exportedPeople(db: Kysely<Tables>): AsyncGenerator<ExportedPerson> {
  let after = '';
  for (;;) {
    const users = await db
      .selectFrom('users')
      .selectAll()
      .where('status', 'in', ['active', 'blocked'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(PAGE)
      .execute();
    if (users.length === 0) return;
    const ids = users.map((u) => u.id);
    const identities = await db
      .selectFrom('wechat_identities')
      .select(['user_id', 'appid', 'openid', 'unionid'])
      .where('user_id', 'in', ids)
      .orderBy('appid')
      .orderBy('openid')
      .execute();
    const external = await db
      .selectFrom('user_external_ids')
      .select(['user_id', 'source', 'external_id'])
      .where('user_id', 'in', ids)
      .orderBy('created_at')
      .orderBy('source')
      .execute();
    const byUser = new Map<string, ExportedPerson['wechat']>();
    for (const i of identities) {
      const list = byUser.get(i.user_id) ?? [];
      list.push({ appid: i.appid, openid: i.openid, ...(i.unionid === null ? {} : { unionid: i.unionid }) });
      byUser.set(i.user_id, list);
    }
    const externalOf = new Map<string, { source: string; id: string }>();
    for (const e of external) if (!externalOf.has(e.user_id)) externalOf.set(e.user_id, { source: e.source, id: e.external_id });
    for (const u of users) {
      const ext = externalOf.get(u.id);
      yield {
        id: u.id,
        ...(ext === undefined ? {} : { externalId: ext }),
        status: u.status === 'blocked' ? 'blocked' : 'active',
        ...(u.name === null ? {} : { name: u.name }),
        ...(u.nickname === null ? {} : { nickname: u.nickname }),
        ...(u.picture === null ? {} : { picture: u.picture }),
        ...(u.gender === null ? {} : { gender: u.gender }),
        ...(u.locale === null ? {} : { locale: u.locale }),
        ...(u.phone_number === null ? {} : { phone: u.phone_number }),
        phoneVerified: u.phone_number !== null && u.phone_number_verified === 1,
        ...(u.email === null ? {} : { email: u.email }),
        emailVerified: u.email !== null && u.email_verified === 1,
        wechat: byUser.get(u.id) ?? [],
      };
    }
    after = ids[ids.length - 1] ?? after;
  }
}

/** The export as text chunks: a CSV header and rows, or one JSON list written person by person. */
export async function* exportPeopleText(db: Kysely<Tables>, format: PeopleFormat): AsyncGenerator<string> {
  if (format === 'csv') {
    yield csvHeader();
    for await (const person of exportedPeople(db)) yield csvRows(person);
    return;
  }
  let first = true;
  yield '[';
  for await (const person of exportedPeople(db)) {
    yield `${first ? '\n' : ',\n'}${JSON.stringify(toJsonPerson(person))}`;
    first = false;
  }
  yield '\n]\n';
}

/** The JSON form import reads: phone and email with their verified flags. */
function toJsonPerson(person: ExportedPerson): Record<string, unknown> {
  const { phone, phoneVerified, email, emailVerified, ...rest } = person;
  return {
    ...rest,
    ...(phone === undefined ? {} : { phone, phoneVerified }),
    ...(email === undefined ? {} : { email, emailVerified }),
  };
}

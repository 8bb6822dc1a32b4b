/**
 * The readers, without a database: what they take from Authing's export and weunion's CSV/JSON,
 * and what they refuse (reported as skipped, never dropped silently).
 */
import { describe, expect, it } from 'vitest';
import { authingMappingSchema, readAuthingExport } from './authing.ts';
import { CSV_COLUMNS, readPeopleFile } from './people-format.ts';
import { normalizePhone } from './records.ts';

const mapping = authingMappingSchema.parse({ connections: { conn_mp: 'wxmp', idp_web: 'wxweb' } });

describe('reading an Authing export', () => {
  it('maps unionid and openid identities through originConnIds or extIdpId, and counts what it leaves out', () => {
    const reading = readAuthingExport(
      [
        {
          statusCode: 200,
          data: {
            list: [
              {
                userId: 'u1',
                status: 'Activated',
                phone: '138 0000 0001',
                phoneVerified: true,
                email: 'A@Example.com',
                emailVerified: false,
                gender: 'M',
                identities: [
                  { extIdpId: 'idp_mp', provider: 'wechat', type: 'unionid', userIdInIdp: 'un1', originConnIds: ['conn_mp'] },
                  { extIdpId: 'idp_web', provider: 'wechat', type: 'openid', userIdInIdp: 'ow1', originConnIds: [] },
                  { extIdpId: 'idp_gh', provider: 'github', type: 'id', userIdInIdp: '42', originConnIds: ['conn_gh'] },
                ],
              },
            ],
          },
        },
        { data: { list: [{ userId: 'u2', status: 'Suspended' }, { userId: 'u3', status: 'Resigned' }, { nope: true }] } },
      ],
      mapping,
    );
    expect(reading.people).toEqual([
      {
        position: 1,
        external: { source: 'authing', id: 'u1' },
        status: 'active',
        gender: 'male',
        phone: { value: '+8613800000001', verified: true },
        email: { value: 'a@example.com', verified: false },
        wechat: [
          { appid: 'wxmp', unionid: 'un1' },
          { appid: 'wxweb', openid: 'ow1' },
        ],
      },
      { position: 2, external: { source: 'authing', id: 'u2' }, status: 'blocked', wechat: [] },
    ]);
    expect(reading.unreadable.map((r) => [r.key, r.reason])).toEqual([
      ['authing:u3', 'archived'],
      ['#4', 'invalid'],
    ]);
    expect(reading.identitiesLeftOut).toEqual({ 'unmapped connection (github)': 1 });
  });

  it('a mapping must name appids', () => {
    expect(authingMappingSchema.safeParse({ connections: {} }).success).toBe(false);
    expect(authingMappingSchema.safeParse({ connections: { a: 'not an appid!' } }).success).toBe(false);
  });
});

describe('reading weunion people files', () => {
  it('CSV: consecutive rows of one person are one person; a bad row is skipped with why', () => {
    const csv = [
      CSV_COLUMNS.join(','),
      'usr_1a2b3c4d5e6f7a8b9c0d1e2,,,active,Ann,,,,,13800000002,1,,,wxmp,om1,un1',
      'usr_1a2b3c4d5e6f7a8b9c0d1e2,,,active,Ann,,,,,13800000002,1,,,wxweb,ow1,un1',
      ',crm,c9,blocked,,Bo,,,,,,bo@example.com,true,,,',
      ',,,active,,,,,,not a phone,true,,,,,',
    ].join('\n');
    const reading = readPeopleFile(csv, 'csv');
    expect(reading.people).toEqual([
      {
        position: 2,
        id: 'usr_1a2b3c4d5e6f7a8b9c0d1e2',
        status: 'active',
        name: 'Ann',
        phone: { value: '+8613800000002', verified: true },
        wechat: [
          { appid: 'wxmp', openid: 'om1', unionid: 'un1' },
          { appid: 'wxweb', openid: 'ow1', unionid: 'un1' },
        ],
      },
      {
        position: 4,
        external: { source: 'crm', id: 'c9' },
        status: 'blocked',
        nickname: 'Bo',
        email: { value: 'bo@example.com', verified: true },
        wechat: [],
      },
    ]);
    expect(reading.unreadable).toMatchObject([{ position: 5, reason: 'invalid' }]);
  });

  it('refuses unknown CSV columns and JSON that is not a list, as a 400', () => {
    expect(() => readPeopleFile('who,what\n1,2', 'csv')).toThrow('unknown CSV columns: who, what');
    expect(() => readPeopleFile('{"x": 1}', 'json')).toThrow('a people JSON file is a list');
    expect(() => readPeopleFile('[', 'json')).toThrow('not valid JSON');
  });

  it('phones become E.164', () => {
    expect(normalizePhone('13800138000')).toBe('+8613800138000');
    expect(normalizePhone('+1 (415) 555-0100')).toBe('+14155550100');
    expect(normalizePhone('0044 20 7946 0000')).toBe('+442079460000');
    expect(normalizePhone('5550100', '+1')).toBe('+15550100');
    expect(normalizePhone('abc')).toBeNull();
  });
});

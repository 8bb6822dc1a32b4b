import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { rejection, SandboxHarness } from './sandbox-harness.ts';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await SandboxHarness.start();
});
afterAll(async () => {
  await sandbox.close();
});

const opened = z.object({ kind: z.literal('mini_program_link'), appid: z.string(), page: z.string(), query: z.string() });

describe('mini program URL Scheme and URL Link', () => {
  it('a scheme and a link each open the page with the query on the phone', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('mini_program', { pages: ['pages/index/index', 'pages/login/login'] });
    const person = await sandbox.person();
    const scheme = await wechat.miniProgram.generateScheme(app, { path: '/pages/login/login', query: 't=abc%26x', expireIntervalDays: 1 });
    expect(scheme).toMatch(/^weixin:\/\/dl\/business\/\?t=/);
    const link = await wechat.miniProgram.generateUrlLink(app, { path: 'pages/login/login', query: 't=abc' });
    for (const [content, query] of [
      [scheme, 't=abc%26x'],
      [link, 't=abc'],
    ] as const) {
      const answer = opened.parse(await sandbox.control('POST', '/_sandbox/actions/scan', { personId: person, content }, z.unknown()));
      expect(answer).toMatchObject({ appid: app.appid, page: 'pages/login/login', query });
    }
  });

  it('checks path, query and expiry before asking WeChat, and translates what WeChat refuses', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('mini_program');
    expect((await rejection(wechat.miniProgram.generateScheme(app, { path: 'pages/login/login?x=1' }))).code).toBe('validation_failed');
    expect((await rejection(wechat.miniProgram.generateScheme(app, { query: 'a=<b>' }))).code).toBe('validation_failed');
    expect((await rejection(wechat.miniProgram.generateUrlLink(app, { expireIntervalDays: 31 }))).code).toBe('validation_failed');
    const unknownPage = await rejection(wechat.miniProgram.generateScheme(app, { path: 'pages/missing/missing' }));
    expect(unknownPage).toMatchObject({ code: 'wechat_invalid_argument', details: { errcode: 40165 } });
    const official = await sandbox.app('official_account');
    expect((await rejection(wechat.miniProgram.generateUrlLink(official, {}))).code).toBe('wechat_scope_unauthorized');
  });
});

describe('official account user/info/batchget', () => {
  it('answers followers and non-followers in the order given', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('official_account');
    const follower = await sandbox.person();
    const followed = z
      .object({ openid: z.string() })
      .parse(await sandbox.control('POST', '/_sandbox/actions/follow', { personId: follower, appid: app.appid }, z.unknown()));
    const stranger = await sandbox.person();
    const identities = z
      .array(z.object({ appid: z.string(), openid: z.string() }))
      .parse(await sandbox.control('GET', `/_sandbox/people/${stranger}/identities`, undefined, z.unknown()));
    const strangerOpenid = identities.find((identity) => identity.appid === app.appid)?.openid ?? '';
    const users = await wechat.officialAccount.getUsers(app, [strangerOpenid, followed.openid]);
    expect(users.map((user) => [user.openid, user.subscribed])).toEqual([
      [strangerOpenid, false],
      [followed.openid, true],
    ]);
    expect((await rejection(wechat.officialAccount.getUsers(app, []))).code).toBe('validation_failed');
    expect((await rejection(wechat.officialAccount.getUsers(app, ['o-nobody']))).details).toMatchObject({ errcode: 40003 });
  });
});

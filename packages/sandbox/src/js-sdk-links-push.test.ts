import { callbackSignature, decryptMessage, jsSdkSignature, messageSignature, parseXml } from '@weunion/wechat';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errcodeOf, Receiver, TestSandbox } from './test-support.ts';

let sandbox: TestSandbox;
let receiver: Receiver;
beforeAll(async () => {
  sandbox = await TestSandbox.start({ seedDemoWorld: false });
  receiver = new Receiver();
  await receiver.start();
});
afterEach(() => {
  receiver.received.length = 0;
  receiver.answers = [];
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

const ticketAnswer = z.object({ errcode: z.literal(0), errmsg: z.literal('ok'), ticket: z.string().min(1), expires_in: z.number() });

async function tokenOf(type: string, extra: Record<string, unknown> = {}) {
  const app = await sandbox.app(type, extra);
  return { ...app, token: await sandbox.appToken(app.appid, app.secret) };
}

describe('cgi-bin/ticket/getticket', () => {
  it('answers a 7200 s jsapi ticket, the same one while it lives, and a separate wx_card ticket', async () => {
    const oa = await tokenOf('official_account');
    const first = ticketAnswer.parse(await sandbox.wechatGet('/cgi-bin/ticket/getticket', { access_token: oa.token, type: 'jsapi' }));
    expect(first.expires_in).toBe(7200);
    await sandbox.advance(100);
    const again = ticketAnswer.parse(await sandbox.wechatGet('/cgi-bin/ticket/getticket', { access_token: oa.token, type: 'jsapi' }));
    expect(again.ticket).toBe(first.ticket);
    expect(again.expires_in).toBeLessThanOrEqual(7100);
    const card = ticketAnswer.parse(await sandbox.wechatGet('/cgi-bin/ticket/getticket', { access_token: oa.token, type: 'wx_card' }));
    expect(card.ticket).not.toBe(first.ticket);
    await sandbox.advance(7100);
    const next = ticketAnswer.parse(
      await sandbox.wechatGet('/cgi-bin/ticket/getticket', { access_token: await sandbox.appToken(oa.appid, oa.secret) }),
    );
    expect(next.ticket).not.toBe(first.ticket);
  });

  it('refuses a mini program (48001), an unknown type (40097) and a bad token (40001)', async () => {
    const mp = await tokenOf('mini_program');
    expect((await sandbox.wechatGet('/cgi-bin/ticket/getticket', { access_token: mp.token, type: 'jsapi' })).errcode).toBe(48001);
    const oa = await tokenOf('official_account');
    expect((await sandbox.wechatGet('/cgi-bin/ticket/getticket', { access_token: oa.token, type: 'card' })).errcode).toBe(40097);
    expect((await sandbox.wechatGet('/cgi-bin/ticket/getticket', { access_token: 'nope', type: 'jsapi' })).errcode).toBe(40001);
  });
});

describe('wx.config as the WeChat client checks it', () => {
  it('accepts the signature over the live ticket for a page on a JS-safe domain, and refuses anything else', async () => {
    const oa = await tokenOf('official_account', { redirectDomains: ['rp.example'] });
    const { ticket } = ticketAnswer.parse(await sandbox.wechatGet('/cgi-bin/ticket/getticket', { access_token: oa.token, type: 'jsapi' }));
    const page = 'https://rp.example/account?tab=1#/inner';
    const config = { appid: oa.appid, url: page, timestamp: 1700000000, nonceStr: 'Wm3WZYTPz0wzccnW' };
    const signature = jsSdkSignature({ ticket, nonceStr: config.nonceStr, timestamp: config.timestamp, url: page });
    expect(await sandbox.ok('POST', '/_sandbox/actions/wx-config', { ...config, signature })).toEqual({ errMsg: 'config:ok' });
    const refused = async (body: Record<string, unknown>) => {
      const answer = await sandbox.control('POST', '/_sandbox/actions/wx-config', body);
      expect(answer.status).toBe(400);
      return z.object({ detail: z.string() }).parse(answer.body).detail;
    };
    expect(await refused({ ...config, signature: signature.replace(/^./, (c) => (c === '0' ? '1' : '0')) })).toMatch(/invalid signature/);
    expect(await refused({ ...config, url: 'https://rp.example/other', signature })).toMatch(/invalid signature/);
    const elsewhere = 'https://evil.example/account?tab=1';
    expect(
      await refused({
        ...config,
        url: elsewhere,
        signature: jsSdkSignature({ ticket, nonceStr: config.nonceStr, timestamp: config.timestamp, url: elsewhere }),
      }),
    ).toMatch(/invalid url domain/);
    await sandbox.advance(7201);
    expect(await refused({ ...config, signature })).toMatch(/invalid signature/);
  });
});

describe('cgi-bin/user/info/batchget', () => {
  it('answers followers and non-followers in the order asked, for up to 100 openids', async () => {
    const oa = await tokenOf('official_account');
    const follower = await sandbox.person();
    const stranger = await sandbox.person();
    const followerOpenid = z
      .string()
      .parse((await sandbox.ok('POST', '/_sandbox/actions/follow', { personId: follower, appid: oa.appid })).openid);
    const strangerOpenid = z
      .array(z.object({ appid: z.string(), openid: z.string() }))
      .parse((await sandbox.control('GET', `/_sandbox/people/${stranger}/identities`)).body)
      .find((identity) => identity.appid === oa.appid)?.openid;
    expect(strangerOpenid).toBeDefined();
    const answer = await sandbox.wechatPostJson(
      '/cgi-bin/user/info/batchget',
      { access_token: oa.token },
      { user_list: [{ openid: strangerOpenid, lang: 'zh_CN' }, { openid: followerOpenid }] },
    );
    const list = z.array(z.looseObject({ subscribe: z.number(), openid: z.string() })).parse(answer.user_info_list);
    expect(list.map((user) => [user.subscribe, user.openid])).toEqual([
      [0, strangerOpenid],
      [1, followerOpenid],
    ]);
  });

  it('refuses an empty or 101-long list (40032), an unknown openid (40003), a missing list (47001), and GET (43002)', async () => {
    const oa = await tokenOf('official_account');
    const batch = (body: unknown) => sandbox.wechatPostJson('/cgi-bin/user/info/batchget', { access_token: oa.token }, body);
    expect((await batch({ user_list: [] })).errcode).toBe(40032);
    expect((await batch({ user_list: Array.from({ length: 101 }, () => ({ openid: 'o-x' })) })).errcode).toBe(40032);
    expect((await batch({ user_list: [{ openid: 'o-nobody' }] })).errcode).toBe(40003);
    expect((await batch({})).errcode).toBe(47001);
    expect((await sandbox.wechatGet('/cgi-bin/user/info/batchget', { access_token: oa.token })).errcode).toBe(43002);
  });
});

/** The sandbox's "now" in Unix seconds (its clock runs ahead once a test advanced it). */
async function virtualNow(): Promise<number> {
  const clock = z.object({ now: z.union([z.number(), z.string()]) }).parse(await sandbox.ok('GET', '/_sandbox/clock'));
  return Math.floor((typeof clock.now === 'number' ? clock.now : Date.parse(clock.now)) / 1000);
}

const openedLink = z.object({
  kind: z.literal('mini_program_link'),
  appid: z.string(),
  page: z.string(),
  query: z.string(),
  envVersion: z.string(),
});

describe('wxa/generatescheme and wxa/generate_urllink', () => {
  it('a scheme opens the mini program page with its query on the phone, for anyone, until it expires', async () => {
    const mp = await tokenOf('mini_program', { pages: ['pages/index/index', 'pages/login/login'] });
    const answer = await sandbox.wechatPostJson(
      '/wxa/generatescheme',
      { access_token: mp.token },
      {
        jump_wxa: { path: '/pages/login/login', query: 'ticket=abc&from=sms', env_version: 'release' },
        expire_type: 1,
        expire_interval: 1,
      },
    );
    expect(answer).toMatchObject({ errcode: 0, errmsg: 'ok' });
    const openlink = z
      .string()
      .regex(/^weixin:\/\/dl\/business\/\?t=[A-Za-z0-9]+$/)
      .parse(answer.openlink);
    for (const person of [await sandbox.person(), await sandbox.person()]) {
      const opened = openedLink.parse(await sandbox.ok('POST', '/_sandbox/actions/scan', { personId: person, content: openlink }));
      expect(opened).toMatchObject({ appid: mp.appid, page: 'pages/login/login', query: 'ticket=abc&from=sms', envVersion: 'release' });
    }
    await sandbox.advance(86_401);
    const expired = await sandbox.control('POST', '/_sandbox/actions/scan', { personId: await sandbox.person(), content: openlink });
    expect(expired.status).toBe(410);
  });

  it('a URL Link is an https link that lands on the virtual phone, which opens the page with its query', async () => {
    const mp = await tokenOf('mini_program');
    const answer = await sandbox.wechatPostJson(
      '/wxa/generate_urllink',
      { access_token: mp.token },
      { path: 'pages/index/index', query: 'a=1', expire_type: 0, expire_time: (await virtualNow()) + 3600 },
    );
    const link = z.string().startsWith(`${sandbox.url}/wxaurl/`).parse(answer.url_link);
    const landing = await fetch(link, { redirect: 'manual' });
    expect(landing.status).toBe(302);
    expect(landing.headers.get('location')).toBe(`${sandbox.url}/phone?scan=${encodeURIComponent(link)}`);
    const opened = openedLink.parse(
      await sandbox.ok('POST', '/_sandbox/actions/scan', { personId: await sandbox.person(), content: link }),
    );
    expect(opened).toMatchObject({ page: 'pages/index/index', query: 'a=1' });
  });

  it('with no path opens the home page, and lasts 30 days when no expiry is given', async () => {
    const mp = await tokenOf('mini_program', { pages: ['pages/home/home'] });
    const answer = await sandbox.wechatPostJson('/wxa/generatescheme', { access_token: mp.token }, {});
    const person = await sandbox.person();
    await sandbox.advance(30 * 86_400 - 60);
    const opened = openedLink.parse(await sandbox.ok('POST', '/_sandbox/actions/scan', { personId: person, content: answer.openlink }));
    expect(opened.page).toBe('pages/home/home');
    await sandbox.advance(120);
    expect((await sandbox.control('POST', '/_sandbox/actions/scan', { personId: person, content: answer.openlink })).status).toBe(410);
  });

  it('refuses what WeChat refuses', async () => {
    const mp = await tokenOf('mini_program');
    const oa = await tokenOf('official_account');
    const now = await virtualNow();
    const scheme = (body: unknown, token = mp.token) => sandbox.wechatPostJson('/wxa/generatescheme', { access_token: token }, body);
    const link = (body: unknown) => sandbox.wechatPostJson('/wxa/generate_urllink', { access_token: mp.token }, body);
    expect((await scheme({}, oa.token)).errcode).toBe(48001);
    expect((await scheme({ jump_wxa: { path: 'pages/nope/nope' } })).errcode).toBe(40165);
    expect((await scheme({ jump_wxa: { path: 'pages/login/login?x=1' } })).errcode).toBe(40165);
    expect(errcodeOf(await scheme({ jump_wxa: { path: 'pages/not-released/yet', env_version: 'develop' } }))).toBe(0);
    expect((await scheme({ jump_wxa: { query: 'a=<b>' } })).errcode).toBe(40212);
    expect((await scheme({ jump_wxa: { query: 'a'.repeat(1025) } })).errcode).toBe(40212);
    expect((await scheme({ jump_wxa: { env_version: 'beta' } })).errcode).toBe(40097);
    expect((await scheme({ jump_wxa: '{"path":"pages/login/login"}' })).errcode).toBe(47001);
    expect((await scheme({ expire_type: 0, expire_time: now + 30 })).errcode).toBe(85401);
    expect((await scheme({ expire_type: 0, expire_time: now + 31 * 86_400 })).errcode).toBe(85401);
    expect((await scheme({ expire_type: 1, expire_interval: 31 })).errcode).toBe(85402);
    expect((await scheme({ expire_type: 1 })).errcode).toBe(85402);
    expect((await link({ path: 'pages/nope/nope' })).errcode).toBe(40165);
    expect((await link({ query: 'x y' })).errcode).toBe(40212);
    expect((await link({ expire_type: 1, expire_interval: 0 })).errcode).toBe(85402);
    expect((await sandbox.wechatGet('/wxa/generatescheme', { access_token: mp.token })).errcode).toBe(43002);
  });
});

describe('the daily cap on generated links', () => {
  it('counts schemes and URL Links together per mini program; beyond the cap 45009 and nothing made; a new Beijing day resets it', async () => {
    const capped = await TestSandbox.start({ seedDemoWorld: false, miniProgramLinksPerDay: 3 });
    try {
      const app = await capped.app('mini_program');
      const other = await capped.app('mini_program');
      const token = await capped.appToken(app.appid, app.secret);
      const scheme = () => capped.wechatPostJson('/wxa/generatescheme', { access_token: token }, {});
      const link = () => capped.wechatPostJson('/wxa/generate_urllink', { access_token: token }, {});
      expect((await scheme()).errcode).toBe(0);
      expect((await link()).errcode).toBe(0);
      // A refused call (bad query) counts for nothing.
      expect((await capped.wechatPostJson('/wxa/generatescheme', { access_token: token }, { jump_wxa: { query: '<' } })).errcode).toBe(
        40212,
      );
      expect((await scheme()).errcode).toBe(0);
      const refused = await link();
      expect(refused.errcode).toBe(45009);
      expect(String(refused.errmsg)).toMatch(/^reach max api daily quota limit/);
      expect(refused.url_link).toBeUndefined();
      expect((await scheme()).errcode).toBe(45009);
      // Another mini program has its own count.
      const otherToken = await capped.appToken(other.appid, other.secret);
      expect((await capped.wechatPostJson('/wxa/generatescheme', { access_token: otherToken }, {})).errcode).toBe(0);
      // The next day (Beijing time) it works again.
      const clock = z.object({ now: z.union([z.number(), z.string()]) }).parse(await capped.ok('GET', '/_sandbox/clock'));
      const seconds = Math.floor((typeof clock.now === 'number' ? clock.now : Date.parse(clock.now)) / 1000);
      const toNextBeijingDay = 86_400 - ((seconds + 8 * 3_600) % 86_400) + 1;
      await capped.advance(toNextBeijingDay);
      const fresh = await capped.appToken(app.appid, app.secret);
      expect((await capped.wechatPostJson('/wxa/generatescheme', { access_token: fresh }, {})).errcode).toBe(0);
    } finally {
      await capped.close();
    }
  });
});

describe('mini program message push', () => {
  it('pushes a customer-service text as signed XML (plain mode), and entering the session as user_enter_tempsession', async () => {
    const mp = await sandbox.app('mini_program', { callbackUrl: receiver.url, token: 'mptoken', safeMode: false });
    const person = await sandbox.person();
    const outcome = await sandbox.ok('POST', '/_sandbox/actions/mp-message', {
      personId: person,
      appid: mp.appid,
      message: { type: 'text', content: '你好 hello' },
    });
    expect(outcome).toMatchObject({ appid: mp.appid, pushed: { delivered: true, attempts: 1 } });
    await sandbox.ok('POST', '/_sandbox/actions/mp-message', {
      personId: person,
      appid: mp.appid,
      message: { type: 'user_enter_tempsession', sessionFrom: 'login' },
    });
    const [text, enter] = receiver.received;
    if (text === undefined || enter === undefined) throw new Error('two pushes expected');
    const query = text.query;
    expect(query.get('signature')).toBe(callbackSignature('mptoken', query.get('timestamp') ?? '', query.get('nonce') ?? ''));
    expect(parseXml(text.body)).toMatchObject({
      MsgType: 'text',
      Content: '你好 hello',
      FromUserName: outcome.openid,
      MsgId: String(outcome.msgId),
    });
    expect(parseXml(enter.body)).toMatchObject({ MsgType: 'event', Event: 'user_enter_tempsession', SessionFrom: 'login' });
  });

  it('pushes JSON when the mini program chose JSON, encrypted in safe mode', async () => {
    const encodingAesKey = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
    const mp = await sandbox.app('mini_program', {
      callbackUrl: receiver.url,
      token: 'mptoken',
      dataFormat: 'json',
      safeMode: true,
      encodingAesKey,
    });
    await sandbox.ok('POST', '/_sandbox/actions/mp-message', {
      personId: await sandbox.person(),
      appid: mp.appid,
      message: { type: 'text', content: 'hi' },
    });
    const [push] = receiver.received;
    if (push === undefined) throw new Error('a push expected');
    const envelope = z.object({ ToUserName: z.string(), Encrypt: z.string() }).parse(JSON.parse(push.body));
    const query = push.query;
    expect(query.get('encrypt_type')).toBe('aes');
    expect(query.get('msg_signature')).toBe(
      messageSignature('mptoken', query.get('timestamp') ?? '', query.get('nonce') ?? '', envelope.Encrypt),
    );
    const message = z
      .object({ MsgType: z.literal('text'), Content: z.literal('hi'), MsgId: z.number(), CreateTime: z.number() })
      .parse(JSON.parse(decryptMessage({ encodingAesKey, appid: mp.appid, encrypted: envelope.Encrypt })));
    expect(message.Content).toBe('hi');
  });

  it('keeps JSON for mini programs only', async () => {
    const answer = await sandbox.control('POST', '/_sandbox/apps', { type: 'official_account', dataFormat: 'json' });
    expect(answer.status).toBe(400);
  });
});

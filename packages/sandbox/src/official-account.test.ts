import { callbackSignature, decryptMessage, messageSignature, parseXml } from '@weunion/wechat';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Receiver, TestSandbox } from './test-support.ts';

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

const TOKEN = 'pushtoken123';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

async function officialAccount(options: { safeMode?: boolean; bound?: boolean } = {}) {
  const openPlatformId = options.bound ? await sandbox.openPlatform() : null;
  const app = await sandbox.app('official_account', {
    callbackUrl: receiver.url,
    token: TOKEN,
    encodingAesKey: AES_KEY,
    safeMode: options.safeMode ?? false,
    openPlatformId,
  });
  return { ...app, token: await sandbox.appToken(app.appid, app.secret) };
}

async function createQr(token: string, body: unknown) {
  return sandbox.wechatPostJson('/cgi-bin/qrcode/create', { access_token: token }, body);
}

const qrAnswer = z.object({ ticket: z.string(), url: z.string(), expire_seconds: z.number().optional() });

describe('cgi-bin/qrcode/create and showqrcode', () => {
  it('creates a temporary string-scene QR whose image is a real PNG of its url', async () => {
    const app = await officialAccount();
    const qr = qrAnswer.parse(
      await createQr(app.token, { expire_seconds: 300, action_name: 'QR_STR_SCENE', action_info: { scene: { scene_str: 'login_42' } } }),
    );
    expect(qr.expire_seconds).toBe(300);
    const image = await fetch(`${sandbox.url}/cgi-bin/showqrcode?ticket=${encodeURIComponent(qr.ticket)}`);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    const person = await sandbox.person();
    const scanned = await sandbox.ok('POST', '/_sandbox/actions/scan', {
      personId: person,
      imageBase64: Buffer.from(await image.arrayBuffer()).toString('base64'),
    });
    expect(scanned).toMatchObject({ kind: 'official_account_qr', appid: app.appid, scene: 'login_42' });
  });

  it('defaults to 60 s, caps at 30 days, and stops showing the image once expired (404)', async () => {
    const app = await officialAccount();
    const short = qrAnswer.parse(await createQr(app.token, { action_name: 'QR_SCENE', action_info: { scene: { scene_id: 7 } } }));
    expect(short.expire_seconds).toBe(60);
    const long = qrAnswer.parse(
      await createQr(app.token, { expire_seconds: 9_999_999, action_name: 'QR_SCENE', action_info: { scene: { scene_id: 8 } } }),
    );
    expect(long.expire_seconds).toBe(2_592_000);
    await sandbox.advance(61);
    expect((await fetch(`${sandbox.url}/cgi-bin/showqrcode?ticket=${encodeURIComponent(short.ticket)}`)).status).toBe(404);
    expect((await fetch(`${sandbox.url}/cgi-bin/showqrcode?ticket=${encodeURIComponent(long.ticket)}`)).status).toBe(200);
    expect((await fetch(`${sandbox.url}/cgi-bin/showqrcode?ticket=unknown`)).status).toBe(404);
  });

  it('creates permanent QR codes without expire_seconds', async () => {
    const app = await officialAccount();
    const qr = await createQr(app.token, { action_name: 'QR_LIMIT_STR_SCENE', action_info: { scene: { scene_str: 'forever' } } });
    expect(qr.ticket).toBeDefined();
    expect(qr).not.toHaveProperty('expire_seconds');
  });

  it.each([
    ['an unknown action_name', { action_name: 'QR_FOO', action_info: { scene: { scene_id: 1 } } }, 40052],
    ['a missing scene', { action_name: 'QR_SCENE', action_info: {} }, 40053],
    ['scene_id 0', { action_name: 'QR_SCENE', action_info: { scene: { scene_id: 0 } } }, 40053],
    ['a permanent scene_id above 100000', { action_name: 'QR_LIMIT_SCENE', action_info: { scene: { scene_id: 100_001 } } }, 40053],
    ['a scene_str longer than 64', { action_name: 'QR_STR_SCENE', action_info: { scene: { scene_str: 'x'.repeat(65) } } }, 40053],
    ['a scene_str where a scene_id is expected', { action_name: 'QR_SCENE', action_info: { scene: { scene_str: 'abc' } } }, 40053],
  ])('refuses %s with %i', async (_name, body, errcode) => {
    const app = await officialAccount();
    expect((await createQr(app.token, body)).errcode).toBe(errcode);
  });

  it('refuses a mini program token with 48001', async () => {
    const mp = await sandbox.app('mini_program');
    const token = await sandbox.appToken(mp.appid, mp.secret);
    expect((await createQr(token, { action_name: 'QR_SCENE', action_info: { scene: { scene_id: 1 } } })).errcode).toBe(48001);
  });
});

describe('event push', () => {
  it('pushes a signed subscribe event with qrscene_ and the Ticket when a non-follower scans, and SCAN when following', async () => {
    const app = await officialAccount({ bound: true });
    const qr = qrAnswer.parse(
      await createQr(app.token, { expire_seconds: 300, action_name: 'QR_STR_SCENE', action_info: { scene: { scene_str: 's1' } } }),
    );
    const person = await sandbox.person();
    const first = await sandbox.ok('POST', '/_sandbox/actions/scan', { personId: person, content: qr.url });
    expect(first).toMatchObject({ kind: 'official_account_qr', event: 'subscribe', pushed: { delivered: true, attempts: 1 } });
    const push = receiver.received[0];
    if (push === undefined) throw new Error('nothing pushed');
    const timestamp = push.query.get('timestamp') ?? '';
    const nonce = push.query.get('nonce') ?? '';
    expect(push.query.get('signature')).toBe(callbackSignature(TOKEN, timestamp, nonce));
    const event = parseXml(push.body);
    expect(event).toMatchObject({
      MsgType: 'event',
      Event: 'subscribe',
      EventKey: 'qrscene_s1',
      Ticket: qr.ticket,
      FromUserName: first.openid,
    });
    expect(push.query.get('openid')).toBe(first.openid);

    await sandbox.ok('POST', '/_sandbox/actions/scan', { personId: person, content: qr.url });
    expect(parseXml(receiver.received[1]?.body ?? '')).toMatchObject({ Event: 'SCAN', EventKey: 's1', Ticket: qr.ticket });

    const info = await sandbox.wechatGet('/cgi-bin/user/info', {
      access_token: app.token,
      openid: z.string().parse(first.openid),
      lang: 'zh_CN',
    });
    expect(info).toMatchObject({
      subscribe: 1,
      openid: first.openid,
      subscribe_scene: 'ADD_SCENE_QR_CODE',
      qr_scene_str: 's1',
      qr_scene: 0,
    });
    expect(typeof info.unionid).toBe('string');
    expect(info).not.toHaveProperty('nickname');
    expect(info).not.toHaveProperty('headimgurl');
  });

  it('pushes plain subscribe/unsubscribe with an empty EventKey, and user/info then says subscribe 0 only', async () => {
    const app = await officialAccount();
    const person = await sandbox.person();
    const followed = await sandbox.ok('POST', '/_sandbox/actions/follow', { personId: person, appid: app.appid });
    await sandbox.ok('POST', '/_sandbox/actions/unfollow', { personId: person, appid: app.appid });
    expect(receiver.received.map((r) => parseXml(r.body))).toMatchObject([
      { Event: 'subscribe', EventKey: '' },
      { Event: 'unsubscribe', EventKey: '' },
    ]);
    const info = await sandbox.wechatGet('/cgi-bin/user/info', { access_token: app.token, openid: z.string().parse(followed.openid) });
    expect(info).toEqual({ subscribe: 0, openid: followed.openid });
  });

  it('encrypts in safe mode so decryptMessage recovers the event, with a matching msg_signature', async () => {
    const app = await officialAccount({ safeMode: true });
    const person = await sandbox.person();
    await sandbox.ok('POST', '/_sandbox/actions/follow', { personId: person, appid: app.appid });
    const push = receiver.received[0];
    if (push === undefined) throw new Error('nothing pushed');
    expect(push.query.get('encrypt_type')).toBe('aes');
    const envelope = parseXml(push.body);
    const encrypt = envelope.Encrypt ?? '';
    const timestamp = push.query.get('timestamp') ?? '';
    const nonce = push.query.get('nonce') ?? '';
    expect(push.query.get('msg_signature')).toBe(messageSignature(TOKEN, timestamp, nonce, encrypt));
    expect(push.query.get('signature')).toBe(callbackSignature(TOKEN, timestamp, nonce));
    const event = parseXml(decryptMessage({ encodingAesKey: AES_KEY, appid: app.appid, encrypted: encrypt }));
    expect(event).toMatchObject({ Event: 'subscribe', MsgType: 'event' });
    expect(envelope.ToUserName).toBe(event.ToUserName);
  });

  it('retries an answer that is not success, and stops once the developer answers success', async () => {
    const app = await officialAccount();
    const person = await sandbox.person();
    receiver.answers = [
      { status: 500, body: 'oops' },
      { status: 200, body: 'not-success' },
    ];
    const followed = await sandbox.ok('POST', '/_sandbox/actions/follow', { personId: person, appid: app.appid });
    expect(followed.pushed).toMatchObject({ delivered: true, attempts: 3 });
    expect(receiver.received).toHaveLength(3);
    const bodies = new Set(receiver.received.map((r) => r.body));
    expect(bodies.size).toBe(1);
    const log = z
      .array(
        z.object({ attempt: z.number(), delivered: z.boolean(), response: z.object({ status: z.number(), body: z.string() }).nullable() }),
      )
      .parse((await sandbox.control('GET', `/_sandbox/events?appid=${app.appid}`)).body);
    expect(log.map((entry) => [entry.attempt, entry.response?.status, entry.delivered])).toEqual([
      [1, 500, false],
      [2, 200, false],
      [3, 200, true],
    ]);
  });

  it('gives up after 3 tries in all', async () => {
    const app = await officialAccount();
    const person = await sandbox.person();
    receiver.answers = [1, 2, 3, 4].map(() => ({ status: 503, body: '' }));
    const followed = await sandbox.ok('POST', '/_sandbox/actions/follow', { personId: person, appid: app.appid });
    expect(followed.pushed).toMatchObject({ delivered: false, attempts: 3 });
    expect(receiver.received).toHaveLength(3);
  });

  it('stops when the developer server does not answer within the 5-second budget of all tries', async () => {
    const app = await officialAccount();
    const person = await sandbox.person();
    receiver.answers = [{ status: 0, body: '' }];
    const followed = await sandbox.ok('POST', '/_sandbox/actions/follow', { personId: person, appid: app.appid });
    expect(followed.pushed).toMatchObject({ delivered: false, attempts: 1 });
    expect(receiver.received).toHaveLength(1);
    const log = z
      .array(z.object({ error: z.string().nullable() }))
      .parse((await sandbox.control('GET', `/_sandbox/events?appid=${app.appid}`)).body);
    expect(log).toHaveLength(1);
    expect(log[0]?.error).not.toBeNull();
  });

  it('refuses to scan an expired QR code', async () => {
    const app = await officialAccount();
    const qr = qrAnswer.parse(
      await createQr(app.token, { expire_seconds: 60, action_name: 'QR_SCENE', action_info: { scene: { scene_id: 5 } } }),
    );
    await sandbox.advance(61);
    const person = await sandbox.person();
    expect((await sandbox.control('POST', '/_sandbox/actions/scan', { personId: person, content: qr.url })).status).toBe(410);
    expect(receiver.received).toHaveLength(0);
  });
});

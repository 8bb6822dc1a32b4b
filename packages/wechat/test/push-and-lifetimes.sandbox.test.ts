/**
 * What the sandbox pushes and how its clock ages codes, seen through this package: safe-mode
 * events decrypt with `decryptMessage`, legacy encrypted phone data with `decryptUserData`, and
 * expired codes/refresh tokens come back as the typed errors from the protocol table.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEMO_PEOPLE, demoApp } from '@weunion/sandbox';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decryptMessage, decryptUserData, parseXml, verifyCallbackSignature, verifyMessageSignature } from '../src/index.ts';
import { rejection, SandboxHarness } from './sandbox-harness.ts';

interface Received {
  query: URLSearchParams;
  body: string;
}

let sandbox: SandboxHarness;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];

beforeAll(async () => {
  sandbox = await SandboxHarness.start();
  receiver = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += String(chunk);
    received.push({ query: new URL(request.url ?? '/', 'http://x').searchParams, body });
    response.writeHead(200, { 'content-type': 'text/plain' }).end('success');
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/wechat/callback`;
});
afterEach(async () => {
  await sandbox.clearFaults();
});
afterAll(async () => {
  await sandbox.close();
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

const ENCODING_AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const TOKEN = 'pushtoken42';
const created = z.looseObject({ appid: z.string(), secret: z.string() });

describe('event push in safe mode', () => {
  it('a follow arrives signed and encrypted, and decrypts to a subscribe event for this account', async () => {
    const app = await sandbox.control(
      'POST',
      '/_sandbox/apps',
      { type: 'official_account', callbackUrl: receiverUrl, token: TOKEN, encodingAesKey: ENCODING_AES_KEY, safeMode: true },
      created,
    );
    const person = await sandbox.person();
    received.length = 0;
    await sandbox.control('POST', '/_sandbox/actions/follow', { personId: person, appid: app.appid }, z.unknown());
    const push = received[0];
    expect(push).toBeDefined();
    if (push === undefined) return;
    const q = (name: string) => push.query.get(name) ?? '';
    expect(q('encrypt_type')).toBe('aes');
    expect(verifyCallbackSignature({ token: TOKEN, timestamp: q('timestamp'), nonce: q('nonce'), signature: q('signature') })).toBe(true);
    const envelope = parseXml(push.body);
    const encrypt = envelope.Encrypt ?? '';
    expect(
      verifyMessageSignature({ token: TOKEN, timestamp: q('timestamp'), nonce: q('nonce'), encrypt, msgSignature: q('msg_signature') }),
    ).toBe(true);
    const event = parseXml(decryptMessage({ encodingAesKey: ENCODING_AES_KEY, appid: app.appid, encrypted: encrypt }));
    expect(event).toMatchObject({ MsgType: 'event', Event: 'subscribe', FromUserName: q('openid') });
    expect(() => decryptMessage({ encodingAesKey: ENCODING_AES_KEY, appid: 'wx0000000000000000', encrypted: encrypt })).toThrow();
  });
});

describe('legacy encrypted phone data', () => {
  it('decrypts with the session_key from jscode2session and carries this app’s watermark', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('mini_program');
    const person = await sandbox.person({ phone: '+8613700001111' });
    const session = await wechat.miniProgram.codeToSession(app, await sandbox.jsLogin(person, app.appid));
    const sealed = await sandbox.control(
      'POST',
      '/_sandbox/actions/encrypted-phone',
      { personId: person, appid: app.appid },
      z.looseObject({ encryptedData: z.string(), iv: z.string() }),
    );
    const data = decryptUserData({ sessionKey: session.sessionKey, ...sealed, appid: app.appid });
    expect(data).toMatchObject({ purePhoneNumber: '13700001111', watermark: { appid: app.appid } });
  });
});

describe('lifetimes', () => {
  it('an OAuth code older than its lifetime is refused as code_invalid (42003)', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('website');
    const person = await sandbox.person();
    const code = await sandbox.authorizedCode(
      person,
      wechat.oauth.qrConnectUrl({ appid: app.appid, redirectUri: 'https://id.example.com/cb', state: 's' }),
    );
    await sandbox.control('POST', '/_sandbox/clock', { advanceSeconds: 11 * 60 }, z.unknown());
    expect(await rejection(wechat.oauth.exchangeCode(app, code))).toMatchObject({
      code: 'wechat_code_invalid',
      details: { errcode: 42003 },
    });
  });

  it('a refresh_token older than 30 days is refused as refresh_token_invalid (42002)', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('website');
    const person = await sandbox.person();
    const code = await sandbox.authorizedCode(
      person,
      wechat.oauth.qrConnectUrl({ appid: app.appid, redirectUri: 'https://id.example.com/cb', state: 's' }),
    );
    const token = await wechat.oauth.exchangeCode(app, code);
    await sandbox.control('POST', '/_sandbox/clock', { advanceSeconds: 31 * 24 * 3600 }, z.unknown());
    expect(await rejection(wechat.oauth.refreshAccessToken(app.appid, token.refreshToken))).toMatchObject({
      code: 'wechat_refresh_token_invalid',
      details: { errcode: 42002 },
    });
  });
});

describe('configuration errors WeChat reports', () => {
  it('an IP not on the whitelist (40164) is ip_not_allowed, surfaced without retry', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('mini_program');
    await sandbox.faults({ appid: app.appid, errcode: 40164 });
    expect(await rejection(wechat.miniProgram.codeToSession(app, 'code'))).toMatchObject({
      code: 'wechat_ip_not_allowed',
      details: { errcode: 40164 },
    });
    expect(await sandbox.calls('sns/jscode2session', app.appid)).toBe(1);
  });

  it('an access token WeChat keeps refusing never appears in the error', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('official_account');
    const token = await wechat.tokens.get(app);
    await sandbox.faults({ appid: app.appid, errcode: 40014 });
    const error = await rejection(wechat.officialAccount.getUser(app, `o${randomUUID()}`));
    expect(error.code).toBe('wechat_access_token_invalid');
    const fresh = (await wechat.tokens.peek(app.appid))?.accessToken ?? '';
    for (const secret of [token, fresh, app.secret]) expect(JSON.stringify({ ...error, message: error.message })).not.toContain(secret);
  });
});

describe('the demo world', () => {
  it('the pre-seeded demo mini program and person log in with the published credentials', async () => {
    const wechat = sandbox.client();
    const mini = demoApp('miniProgram');
    const person = DEMO_PEOPLE[0]?.id ?? '';
    const session = await wechat.miniProgram.codeToSession(mini, await sandbox.jsLogin(person, mini.appid));
    expect(session.unionid).toBeDefined();
    const phone = await wechat.miniProgram.getPhoneNumber(mini, await sandbox.phoneCode(person, mini.appid));
    expect(phone.phoneNumber).toContain('13800000001');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection, SandboxHarness } from './sandbox-harness.ts';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await SandboxHarness.start();
});
afterAll(async () => {
  await sandbox.close();
});

describe('official account parametric QR codes', () => {
  it('creates a temporary string-scene code whose image the mp host serves', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('official_account');
    const qr = await wechat.officialAccount.createQrCode(app, { scene: 'login_abc123', expireSeconds: 300 });
    expect(qr.ticket).not.toBe('');
    expect(qr.expireSeconds).toBe(300);
    expect(qr.url).not.toBe('');
    const image = await fetch(qr.imageUrl);
    expect(image.status).toBe(200);
    expect(
      Buffer.from(await image.arrayBuffer())
        .subarray(1, 4)
        .toString('latin1'),
    ).toBe('PNG');
  });

  it('creates a numeric-scene code and a permanent code without expiry', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('official_account');
    expect((await wechat.officialAccount.createQrCode(app, { scene: 42 })).expireSeconds).toBeGreaterThan(0);
    expect((await wechat.officialAccount.createQrCode(app, { scene: 'forever', permanent: true })).expireSeconds).toBeUndefined();
  });

  it('gets a 404 for the image of an unknown ticket', async () => {
    const wechat = sandbox.client();
    const response = await fetch(wechat.officialAccount.qrCodeImageUrl('no-such-ticket'));
    expect(response.status).toBe(404);
  });
});

describe('official account user info', () => {
  it('answers subscribed: false for a person who does not follow', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('official_account');
    const person = await sandbox.person();
    const url = wechat.oauth.authorizeUrl({ appid: app.appid, redirectUri: 'https://id.example.com/cb', state: 'x', scope: 'snsapi_base' });
    const { openid } = await wechat.oauth.exchangeCode(app, await sandbox.authorizedCode(person, url));
    const user = await wechat.officialAccount.getUser(app, openid);
    expect(user).toMatchObject({ subscribed: false, openid });
  });

  it('refuses an openid that is not this account’s (40003) as invalid_argument', async () => {
    const wechat = sandbox.client();
    const app = await sandbox.app('official_account');
    expect(await rejection(wechat.officialAccount.getUser(app, 'oNotAnOpenidOfThisApp'))).toMatchObject({
      code: 'wechat_invalid_argument',
      details: { errcode: 40003 },
    });
  });
});

import { AppError } from '@weunion/errors';
import { MemorySharedState } from '@weunion/state';
import { describe, expect, it } from 'vitest';
import { createWechatClient } from './client.ts';
import { resolveEndpoints, sandboxEndpoints } from './endpoints.ts';

const wechat = createWechatClient({ state: new MemorySharedState() });

describe('authorize URLs', () => {
  it('builds the website QR login URL with WeChat’s parameter order and #wechat_redirect', () => {
    const url = wechat.oauth.qrConnectUrl({
      appid: 'wxd00000000000c003',
      redirectUri: 'https://id.example.com/cb?x=1&y=2',
      state: 'abc123',
    });
    expect(url).toBe(
      'https://open.weixin.qq.com/connect/qrconnect?appid=wxd00000000000c003&redirect_uri=https%3A%2F%2Fid.example.com%2Fcb%3Fx%3D1%26y%3D2&response_type=code&scope=snsapi_login&state=abc123#wechat_redirect',
    );
  });

  it('builds the official-account authorize URL with the requested scope', () => {
    const url = wechat.oauth.authorizeUrl({ appid: 'wxa', redirectUri: 'https://id.example.com/cb', state: 'S1', scope: 'snsapi_base' });
    expect(url).toBe(
      'https://open.weixin.qq.com/connect/oauth2/authorize?appid=wxa&redirect_uri=https%3A%2F%2Fid.example.com%2Fcb&response_type=code&scope=snsapi_base&state=S1#wechat_redirect',
    );
  });

  it('refuses a state longer than 128 characters or outside [A-Za-z0-9]', () => {
    const input = { appid: 'wxa', redirectUri: 'https://id.example.com/cb', scope: 'snsapi_userinfo' as const };
    expect(() => wechat.oauth.authorizeUrl({ ...input, state: 'a'.repeat(128) })).not.toThrow();
    for (const state of ['a'.repeat(129), 'with-dash', 'space here', '', 'ünïcode']) {
      expect(() => wechat.oauth.authorizeUrl({ ...input, state })).toThrow(AppError);
      expect(() => wechat.oauth.qrConnectUrl({ ...input, state })).toThrow(AppError);
    }
  });

  it('builds the showqrcode URL on the mp host with the ticket URL-encoded', () => {
    expect(
      wechat.officialAccount.qrCodeImageUrl(
        'gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==',
      ),
    ).toBe(
      'https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw%3D%3D',
    );
  });

  it('puts every host on the sandbox URL when configured so', () => {
    const sandbox = createWechatClient({ state: new MemorySharedState(), endpoints: sandboxEndpoints('http://127.0.0.1:4010/') });
    expect(sandbox.endpoints).toEqual({ api: 'http://127.0.0.1:4010', open: 'http://127.0.0.1:4010', mp: 'http://127.0.0.1:4010' });
    expect(sandbox.officialAccount.qrCodeImageUrl('t')).toBe('http://127.0.0.1:4010/cgi-bin/showqrcode?ticket=t');
  });

  it('keeps real WeChat for hosts not configured, and refuses non-http base URLs', () => {
    expect(resolveEndpoints({ api: 'http://localhost:9/' })).toEqual({
      api: 'http://localhost:9',
      open: 'https://open.weixin.qq.com',
      mp: 'https://mp.weixin.qq.com',
    });
    expect(() => resolveEndpoints({ api: 'ftp://example.com' })).toThrow(TypeError);
  });
});

describe('request validation before calling WeChat', () => {
  const app = { appid: 'wxa', secret: 'never-used' };

  it('refuses a mini program code scene WeChat would reject', async () => {
    for (const scene of ['', 'x'.repeat(33), 'has space', '中文']) {
      await expect(wechat.miniProgram.getUnlimitedCode(app, { scene })).rejects.toMatchObject({ code: 'validation_failed' });
    }
  });

  it('refuses parametric QR scenes and lifetimes WeChat would reject', async () => {
    await expect(wechat.officialAccount.createQrCode(app, { scene: 'x'.repeat(65) })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(wechat.officialAccount.createQrCode(app, { scene: 0 })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(wechat.officialAccount.createQrCode(app, { scene: 'ok', expireSeconds: 2_592_001 })).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });
});

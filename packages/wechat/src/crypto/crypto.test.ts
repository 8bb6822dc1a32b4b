import { AppError } from '@weunion/errors';
import { describe, expect, it } from 'vitest';
import { parseXml } from '../xml.ts';
import {
  callbackSignature,
  checkSessionSignature,
  decryptMessage,
  decryptUserData,
  encryptMessage,
  encryptUserData,
  jsSdkSignature,
  messageSignature,
  rawDataSignature,
  verifyCallbackSignature,
  verifyMessageSignature,
  verifyRawDataSignature,
} from './index.ts';

// Official vectors from WeChat's samples, quoted in shared/wechat-protocol.md.
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const SAMPLE_ENCRYPT =
  'hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=';
const MINI_ENCRYPTED_DATA =
  'CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew==';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof AppError ? error.code : `not an AppError: ${String(error)}`;
  }
  return undefined;
}

describe('safe-mode message crypto', () => {
  it('reproduces WeChat’s encryption sample with the fixed random', () => {
    const encrypted = encryptMessage({
      encodingAesKey: AES_KEY,
      appid: 'wxb11529c136998cb6',
      message: '我是中文abcd123',
      random: Buffer.from('aaaabbbbccccdddd'),
    });
    expect(encrypted).toBe('jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==');
  });

  it('computes the sample’s msg_signature and decrypts it to the sample text message', () => {
    expect(messageSignature('spamtest', '1409735669', '1320562132', SAMPLE_ENCRYPT)).toBe('5d197aaffba7e9b25a30732f161a50dee96bd5fa');
    expect(
      verifyMessageSignature({
        token: 'spamtest',
        timestamp: '1409735669',
        nonce: '1320562132',
        encrypt: SAMPLE_ENCRYPT,
        msgSignature: '5d197aaffba7e9b25a30732f161a50dee96bd5fa',
      }),
    ).toBe(true);
    const xml = decryptMessage({ encodingAesKey: AES_KEY, appid: 'wx2c2769f8efd9abc2', encrypted: SAMPLE_ENCRYPT });
    const message = parseXml(xml);
    expect(message).toMatchObject({
      ToUserName: 'gh_10f6c3c3ac5a',
      FromUserName: 'oyORnuP8q7ou2gfYjqLzSIWZf0rs',
      MsgType: 'text',
      Content: 'abcdteT',
      MsgId: '6054768590064713728',
    });
  });

  it('round-trips messages of every padding length, including a full 32-byte pad block', () => {
    for (let length = 0; length < 70; length++) {
      const message = 'x'.repeat(length);
      const encrypted = encryptMessage({ encodingAesKey: AES_KEY, appid: 'wxappid', message });
      expect(decryptMessage({ encodingAesKey: AES_KEY, appid: 'wxappid', encrypted })).toBe(message);
    }
  });

  it('refuses a message encrypted for another appid', () => {
    const encrypted = encryptMessage({ encodingAesKey: AES_KEY, appid: 'wxother', message: 'hello' });
    expect(codeOf(() => decryptMessage({ encodingAesKey: AES_KEY, appid: 'wxmine', encrypted }))).toBe('wechat_decrypt_failed');
  });

  it('refuses tampered ciphertext, truncated ciphertext and a wrong key', () => {
    const encrypted = encryptMessage({ encodingAesKey: AES_KEY, appid: 'wxmine', message: 'hello world' });
    const bytes = Buffer.from(encrypted, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    const tampered = bytes.toString('base64');
    expect(codeOf(() => decryptMessage({ encodingAesKey: AES_KEY, appid: 'wxmine', encrypted: tampered }))).toBe('wechat_decrypt_failed');
    const truncated = Buffer.from(encrypted, 'base64').subarray(0, 20).toString('base64');
    expect(codeOf(() => decryptMessage({ encodingAesKey: AES_KEY, appid: 'wxmine', encrypted: truncated }))).toBe('wechat_decrypt_failed');
    const otherKey = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq';
    expect(codeOf(() => decryptMessage({ encodingAesKey: otherKey, appid: 'wxmine', encrypted }))).toBe('wechat_decrypt_failed');
    expect(codeOf(() => decryptMessage({ encodingAesKey: AES_KEY, appid: 'wxmine', encrypted: '' }))).toBe('wechat_decrypt_failed');
  });

  it('rejects an EncodingAESKey that is not 43 base64 characters as a configuration error', () => {
    expect(codeOf(() => encryptMessage({ encodingAesKey: 'short', appid: 'wx', message: 'm' }))).toBe('config_invalid');
  });
});

describe('callback signatures', () => {
  it('signs sha1 over the sorted token, timestamp and nonce', () => {
    // sha1('13205621321409735669spamtest'), computed independently with Python's hashlib.
    const signature = callbackSignature('spamtest', '1409735669', '1320562132');
    expect(signature).toBe('16120ec1b8dbb870f510d87ce6bc2463eae6ca1a');
    expect(signature).toBe(callbackSignature('spamtest', '1320562132', '1409735669'));
    expect(verifyCallbackSignature({ token: 'spamtest', timestamp: '1409735669', nonce: '1320562132', signature })).toBe(true);
    expect(
      verifyCallbackSignature({ token: 'spamtest', timestamp: '1409735669', nonce: '1320562132', signature: signature.toUpperCase() }),
    ).toBe(true);
  });

  it('rejects a signature made with another token or for another timestamp', () => {
    const signature = callbackSignature('spamtest', '1409735669', '1320562132');
    expect(verifyCallbackSignature({ token: 'other', timestamp: '1409735669', nonce: '1320562132', signature })).toBe(false);
    expect(verifyCallbackSignature({ token: 'spamtest', timestamp: '1409735670', nonce: '1320562132', signature })).toBe(false);
    expect(verifyCallbackSignature({ token: 'spamtest', timestamp: '1409735669', nonce: '1320562132', signature: '' })).toBe(false);
  });
});

describe('mini program encrypted data', () => {
  it('decrypts WeChat’s sample and checks its watermark', () => {
    const data = decryptUserData({
      sessionKey: 'tiihtNczf5v6AKRyjwEUhQ==',
      iv: 'r7BXXKkLb8qrSNn05n0qiA==',
      encryptedData: MINI_ENCRYPTED_DATA,
      appid: 'wx4f4bc4dec97d474b',
    });
    expect(data).toMatchObject({
      openId: 'oGZUI0egBJY1zhBYw2KhdUfwVJJE',
      unionId: 'ocMvos6NjeKLIBqg5Mr9QjxrP1FA',
      nickName: 'Band',
      watermark: { timestamp: 1477314187, appid: 'wx4f4bc4dec97d474b' },
    });
  });

  it('refuses the sample for another appid', () => {
    expect(
      codeOf(() =>
        decryptUserData({
          sessionKey: 'tiihtNczf5v6AKRyjwEUhQ==',
          iv: 'r7BXXKkLb8qrSNn05n0qiA==',
          encryptedData: MINI_ENCRYPTED_DATA,
          appid: 'wx0000000000000000',
        }),
      ),
    ).toBe('wechat_decrypt_failed');
  });

  it('round-trips data encrypted under a session_key, and refuses it under a rotated one', () => {
    const sessionKey = Buffer.alloc(16, 7).toString('base64');
    const payload = { phoneNumber: '+8613800000001', watermark: { appid: 'wxmini', timestamp: 1 } };
    const { encryptedData, iv } = encryptUserData({ sessionKey, data: payload });
    expect(decryptUserData({ sessionKey, encryptedData, iv, appid: 'wxmini' })).toEqual(payload);
    const rotated = Buffer.alloc(16, 8).toString('base64');
    expect(codeOf(() => decryptUserData({ sessionKey: rotated, encryptedData, iv, appid: 'wxmini' }))).toBe('wechat_decrypt_failed');
  });

  it('refuses data without a watermark and a malformed iv', () => {
    const sessionKey = Buffer.alloc(16, 7).toString('base64');
    const { encryptedData, iv } = encryptUserData({ sessionKey, data: { phoneNumber: '1' } });
    expect(codeOf(() => decryptUserData({ sessionKey, encryptedData, iv, appid: 'wxmini' }))).toBe('wechat_decrypt_failed');
    expect(codeOf(() => decryptUserData({ sessionKey, encryptedData, iv: 'AAAA', appid: 'wxmini' }))).toBe('wechat_decrypt_failed');
  });
});

describe('checksession signature', () => {
  it('is the hex HMAC-SHA256 of the empty string keyed by the session_key text', () => {
    // HMAC-SHA256(key="tiihtNczf5v6AKRyjwEUhQ==", message=""), computed independently with Python's hmac.
    const signature = checkSessionSignature('tiihtNczf5v6AKRyjwEUhQ==');
    expect(signature).toBe('7154f9f8b4b76b92f541cbf0e37d48840fa06e5e42da92a6f80168a1516a4735');
    expect(signature).not.toBe(checkSessionSignature('tiihtNczf5v6AKRyjwEUhQ=='.replace('t', 'u')));
  });
});

describe('user-session signature of a POST body', () => {
  it('is the hex HMAC-SHA256 of the body keyed by the session_key (WeChat’s 用户登录态签名 example)', () => {
    // The example of WeChat's "用户登录态签名" page; also computed independently with Python's hmac.
    expect(checkSessionSignature('o0q0otL8aEzpcZL/FT9WsQ==', '{"foo":"bar"}')).toBe(
      '654571f79995b2ce1e149e53c0a33dc39c0a74090db514261454e8dbe432aa0b',
    );
    expect(checkSessionSignature('o0q0otL8aEzpcZL/FT9WsQ==', Buffer.from('{"foo":"bar"}'))).toBe(
      checkSessionSignature('o0q0otL8aEzpcZL/FT9WsQ==', '{"foo":"bar"}'),
    );
    expect(checkSessionSignature('o0q0otL8aEzpcZL/FT9WsQ==', '{"foo":"baz"}')).not.toBe(
      checkSessionSignature('o0q0otL8aEzpcZL/FT9WsQ==', '{"foo":"bar"}'),
    );
  });
});

describe('rawData signature', () => {
  // The example of WeChat's "开放数据校验与解密" page (signature = sha1(rawData + session_key)).
  const rawData =
    '{"nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/1vZvI39NWFQ9XM4LtQpFrQJ1xlgZxx3w7bQxKARol6503Iuswjjn6nIGBiaycAjAtpujxyzYsrztuuICqIM5ibXQ/0"}';
  const sessionKey = 'HyVFkGl5F5OQWJZZaNzBBg==';

  it('matches the official example', () => {
    expect(rawDataSignature(rawData, sessionKey)).toBe('75e81ceda165f4ffa64f4068af58c64b8f54b88c');
    expect(verifyRawDataSignature({ rawData, sessionKey, signature: '75E81CEDA165F4FFA64F4068AF58C64B8F54B88C' })).toBe(true);
  });

  it('refuses changed data, another session_key and a malformed signature', () => {
    const signature = '75e81ceda165f4ffa64f4068af58c64b8f54b88c';
    expect(verifyRawDataSignature({ rawData: rawData.replace('Band', 'Bond'), sessionKey, signature })).toBe(false);
    expect(verifyRawDataSignature({ rawData, sessionKey: 'tiihtNczf5v6AKRyjwEUhQ==', signature })).toBe(false);
    expect(verifyRawDataSignature({ rawData, sessionKey, signature: 'short' })).toBe(false);
  });
});

describe('JS-SDK wx.config signature', () => {
  // The two examples of the JS-SDK docs (附录1) and of WeCom's copy of the same algorithm.
  const ticket = 'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg';

  it('matches the official examples', () => {
    expect(
      jsSdkSignature({ ticket, nonceStr: 'Wm3WZYTPz0wzccnW', timestamp: 1414587457, url: 'http://mp.weixin.qq.com?params=value' }),
    ).toBe('0f9de62fce790f9a083d5c99e95740ceb90c27ed');
    expect(jsSdkSignature({ ticket, nonceStr: 'Wm3WZYTPz0wzccnW', timestamp: '1414587457', url: 'http://mp.weixin.qq.com' })).toBe(
      'f4d90daf4b3bca3078ab155816175ba34c443a7b',
    );
  });

  it('ignores the #fragment and signs the URL unescaped', () => {
    const base = { ticket, nonceStr: 'n', timestamp: 1 };
    expect(jsSdkSignature({ ...base, url: 'https://a.example/p?x=1#/route' })).toBe(
      jsSdkSignature({ ...base, url: 'https://a.example/p?x=1' }),
    );
    expect(jsSdkSignature({ ...base, url: 'https://a.example/p?x=%20' })).not.toBe(
      jsSdkSignature({ ...base, url: 'https://a.example/p?x= ' }),
    );
  });
});

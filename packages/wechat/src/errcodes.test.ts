import { describe, expect, it } from 'vitest';
import { errorCodeFor, wechatError } from './errcodes.ts';

describe('errcode translation (protocol notes table)', () => {
  it.each([
    [-1, 'wechat_busy'],
    [40001, 'wechat_access_token_invalid'],
    [40014, 'wechat_access_token_invalid'],
    [42001, 'wechat_access_token_invalid'],
    [40013, 'wechat_credentials_invalid'],
    [40125, 'wechat_credentials_invalid'],
    [40029, 'wechat_code_invalid'],
    [40163, 'wechat_code_invalid'],
    [42003, 'wechat_code_invalid'],
    [41008, 'wechat_code_missing'],
    [40030, 'wechat_refresh_token_invalid'],
    [42002, 'wechat_refresh_token_invalid'],
    [40164, 'wechat_ip_not_allowed'],
    [40226, 'wechat_high_risk_user'],
    [45009, 'wechat_quota_exceeded'],
    [45011, 'wechat_rate_limited'],
    [48001, 'wechat_scope_unauthorized'],
    [41030, 'wechat_invalid_argument'],
    [40129, 'wechat_invalid_argument'],
    [40169, 'wechat_invalid_argument'],
    [99999, 'wechat_error'],
  ])('errcode %i from a user API becomes %s', (errcode, code) => {
    expect(errorCodeFor('sns/userinfo', errcode)).toBe(code);
  });

  it('treats 40001 from cgi-bin/token as a wrong AppSecret, not a stale token', () => {
    expect(errorCodeFor('cgi-bin/token', 40001)).toBe('wechat_credentials_invalid');
    expect(errorCodeFor('cgi-bin/stable_token', 40001)).toBe('wechat_credentials_invalid');
  });

  it('keeps the numeric errcode and the endpoint in details', () => {
    const error = wechatError({ endpoint: 'sns/jscode2session', errcode: 40163, errmsg: 'code been used' });
    expect(error.code).toBe('wechat_code_invalid');
    expect(error.details).toEqual({ endpoint: 'sns/jscode2session', errcode: 40163, errmsg: 'code been used' });
  });
});

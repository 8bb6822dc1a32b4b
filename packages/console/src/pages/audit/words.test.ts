import { describe, expect, it } from 'vitest';
import type { Vars } from '../../i18n/dictionary.ts';
import { type MessageKey, translate } from '../../i18n/index.ts';
import { describeAction, describeReason } from './words.ts';

const inEnglish = (key: MessageKey, vars?: Vars) => translate('en', key, vars);
const inChinese = (key: MessageKey, vars?: Vars) => translate('zh-CN', key, vars);

describe('codes in words', () => {
  it('says a login failure and why it was refused, in both languages', () => {
    expect(describeReason(inEnglish, 'login_refused:account_blocked')).toBe('Login refused: the person is blocked');
    expect(describeReason(inChinese, 'login_refused:account_blocked')).toBe('登录被拒绝：用户已被封禁');
    expect(describeReason(inEnglish, 'wechat_quota_exceeded')).toBe('WeChat daily quota reached');
  });

  it('falls back to the code for one it does not know', () => {
    expect(describeReason(inEnglish, 'something_new')).toBe('something_new');
    expect(describeReason(inEnglish, 'login_refused:new_reason')).toBe('Login refused: new_reason');
    expect(describeAction(inEnglish, 'thing.happened')).toBe('thing.happened');
  });

  it('names audit actions', () => {
    expect(describeAction(inEnglish, 'user.password_reset')).toBe('Password reset');
    expect(describeAction(inChinese, 'identity.unlinked')).toBe('解绑微信身份');
  });
});

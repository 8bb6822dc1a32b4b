import { describe, expect, it } from 'vitest';
import { translate } from './index.ts';

describe('translate', () => {
  it('fills variables in both languages', () => {
    expect(translate('en', 'shell.signedInAs', { name: 'ops' })).toBe('Signed in as ops');
    expect(translate('zh-CN', 'shell.signedInAs', { name: 'ops' })).toBe('已登录：ops');
  });

  it('agrees the verb with what moves in a merge', () => {
    const base = { source: 'Li Lei', target: 'Han Meimei' };
    expect(translate('en', 'merge.summary', { ...base, moves: '1 WeChat identity', single: 1 })).toBe(
      'Merge Li Lei into Han Meimei: 1 WeChat identity moves.',
    );
    expect(translate('en', 'merge.summary', { ...base, moves: '2 WeChat identities and 1 phone number', single: 0 })).toBe(
      'Merge Li Lei into Han Meimei: 2 WeChat identities and 1 phone number move.',
    );
  });
});

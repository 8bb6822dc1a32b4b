import { describe, expect, it } from 'vitest';
import { diffRows, showValue } from './diff.ts';

describe('audit diff', () => {
  it('lists only the nested fields that changed, as dotted paths', () => {
    const rows = diffRows(
      { status: 'active', policy: { registration: 'open', binding: 'off' }, name: 'A' },
      { status: 'blocked', policy: { registration: 'open', binding: 'required' }, name: 'A' },
    );
    expect(rows).toEqual([
      { field: 'status', before: 'active', after: 'blocked' },
      { field: 'policy.binding', before: 'off', after: 'required' },
    ]);
  });

  it('shows a created thing as fields going from nothing to their value', () => {
    expect(diffRows(null, { id: 'usr_1', tags: ['a'] })).toEqual([
      { field: 'id', before: undefined, after: 'usr_1' },
      { field: 'tags', before: undefined, after: ['a'] },
    ]);
    expect(showValue(['a'])).toBe('["a"]');
    expect(showValue(null)).toBe('null');
  });
});

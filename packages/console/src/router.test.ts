import { describe, expect, it } from 'vitest';
import { matchPath } from './router.tsx';

describe('route matching', () => {
  it('matches whole segments and decodes parameters', () => {
    expect(matchPath('/people/:id', '/people/usr_1')).toEqual({ id: 'usr_1' });
    expect(matchPath('/people/:id', '/people/a%20b/')).toEqual({ id: 'a b' });
    expect(matchPath('/people', '/people/usr_1')).toBeNull();
    expect(matchPath('/', '/')).toEqual({});
    expect(matchPath('/people/:id', '/merges/x')).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { niceTicks } from './charts.tsx';

describe('chart axis', () => {
  it('rounds the axis up to whole, evenly spaced ticks that cover the largest value', () => {
    expect(niceTicks(2)).toEqual([0, 1, 2]);
    expect(niceTicks(7)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(930)).toEqual([0, 250, 500, 750, 1000]);
    expect(niceTicks(0)).toEqual([0, 1]);
  });
});

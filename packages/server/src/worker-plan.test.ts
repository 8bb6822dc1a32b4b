import { describe, expect, it } from 'vitest';
import { planWorkers, type WorkerPlanInput } from './worker-plan.ts';

const embedded: WorkerPlanInput = { requested: undefined, mode: 'embedded', stateKind: 'sqlite', sandbox: false, cores: 4 };

describe('how many worker processes serve', () => {
  it.each([
    ['embedded with the SQLite state: one per core', embedded, 4],
    ['an explicit WORKERS wins', { ...embedded, requested: 2 }, 2],
    ['the built-in sandbox pins one process', { ...embedded, sandbox: true }, 1],
    ['in-process state pins one process', { ...embedded, stateKind: 'memory' as const }, 1],
    ['scale-out mode stays one process unless asked', { ...embedded, mode: 'scale-out' as const, stateKind: 'redis' as const }, 1],
    [
      'scale-out with Redis may run several when asked',
      { ...embedded, mode: 'scale-out' as const, stateKind: 'redis' as const, requested: 3 },
      3,
    ],
    ['WORKERS=1 is honoured anywhere', { ...embedded, sandbox: true, requested: 1 }, 1],
  ])('%s', (_name, input, workers) => {
    expect(planWorkers(input).workers).toBe(workers);
  });

  it('refuses WORKERS > 1 where processes could not share what they must, saying why', () => {
    expect(() => planWorkers({ ...embedded, requested: 2, sandbox: true })).toThrow(
      /WORKERS=2 cannot be honoured: the built-in WeChat sandbox/,
    );
    expect(() => planWorkers({ ...embedded, requested: 2, stateKind: 'memory' })).toThrow(/shared state is in-process/);
  });
});

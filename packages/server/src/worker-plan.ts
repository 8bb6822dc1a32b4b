/**
 * How many processes `weunion serve` runs (WORKERS). Several processes on one port are only
 * correct when everything they share lives outside any one of them: the database always does;
 * shared state does in the SQLite state file or Redis, not in-process; the built-in WeChat
 * sandbox does not (its emulated world is in process memory), so it pins the service to one.
 */
import { AppError } from '@weunion/errors';
import type { SharedState } from '@weunion/state';

export interface WorkerPlan {
  workers: number;
  /** Why the count is what it is, for the start banner. */
  reason: string;
}

export interface WorkerPlanInput {
  requested: number | undefined;
  mode: 'embedded' | 'scale-out';
  stateKind: SharedState['kind'];
  sandbox: boolean;
  cores: number;
}

export function planWorkers(input: WorkerPlanInput): WorkerPlan {
  const unsafe =
    input.stateKind === 'memory'
      ? 'shared state is in-process (set REDIS_URL, or use embedded storage)'
      : input.sandbox
        ? 'the built-in WeChat sandbox keeps its world in process memory (SANDBOX=off, or run `weunion sandbox` apart)'
        : undefined;
  if (unsafe !== undefined) {
    if (input.requested !== undefined && input.requested > 1) {
      throw new AppError('config_invalid', `WORKERS=${input.requested} cannot be honoured: ${unsafe}`);
    }
    return { workers: 1, reason: `one process: ${unsafe.replace(/ \(.*\)$/, '')}` };
  }
  if (input.requested !== undefined) return { workers: input.requested, reason: 'WORKERS' };
  if (input.mode === 'scale-out') return { workers: 1, reason: 'scale-out mode: run more instances to scale' };
  return { workers: Math.max(1, input.cores), reason: `one per core (${input.cores})` };
}

/**
 * `weunion serve` with WORKERS > 1: a node:cluster group on one port. The primary prepares
 * storage once, forks the workers, relays shared-state messages between them (so a browser
 * watching a ticket through one worker hears about a scan that another handled), replaces a
 * worker that dies, and on SIGTERM/SIGINT lets every worker drain its requests before the group
 * exits. The primary serves no requests itself; node:cluster hands it the accepted connections
 * to distribute round-robin.
 */
import cluster, { type Worker } from 'node:cluster';
import { relayBusMessages } from '@weunion/state';
import type { Logger } from 'pino';
import type { Config } from './config/index.ts';

const LISTENING = 'weunion:listening';
/** More worker deaths than this within the window stop the group instead of forking again. */
const CRASH_LIMIT = 5;
const CRASH_WINDOW_MS = 60_000;

/** In a worker: tell the primary this process is listening. */
export function reportListening(address: string): void {
  process.send?.({ type: LISTENING, address });
}

function listeningAddress(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const record = message as Record<string, unknown>;
  return record.type === LISTENING && typeof record.address === 'string' ? record.address : undefined;
}

export interface WorkerGroup {
  /** The address every worker listens on. */
  address: string;
  workers: number;
}

/**
 * Forks `count` workers and resolves once all of them listen. Installs the group's signal
 * handlers: the process exits when the group has stopped (0 when every worker drained cleanly).
 */
export function startWorkerGroup(
  config: Config,
  count: number,
  logger: Logger,
  exit: (code: number) => void = process.exit,
): Promise<WorkerGroup> {
  relayBusMessages();
  const listening = new Set<number>();
  const crashes: number[] = [];
  let started = false;
  let stopping = false;
  let exitCode = 0;

  const live = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);

  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    for (const worker of live()) worker.process.kill('SIGTERM');
    // Each worker bounds its own drain by SHUTDOWN_TIMEOUT_MS; this only catches a stuck one.
    const timer = setTimeout(() => {
      for (const worker of live()) worker.process.kill('SIGKILL');
      exit(1);
    }, config.shutdownTimeoutMs + 5_000);
    timer.unref();
    if (live().length === 0) exit(exitCode);
  };

  return new Promise((resolve, reject) => {
    cluster.on('message', (worker, message: unknown) => {
      const address = listeningAddress(message);
      if (address === undefined) return;
      listening.add(worker.id);
      if (!started && listening.size === count) {
        started = true;
        resolve({ address, workers: count });
      }
    });
    cluster.on('exit', (worker, code, signal) => {
      listening.delete(worker.id);
      if (stopping) {
        if (code !== 0) exitCode = 1;
        if (live().length === 0) exit(exitCode);
        return;
      }
      if (!started) {
        stop(1);
        reject(new Error(`a worker process could not start (exit code ${code ?? signal})`));
        return;
      }
      const now = Date.now();
      crashes.push(now);
      while (crashes.length > 0 && (crashes[0] ?? now) < now - CRASH_WINDOW_MS) crashes.shift();
      if (crashes.length > CRASH_LIMIT) {
        logger.fatal({ crashes: crashes.length, windowMs: CRASH_WINDOW_MS }, 'workers keep dying; stopping the group');
        stop(1);
        return;
      }
      logger.error({ pid: worker.process.pid, code, signal }, 'a worker process died; starting another');
      cluster.fork();
    });
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal, workers: live().length }, 'shutting down the worker group');
      stop(0);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    for (let i = 0; i < count; i++) cluster.fork();
  });
}

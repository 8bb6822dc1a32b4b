/**
 * Test fixture: a node:cluster group of two workers that share one SQLite state file, each
 * answering the shared-state interface over IPC, so the contract suite can run its two handles
 * in two processes (the primary relays pub/sub as `weunion serve` does with WORKERS=2).
 *
 *   fork('cluster-fixture.ts', [stateFile]) → {type:'ready'}; then {type:'rpc', to: 0|1, id, method, args}
 */
import cluster from 'node:cluster';
import { ClusterBus, relayBusMessages } from '../bus.ts';
import { SqliteSharedState } from '../sqlite.ts';
import type { Lock, SharedState, Subscription } from '../types.ts';

interface Rpc {
  type: 'rpc';
  to: number;
  id: number;
  method: string;
  args: unknown[];
}

const isRpc = (value: unknown): value is Rpc => typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'rpc';

if (cluster.isPrimary) {
  relayBusMessages();
  const workers = [0, 1].map(() => cluster.fork({ STATE_FILE: process.argv[2] ?? '' }));
  let ready = 0;
  cluster.on('message', (_worker, message: { type?: string }) => {
    if (message.type === 'ready' && ++ready === workers.length) process.send?.({ type: 'ready' });
    if (message.type === 'rpc-result' || message.type === 'event') process.send?.(message);
  });
  process.on('message', (message: unknown) => {
    if (isRpc(message)) workers[message.to]?.send(message);
  });
  process.on('disconnect', () => {
    for (const worker of workers) worker.kill();
    process.exit(0);
  });
} else {
  const state: SharedState = new SqliteSharedState({ file: process.env.STATE_FILE ?? '', bus: new ClusterBus() });
  const locks = new Map<number, Lock>();
  const subscriptions = new Map<number, Subscription>();
  const call = async ({ id, method, args }: Rpc): Promise<unknown> => {
    switch (method) {
      case 'acquireLock': {
        const lock = await state.acquireLock(String(args[0]), Number(args[1]));
        if (lock === null) return null;
        locks.set(id, lock);
        return id;
      }
      case 'release':
        return (await locks.get(Number(args[0]))?.release()) ?? false;
      case 'subscribe':
        subscriptions.set(
          id,
          await state.subscribe(String(args[0]), (message) => process.send?.({ type: 'event', subscription: id, message })),
        );
        return id;
      case 'unsubscribe':
        await subscriptions.get(Number(args[0]))?.unsubscribe();
        return null;
      default: {
        const method_ = Reflect.get(state, method);
        if (typeof method_ !== 'function') throw new Error(`no method ${method}`);
        return (await Reflect.apply(method_, state, args)) ?? null;
      }
    }
  };
  process.on('message', (message: unknown) => {
    if (!isRpc(message)) return;
    call(message).then(
      (result) => process.send?.({ type: 'rpc-result', id: message.id, result }),
      (error: unknown) => process.send?.({ type: 'rpc-result', id: message.id, error: String(error) }),
    );
  });
  process.send?.({ type: 'ready' });
}

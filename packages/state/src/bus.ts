/**
 * Where published messages travel for the embedded shared state. Keys live in SQLite, which every
 * process on the machine can open; messages have no such home, so they travel either within this
 * process, or — when the service runs as a node:cluster group (`WORKERS` > 1) — to this worker's
 * own subscribers directly and through the primary to every other worker, over the cluster's IPC
 * channels. IPC is ordered and costs one pipe write per worker, so a message reaches a watcher on
 * any worker without polling a table. Messages of one publisher arrive in the order sent; two
 * workers publishing on one channel at once may be heard in different orders by different workers
 * (ticket events carry versions, so their watchers keep the newest whatever the order).
 */
import cluster, { type Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';

export interface MessageBus {
  publish(channel: string, message: string): void;
  /** Returns the function that stops delivery to `listener`. */
  subscribe(channel: string, listener: (message: string) => void): () => void;
  close(): void;
}

/** Delivery within this process. */
export class LocalBus implements MessageBus {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  publish(channel: string, message: string): void {
    // Deliver asynchronously, as a network bus would, so publishers never run subscriber code inline.
    queueMicrotask(() => this.#emitter.emit(channel, message));
  }

  subscribe(channel: string, listener: (message: string) => void): () => void {
    this.#emitter.on(channel, listener);
    return () => this.#emitter.off(channel, listener);
  }

  close(): void {
    this.#emitter.removeAllListeners();
  }
}

const BUS_MESSAGE = 'weunion:bus';

/** One IPC message carries every publish of one event-loop turn, in order: `[channel, message]` pairs. */
interface BusEnvelope {
  type: typeof BUS_MESSAGE;
  messages: [channel: string, message: string][];
}

function isBusEnvelope(value: unknown): value is BusEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    record.type === BUS_MESSAGE &&
    Array.isArray(record.messages) &&
    record.messages.every(
      (pair: unknown) => Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && typeof pair[1] === 'string',
    )
  );
}

/**
 * Delivery to every worker of a node:cluster group, this one included. The primary must run
 * `relayBusMessages()`. A message published while the primary is gone (the group is shutting
 * down) reaches only this worker's subscribers, as a network bus would drop it for the others.
 *
 * Publishes of one event-loop turn travel together in one IPC message (sent at the end of the
 * turn): a burst of confirmations costs one pipe write and one relay per worker instead of one per
 * message, which is what keeps a watcher's delay flat when many tickets change at once.
 */
export class ClusterBus implements MessageBus {
  readonly #local = new LocalBus();
  #pending: [string, string][] = [];
  #flush: NodeJS.Immediate | undefined;
  readonly #onMessage = (value: unknown) => {
    if (!isBusEnvelope(value)) return;
    for (const [channel, message] of value.messages) this.#local.publish(channel, message);
  };

  constructor() {
    if (!cluster.isWorker || process.send === undefined) throw new Error('ClusterBus runs in a node:cluster worker');
    process.on('message', this.#onMessage);
  }

  publish(channel: string, message: string): void {
    this.#local.publish(channel, message);
    this.#pending.push([channel, message]);
    this.#flush ??= setImmediate(() => this.#send());
  }

  #send(): void {
    this.#flush = undefined;
    const messages = this.#pending;
    this.#pending = [];
    if (messages.length === 0 || !process.connected) return;
    const envelope: BusEnvelope = { type: BUS_MESSAGE, messages };
    process.send?.(envelope, undefined, undefined, () => {
      // The primary went away mid-send (shutdown): the messages are dropped.
    });
  }

  subscribe(channel: string, listener: (message: string) => void): () => void {
    return this.#local.subscribe(channel, listener);
  }

  close(): void {
    // What was published before closing still goes out.
    if (this.#flush !== undefined) {
      clearImmediate(this.#flush);
      this.#send();
    }
    process.off('message', this.#onMessage);
    this.#local.close();
  }
}

/** In the cluster primary: pass every worker's bus message to every other live worker. */
export function relayBusMessages(): () => void {
  if (!cluster.isPrimary) throw new Error('relayBusMessages runs in the node:cluster primary');
  const relay = (sender: Worker, value: unknown) => {
    if (!isBusEnvelope(value)) return;
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker !== undefined && worker !== sender && worker.isConnected()) worker.send(value, undefined, () => {});
    }
  };
  cluster.on('message', relay);
  return () => cluster.off('message', relay);
}

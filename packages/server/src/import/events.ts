/**
 * Where an import's identity events go when asked for (`--events`, `emitEvents: true`): the webhook
 * outbox of issue #19 item 1, written in the transaction of each batch. Until the outbox exists,
 * there is no sink and asking for events changes nothing (the CLI and the API say so).
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../storage/schema.ts';
import type { ImportEvent } from './engine.ts';

export type ImportEventSink = (trx: Kysely<Tables>, events: ImportEvent[]) => Promise<void>;

/** The outbox writer, once there is one (wire it here: both the CLI and the API take it from here). */
export const importEventSink: ImportEventSink | undefined = undefined;

/**
 * The QR ticket behind S1 (follow the official account), S3 (scan a mini program code) and S7
 * (an app opens the mini program): `waiting → scanned → confirmed | cancelled | expired`, then
 * `consumed` once its result is redeemed.
 *
 * Rules, each enforced here rather than by callers:
 * - A ticket lives in shared state, so any instance can create it, advance it or answer for it.
 * - Every transition is a compare-and-set on the stored record: of two racing confirmations
 *   exactly one wins, and a ticket is confirmed once.
 * - The browser (or app) that created the ticket holds a secret; only a holder of that secret
 *   can read its status or redeem it, and redeeming happens once. A QR shown to someone else
 *   (QR-jacking) yields that person nothing.
 * - The QR stops being scannable after `qrTtlMs`; a confirmed result waits for its holder until
 *   `ticketTtlMs`.
 * - Each transition is published on the ticket's channel, so watchers on any instance hear it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '@weunion/errors';
import type { SharedState, Subscription } from '@weunion/state';
import { z } from 'zod';

export const TICKET_STATES = ['waiting', 'scanned', 'confirmed', 'cancelled', 'expired', 'consumed'] as const;
export type TicketState = (typeof TICKET_STATES)[number];

/** What a watcher is told; personal data only when the ticket was created with `revealOnScan`. */
export interface TicketStatus {
  id: string;
  state: TicketState;
  /** Increases with every transition; long-poll clients pass the last one they saw. */
  version: number;
  qrExpiresAt: number;
  expiresAt: number;
  /** Nickname/avatar of the scanner, only with `revealOnScan` (opt-in). */
  scanner?: { nickname?: string; avatarUrl?: string };
}

const displaySchema = z.object({ nickname: z.string().optional(), avatarUrl: z.string().optional() });

const recordSchema = z.object({
  id: z.string(),
  kind: z.string(),
  state: z.enum(TICKET_STATES),
  version: z.number().int(),
  createdAt: z.number(),
  qrExpiresAt: z.number(),
  expiresAt: z.number(),
  secretHash: z.string(),
  revealOnScan: z.boolean(),
  /** Scenario data fixed at creation (connection id, client id…): never shown to watchers. */
  context: z.record(z.string(), z.unknown()),
  scanner: displaySchema.optional(),
  /** The confirmed outcome (e.g. the resolved user), handed to the holder on redeem. */
  result: z.record(z.string(), z.unknown()).optional(),
});
export type TicketRecord = z.infer<typeof recordSchema>;

export interface TicketOptions {
  /** How long the QR can be scanned (default 120 s). */
  qrTtlMs?: number;
  /** How long the ticket lives in all, including waiting for redemption (default 300 s). */
  ticketTtlMs?: number;
  now?: () => number;
}

const HANDLE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 22 base62 characters ≈ 131 bits: unguessable, and fits WeChat's 32-char mini program scene. */
const HANDLE_LENGTH = 22;
const HANDLE_PATTERN = /^[A-Za-z0-9]{22}$/;
const MAX_CAS_ATTEMPTS = 20;

export function newTicketHandle(): string {
  // Rejection sampling keeps the characters uniform.
  let handle = '';
  while (handle.length < HANDLE_LENGTH) {
    for (const byte of randomBytes(32)) {
      if (byte < 248 && handle.length < HANDLE_LENGTH) handle += HANDLE_ALPHABET[byte % 62];
    }
  }
  return handle;
}

export function isTicketHandle(value: string): boolean {
  return HANDLE_PATTERN.test(value);
}

const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('base64url');

function secretMatches(record: TicketRecord, secret: string): boolean {
  const given = Buffer.from(hashSecret(secret));
  const expected = Buffer.from(record.secretHash);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const key = (id: string) => `ticket:${id}`;
export const ticketChannel = (id: string) => `ticket:${id}`;

export class QrTickets {
  readonly #state: SharedState;
  readonly #qrTtlMs: number;
  readonly #ticketTtlMs: number;
  readonly #now: () => number;

  constructor(state: SharedState, options: TicketOptions = {}) {
    this.#state = state;
    this.#qrTtlMs = options.qrTtlMs ?? 120_000;
    this.#ticketTtlMs = Math.max(options.ticketTtlMs ?? 300_000, this.#qrTtlMs);
    this.#now = options.now ?? Date.now;
  }

  /** A new ticket and the secret its creator must present to read or redeem it. */
  async create(input: {
    kind: string;
    context?: Record<string, unknown>;
    revealOnScan?: boolean;
  }): Promise<{ ticket: TicketStatus; secret: string }> {
    const now = this.#now();
    const secret = randomBytes(32).toString('base64url');
    const record: TicketRecord = {
      id: newTicketHandle(),
      kind: input.kind,
      state: 'waiting',
      version: 1,
      createdAt: now,
      qrExpiresAt: now + this.#qrTtlMs,
      expiresAt: now + this.#ticketTtlMs,
      secretHash: hashSecret(secret),
      revealOnScan: input.revealOnScan ?? false,
      context: input.context ?? {},
    };
    await this.#state.set(key(record.id), JSON.stringify(record), { ttlMs: this.#ticketTtlMs, ifAbsent: true });
    return { ticket: this.#status(record), secret };
  }

  /** The record as the server sees it (scenario code), with lazy expiry applied; null when gone. */
  async get(id: string): Promise<TicketRecord | null> {
    if (!isTicketHandle(id)) return null;
    const raw = await this.#state.get(key(id));
    return raw === null ? null : this.#withExpiry(parseRecord(raw));
  }

  /** The public status, for the holder of the ticket's secret only. */
  async status(id: string, secret: string): Promise<TicketStatus> {
    const record = await this.get(id);
    if (record === null || !secretMatches(record, secret)) throw notFound();
    return this.#status(record);
  }

  /** Whether `secret` is this ticket's (for watchers that subscribe before reading). */
  async authorize(id: string, secret: string): Promise<TicketRecord> {
    const record = await this.get(id);
    if (record === null || !secretMatches(record, secret)) throw notFound();
    return record;
  }

  /** The person scanned the QR (WeChat event or mini program page opened). Idempotent while scanned. */
  async markScanned(id: string, scanner?: { nickname?: string; avatarUrl?: string }): Promise<TicketRecord> {
    return this.#transition(id, (record) => {
      if (record.state === 'scanned') return null;
      requireState(record, ['waiting'], 'scanned');
      return { ...record, state: 'scanned', scanner: record.revealOnScan ? scanner : undefined };
    });
  }

  /** The person confirmed; `result` is what the holder will redeem. Succeeds once per ticket. */
  async confirm(id: string, result: Record<string, unknown>): Promise<TicketRecord> {
    return this.#transition(id, (record) => {
      requireState(record, ['waiting', 'scanned'], 'confirmed');
      return { ...record, state: 'confirmed', result };
    });
  }

  /** The person declined on the phone. */
  async cancel(id: string): Promise<TicketRecord> {
    return this.#transition(id, (record) => {
      requireState(record, ['waiting', 'scanned'], 'cancelled');
      return { ...record, state: 'cancelled' };
    });
  }

  /** The holder takes the confirmed result, exactly once. */
  async redeem(id: string, secret: string): Promise<{ record: TicketRecord; result: Record<string, unknown> }> {
    let result: Record<string, unknown> | undefined;
    const record = await this.#transition(id, (current) => {
      if (!secretMatches(current, secret)) throw notFound();
      requireState(current, ['confirmed'], 'consumed');
      result = current.result;
      return { ...current, state: 'consumed', result: undefined };
    });
    if (result === undefined) throw new AppError('conflict', 'This ticket has no result to redeem');
    return { record, result };
  }

  /**
   * Calls `listener` with every status change of the ticket, from any instance. The caller must
   * have checked the secret (see `authorize`). Subscribe first, then read the current status, so
   * no transition falls between the two.
   */
  async watch(id: string, listener: (status: TicketStatus) => void): Promise<Subscription> {
    return this.#state.subscribe(ticketChannel(id), (message) => {
      const parsed = statusSchema.safeParse(safeJson(message));
      if (parsed.success) listener(parsed.data);
    });
  }

  publicStatus(record: TicketRecord): TicketStatus {
    return this.#status(record);
  }

  async #transition(id: string, step: (record: TicketRecord) => TicketRecord | null): Promise<TicketRecord> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const raw = isTicketHandle(id) ? await this.#state.get(key(id)) : null;
      if (raw === null) throw notFound();
      const current = this.#withExpiry(parseRecord(raw));
      const proposed = step(current);
      if (proposed === null) return current;
      const next: TicketRecord = { ...proposed, version: current.version + 1 };
      if (await this.#state.compareAndSet(key(id), raw, JSON.stringify(next))) {
        await this.#state.publish(ticketChannel(id), JSON.stringify(this.#status(next)));
        return next;
      }
    }
    throw new AppError('conflict', 'The ticket changed too often; try again');
  }

  #withExpiry(record: TicketRecord): TicketRecord {
    const now = this.#now();
    const qrOver = (record.state === 'waiting' || record.state === 'scanned') && now >= record.qrExpiresAt;
    if (qrOver || (record.state === 'confirmed' && now >= record.expiresAt)) return { ...record, state: 'expired', result: undefined };
    return record;
  }

  #status(record: TicketRecord): TicketStatus {
    const status: TicketStatus = {
      id: record.id,
      state: record.state,
      version: record.version,
      qrExpiresAt: record.qrExpiresAt,
      expiresAt: record.expiresAt,
    };
    if (record.scanner !== undefined && record.revealOnScan) status.scanner = record.scanner;
    return status;
  }
}

const statusSchema = z.object({
  id: z.string(),
  state: z.enum(TICKET_STATES),
  version: z.number(),
  qrExpiresAt: z.number(),
  expiresAt: z.number(),
  scanner: displaySchema.optional(),
});

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseRecord(raw: string): TicketRecord {
  const parsed = recordSchema.safeParse(safeJson(raw));
  if (!parsed.success) throw new AppError('internal', 'stored ticket is corrupt');
  return parsed.data;
}

/** Unknown, expired-and-gone and not-yours look the same from outside: nothing to learn. */
function notFound(): AppError {
  return new AppError('not_found', 'No such login ticket (it may have expired)');
}

function requireState(record: TicketRecord, allowed: TicketState[], target: TicketState): void {
  if (allowed.includes(record.state)) return;
  if (record.state === 'expired')
    throw new AppError('gone', 'This QR code has expired; refresh it to try again', { details: { state: 'expired' } });
  throw new AppError('conflict', `A ${record.state} ticket cannot become ${target}`, { details: { state: record.state } });
}

/**
 * A QR login on a PC (S1: follow the official account; S3: scan the mini program code): create the
 * ticket, show its QR, follow the ticket until the phone confirms, redeem the sign-in once.
 *
 * Following the ticket, best transport first:
 * 1. SSE (`GET …/events`) read through `fetch` streaming, with the secret in `x-ticket-secret`;
 * 2. long poll (`GET …?since=<version>&wait=25`) when the stream cannot be opened — a proxy that
 *    buffers or blocks `text/event-stream`, for instance;
 * 3. plain poll every two seconds when long requests fail too.
 *
 * Only the ticket ends the watch. What can happen to one request, and what the follower does:
 * - a status arrives: heard; a final one (`confirmed`, `cancelled`, `expired`, `consumed`) ends it;
 * - no answer at all (connection refused or cut, an instance killed mid-stream, a balancer that
 *   lost its upstream): the same transport again after a backoff (0.5 s doubling to 10 s, with
 *   jitter, reset by the next answer), resuming from the last version heard (`Last-Event-ID` /
 *   `since`) — the next connection reaches whichever instance answers, and every instance knows
 *   the ticket (shared state);
 * - an answer this transport cannot use (5xx, not an event stream, a stream that ends before its
 *   first event): the next transport, for the rest of this login; the plain poll backs off instead;
 * - 429 or 408: the same transport after the backoff;
 * - any other 4xx (the ticket is unknown, gone, or not this browser's): the ticket's fate, so the
 *   login ends with an `error` event (`not_found` when the instance that held an embedded-mode
 *   ticket restarted and forgot it).
 * While the follower waits to reconnect it emits `reconnecting`, so a page can say so.
 *
 * Expiry: the server tells watchers when the QR expires (`expired`); with `autoRefresh` a new
 * ticket is created (each costs the official account a QR from its daily quota, hence the cap)
 * and `render`ed images switch to the new QR.
 */
import { type Fields, number, object, oneOf, optionalString, string } from './answers.ts';
import { WeunionError } from './errors.ts';
import { absoluteUrl, type Connection, problemOf, requestJson, send } from './http.ts';
import { readEventStream } from './sse.ts';

export const TICKET_STATES = ['waiting', 'scanned', 'confirmed', 'cancelled', 'expired', 'consumed'] as const;
export type TicketState = (typeof TICKET_STATES)[number];
const TERMINAL: readonly TicketState[] = ['confirmed', 'cancelled', 'expired', 'consumed'];

export type QrScenario = 's1' | 's3';
export type Transport = 'sse' | 'long-poll' | 'poll';

const TICKET_SECRET_HEADER = 'x-ticket-secret';
const LONG_POLL_SECONDS = 25;
const POLL_INTERVAL_MS = 2_000;
const DEFAULT_MAX_REFRESHES = 5;
/** Reconnection backoff: the first wait, and the most it grows to. */
const BACKOFF_INITIAL_MS = 500;
const BACKOFF_MAX_MS = 10_000;
/** A redeem whose request never got an answer is sent again this many times. */
const REDEEM_ATTEMPTS = 4;

/** What a watcher of the ticket is told. */
export interface TicketStatus {
  id: string;
  state: TicketState;
  /** Grows with every transition. */
  version: number;
  /** When the QR stops being scannable (ms since the epoch). */
  qrExpiresAt: number;
  /** When the ticket is gone, redeemed or not. */
  expiresAt: number;
  /** The scanner's nickname/picture, only when the connection opts in (`revealScanner`). */
  scanner?: { nickname?: string; avatarUrl?: string };
}

/** One ticket and its QR. */
export interface QrTicket {
  ticketId: string;
  /** Absolute URL of the QR image. For S3 the image is only served with the ticket cookie (same origin). */
  qrImageUrl: string;
  /** What the QR encodes (S1), for pages that draw the QR themselves. */
  qrContent?: string;
  qrExpiresAt: number;
  expiresAt: number;
}

/** What redeeming a confirmed ticket gives: signed in (session cookie set), or a page to finish on. */
export type RedeemResult =
  | { status: 'signed_in'; returnTo: string; userId?: string }
  | { status: 'select' | 'bind'; returnTo: string; next: string };

export interface QrLoginEvents {
  scanned: TicketStatus;
  confirmed: TicketStatus;
  expired: TicketStatus;
  cancelled: TicketStatus;
  /** `redeem()` succeeded (or `autoRedeem` did it). */
  login: RedeemResult;
  /** `autoRefresh` replaced an expired QR with this new ticket. */
  refresh: QrTicket;
  /** Weunion could not be reached (or answered 5xx/429): the follower tries again after `delayMs`. */
  reconnecting: { attempt: number; delayMs: number; error: WeunionError };
  error: WeunionError;
}

export interface QrLoginOptions {
  /**
   * Where to go after signing in: a path on weunion (`/interaction/…`, `/welcome`), or a URL on a
   * registered web origin of an application (the embedding page's own, e.g. `https://shop.example/account`).
   */
  returnTo?: string;
  /** The application (client_id) the login is for: its scenarios and identity policy apply. */
  client?: string;
  /** The connection to use when several offer this scenario. */
  connection?: string;
  /** The person ticked the application's "I agree" (needed when its branding has `requireAgreement`). */
  agreed?: boolean;
  /** On expiry, start over with a new QR: `true` (up to 5 times) or the most refreshes allowed. */
  autoRefresh?: boolean | number;
  /** Redeem as soon as the phone confirms, then emit `login`. */
  autoRedeem?: boolean;
  /** Start with this transport (default `sse`); later ones remain as fallbacks. */
  transport?: Transport;
}

export interface QrLogin {
  readonly scenario: QrScenario;
  /** The current ticket (a new one after an automatic refresh). */
  readonly ticket: QrTicket;
  readonly ticketId: string;
  readonly qrImageUrl: string;
  /** The last status heard. */
  readonly status: TicketStatus;
  /** The transport in use now. */
  readonly transport: Transport;
  /** Listens to an event; returns the function that stops listening. */
  on<E extends keyof QrLoginEvents>(event: E, listener: (payload: QrLoginEvents[E]) => void): () => void;
  /** Puts an `<img>` of the QR into `element` (replacing its content); it follows refreshes. */
  render(element: Element, options?: { alt?: string; size?: number }): HTMLImageElement;
  /** Takes the confirmed sign-in, once: sets weunion's session cookie. */
  redeem(): Promise<RedeemResult>;
  /** Resolves when the ticket reaches a final state (after any refreshes): the status, or the error. */
  done(): Promise<TicketStatus>;
  /** Stops following the ticket (it expires on its own on the server). */
  stop(): void;
  /** The same as `stop()`: weunion has no browser-side cancel, an abandoned ticket just expires. */
  cancel(): void;
}

function parseTicket(connection: Connection, value: unknown): QrTicket & { secret: string } {
  const fields = object(value, 'ticket');
  const qrContent = optionalString(fields, 'qrContent', 'ticket');
  return {
    ticketId: string(fields, 'ticketId', 'ticket'),
    secret: string(fields, 'secret', 'ticket'),
    qrImageUrl: absoluteUrl(connection, string(fields, 'qrImageUrl', 'ticket')),
    ...(qrContent === undefined ? {} : { qrContent }),
    qrExpiresAt: number(fields, 'qrExpiresAt', 'ticket'),
    expiresAt: number(fields, 'expiresAt', 'ticket'),
  };
}

function parseScanner(fields: Fields): TicketStatus['scanner'] {
  const scanner = fields.scanner;
  if (scanner === undefined || scanner === null) return undefined;
  const parsed = object(scanner, 'ticket status scanner');
  const nickname = optionalString(parsed, 'nickname', 'ticket status scanner');
  const avatarUrl = optionalString(parsed, 'avatarUrl', 'ticket status scanner');
  return { ...(nickname === undefined ? {} : { nickname }), ...(avatarUrl === undefined ? {} : { avatarUrl }) };
}

export function parseTicketStatus(value: unknown): TicketStatus {
  const fields = object(value, 'ticket status');
  const scanner = parseScanner(fields);
  return {
    id: string(fields, 'id', 'ticket status'),
    state: oneOf(fields, 'state', TICKET_STATES, 'ticket status'),
    version: number(fields, 'version', 'ticket status'),
    qrExpiresAt: number(fields, 'qrExpiresAt', 'ticket status'),
    expiresAt: number(fields, 'expiresAt', 'ticket status'),
    ...(scanner === undefined ? {} : { scanner }),
  };
}

export function parseRedeemResult(value: unknown): RedeemResult {
  const fields = object(value, 'redeem result');
  const status = oneOf(fields, 'status', ['signed_in', 'select', 'bind'] as const, 'redeem result');
  const returnTo = string(fields, 'returnTo', 'redeem result');
  if (status === 'signed_in') {
    const userId = optionalString(fields, 'userId', 'redeem result');
    return { status, returnTo, ...(userId === undefined ? {} : { userId }) };
  }
  return { status, returnTo, next: string(fields, 'next', 'redeem result') };
}

/** How one failed request bears on following the ticket (see the file comment). */
type FailureKind = 'no_answer' | 'unusable' | 'busy' | 'ticket';

function classify(error: WeunionError): FailureKind {
  if (error.code === 'network_error' || error.status === 0) return 'no_answer';
  if (error.status === 429 || error.status === 408) return 'busy';
  if (error.code === 'invalid_response' || error.status >= 500) return 'unusable';
  return 'ticket';
}

/** Exponential backoff with jitter: waits of 50–100 % of 0.5 s · 2^attempt, at most 10 s. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Anything thrown while talking to weunion, as a `WeunionError` (a stream cut mid-read is a `TypeError`). */
function asWeunionError(error: unknown, what: string): WeunionError {
  if (error instanceof WeunionError) return error;
  return new WeunionError('network_error', `lost the connection to weunion (${what})`, 0, { cause: error });
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

type Listeners = { [E in keyof QrLoginEvents]: Set<(payload: QrLoginEvents[E]) => void> };

class TicketFollower implements QrLogin {
  readonly scenario: QrScenario;
  readonly #connection: Connection;
  readonly #options: QrLoginOptions;
  readonly #abort = new AbortController();
  readonly #images = new Set<HTMLImageElement>();
  readonly #listeners: Listeners = {
    scanned: new Set(),
    confirmed: new Set(),
    expired: new Set(),
    cancelled: new Set(),
    login: new Set(),
    refresh: new Set(),
    reconnecting: new Set(),
    error: new Set(),
  };
  readonly #done: Promise<TicketStatus>;
  #ticket: QrTicket & { secret: string };
  #status: TicketStatus;
  #transport: Transport;
  #refreshesLeft: number;
  /** Failed requests in a row: the backoff grows with it, and the next answer resets it. */
  #failures = 0;

  constructor(connection: Connection, scenario: QrScenario, ticket: QrTicket & { secret: string }, options: QrLoginOptions) {
    this.#connection = connection;
    this.scenario = scenario;
    this.#options = options;
    this.#ticket = ticket;
    this.#status = { id: ticket.ticketId, state: 'waiting', version: 0, qrExpiresAt: ticket.qrExpiresAt, expiresAt: ticket.expiresAt };
    this.#transport = options.transport ?? 'sse';
    const refresh = options.autoRefresh ?? false;
    this.#refreshesLeft = refresh === true ? DEFAULT_MAX_REFRESHES : refresh === false ? 0 : Math.max(0, Math.floor(refresh));
    this.#done = this.#run();
    // `done()` is optional; a failure is also reported through `error`, so never leave it unhandled.
    this.#done.catch(() => {});
  }

  get ticket(): QrTicket {
    const { secret: _secret, ...ticket } = this.#ticket;
    return ticket;
  }
  get ticketId(): string {
    return this.#ticket.ticketId;
  }
  get qrImageUrl(): string {
    return this.#ticket.qrImageUrl;
  }
  get status(): TicketStatus {
    return this.#status;
  }
  get transport(): Transport {
    return this.#transport;
  }

  on<E extends keyof QrLoginEvents>(event: E, listener: (payload: QrLoginEvents[E]) => void): () => void {
    const listeners: Set<(payload: QrLoginEvents[E]) => void> = this.#listeners[event];
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }

  render(element: Element, options: { alt?: string; size?: number } = {}): HTMLImageElement {
    const image = element.ownerDocument.createElement('img');
    image.src = this.#ticket.qrImageUrl;
    image.alt = options.alt ?? (this.scenario === 's1' ? 'WeChat login QR code' : 'Mini program login code');
    if (options.size !== undefined) {
      image.width = options.size;
      image.height = options.size;
    }
    element.replaceChildren(image);
    this.#images.add(image);
    return image;
  }

  async redeem(): Promise<RedeemResult> {
    const path = `/api/login/tickets/${encodeURIComponent(this.ticketId)}/redeem`;
    for (let attempt = 0; ; attempt++) {
      try {
        const result = parseRedeemResult(
          await requestJson(this.#connection, 'POST', path, { headers: { [TICKET_SECRET_HEADER]: this.#ticket.secret } }),
        );
        this.#emit('login', result);
        return result;
      } catch (error) {
        // Only a request that got no answer (or a balancer's 502–504: its upstream got none) is sent
        // again; a redeem that was answered, even with an error, happened, and happens once.
        const retry =
          error instanceof WeunionError &&
          (error.code === 'network_error' || error.status === 502 || error.status === 503 || error.status === 504);
        if (!retry || attempt + 1 >= REDEEM_ATTEMPTS || this.#abort.signal.aborted) throw error;
        await sleep(backoffDelay(attempt), this.#abort.signal);
      }
    }
  }

  done(): Promise<TicketStatus> {
    return this.#done;
  }

  stop(): void {
    this.#abort.abort();
  }

  cancel(): void {
    this.stop();
  }

  #emit<E extends keyof QrLoginEvents>(event: E, payload: QrLoginEvents[E]): void {
    const listeners: Set<(payload: QrLoginEvents[E]) => void> = this.#listeners[event];
    for (const listener of [...listeners]) {
      try {
        listener(payload);
      } catch (error) {
        // A failing listener is the page's bug; it must not stop the login.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Takes a status heard on any transport; true when it is final. */
  #hear(status: TicketStatus): boolean {
    if (status.id !== this.ticketId) return false;
    const changed = status.state !== this.#status.state;
    if (status.version < this.#status.version || (status.version === this.#status.version && !changed))
      return TERMINAL.includes(status.state);
    this.#status = status;
    if (changed && status.state !== 'waiting' && status.state !== 'consumed') this.#emit(status.state, status);
    return TERMINAL.includes(status.state);
  }

  async #run(): Promise<TicketStatus> {
    const signal = this.#abort.signal;
    try {
      while (!signal.aborted) {
        const final = await this.#follow(signal);
        if (final === undefined) break;
        if (final.state === 'confirmed' && this.#options.autoRedeem === true) await this.redeem();
        if (final.state !== 'expired' || this.#refreshesLeft <= 0) return final;
        this.#refreshesLeft -= 1;
        await this.#refresh();
      }
      return this.#status;
    } catch (error) {
      if (signal.aborted) return this.#status;
      const failure = error instanceof WeunionError ? error : new WeunionError('network_error', String(error), 0, { cause: error });
      this.#emit('error', failure);
      throw failure;
    }
  }

  async #refresh(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        this.#ticket = await createTicket(this.#connection, this.scenario, this.#options, this.#abort.signal);
        break;
      } catch (error) {
        if (this.#abort.signal.aborted) throw error;
        const failure = asWeunionError(error, 'new ticket');
        if (classify(failure) === 'ticket' || classify(failure) === 'unusable') throw failure;
        await this.#backoff(failure, attempt);
      }
    }
    this.#status = {
      id: this.#ticket.ticketId,
      state: 'waiting',
      version: 0,
      qrExpiresAt: this.#ticket.qrExpiresAt,
      expiresAt: this.#ticket.expiresAt,
    };
    for (const image of this.#images) image.src = this.#ticket.qrImageUrl;
    this.#emit('refresh', this.ticket);
  }

  /** Waits before the next attempt, telling the page. */
  async #backoff(error: WeunionError, attempt: number): Promise<void> {
    const delayMs = backoffDelay(attempt);
    this.#emit('reconnecting', { attempt: attempt + 1, delayMs, error });
    await sleep(delayMs, this.#abort.signal);
  }

  /** Follows the current ticket to a final state; undefined when stopped. */
  async #follow(signal: AbortSignal): Promise<TicketStatus | undefined> {
    while (!signal.aborted) {
      try {
        const final =
          this.#transport === 'sse'
            ? await this.#stream(signal)
            : await this.#poll(signal, this.#transport === 'long-poll' ? LONG_POLL_SECONDS : 0);
        if (final) return this.#status;
      } catch (error) {
        if (signal.aborted) return undefined;
        const failure = asWeunionError(error, this.#transport);
        const kind = classify(failure);
        if (kind === 'ticket') throw failure;
        if (kind === 'unusable' && this.#transport !== 'poll') {
          // The answer says this transport does not get through here: the next one, at once.
          this.#transport = this.#transport === 'sse' ? 'long-poll' : 'poll';
          continue;
        }
        await this.#backoff(failure, this.#failures);
        this.#failures += 1;
      }
    }
    return undefined;
  }

  #path(): string {
    return `/api/login/tickets/${encodeURIComponent(this.ticketId)}`;
  }

  /** One SSE connection; true when the ticket reached a final state (false: stopped). */
  async #stream(signal: AbortSignal): Promise<boolean> {
    const headers: Record<string, string> = { accept: 'text/event-stream', [TICKET_SECRET_HEADER]: this.#ticket.secret };
    // Resume: the server sends only what is newer than the last version heard.
    if (this.#status.version > 0) headers['last-event-id'] = String(this.#status.version);
    const response = await send(this.#connection, 'GET', `${this.#path()}/events`, { headers, signal });
    const type = response.headers.get('content-type') ?? '';
    if (response.status >= 400 && response.status < 500) throw await problemOf(response);
    if (!response.ok || response.body === null || !type.startsWith('text/event-stream')) {
      await response.body?.cancel().catch(() => {});
      throw new WeunionError('invalid_response', `the ticket's event stream is unavailable (${response.status} ${type})`, response.status);
    }
    let delivered = false;
    try {
      for await (const event of readEventStream(response.body)) {
        if (event.event !== 'status') continue;
        let status: TicketStatus;
        try {
          status = parseTicketStatus(JSON.parse(event.data));
        } catch (cause) {
          throw new WeunionError('invalid_response', 'weunion sent an unreadable ticket status', response.status, { cause });
        }
        delivered = true;
        this.#failures = 0;
        if (this.#hear(status)) return true;
      }
    } catch (error) {
      if (signal.aborted) return false;
      // Cut mid-stream (the instance died, the network dropped): no answer to the rest of it.
      throw asWeunionError(error, 'event stream');
    }
    if (signal.aborted) return false;
    // A stream that ends before its first event is being cut by something in the way.
    if (!delivered) throw new WeunionError('invalid_response', "the ticket's event stream ended before its first event", response.status);
    // Ended after working (an instance shutting down ends its streams): reopen after the backoff's first step.
    throw new WeunionError('network_error', "the ticket's event stream ended");
  }

  /** Polls until a final state; `waitSeconds` > 0 makes each request a long poll. */
  async #poll(signal: AbortSignal, waitSeconds: number): Promise<boolean> {
    while (!signal.aborted) {
      const query = waitSeconds > 0 ? `?since=${this.#status.version}&wait=${waitSeconds}` : '';
      const response = await send(this.#connection, 'GET', `${this.#path()}${query}`, {
        headers: { [TICKET_SECRET_HEADER]: this.#ticket.secret },
        signal,
      });
      if (!response.ok) throw await problemOf(response);
      let body: unknown;
      try {
        body = await response.json();
      } catch (error) {
        if (signal.aborted) return false;
        // Cut while reading the answer, or not JSON: no usable answer either way.
        throw error instanceof SyntaxError
          ? new WeunionError('invalid_response', 'weunion answered a ticket status that is not JSON', response.status)
          : asWeunionError(error, 'ticket status');
      }
      const status = parseTicketStatus(body);
      this.#failures = 0;
      if (this.#hear(status)) return true;
      if (waitSeconds === 0) await sleep(POLL_INTERVAL_MS, signal);
    }
    return false;
  }
}

async function createTicket(connection: Connection, scenario: QrScenario, options: QrLoginOptions, signal?: AbortSignal) {
  const body = {
    ...(options.returnTo === undefined ? {} : { returnTo: options.returnTo }),
    ...(options.connection === undefined ? {} : { connection: options.connection }),
    ...(options.client === undefined ? {} : { client: options.client }),
    ...(options.agreed === true ? { agreed: true } : {}),
  };
  return parseTicket(
    connection,
    await requestJson(connection, 'POST', `/api/login/${scenario}`, { body, ...(signal === undefined ? {} : { signal }) }),
  );
}

/** Creates the ticket and starts following it. */
export async function startQrLogin(connection: Connection, scenario: QrScenario, options: QrLoginOptions = {}): Promise<QrLogin> {
  if (scenario !== 's1' && scenario !== 's3')
    throw new WeunionError('validation_failed', `QR logins are s1 or s3, not ${String(scenario)}`);
  return new TicketFollower(connection, scenario, await createTicket(connection, scenario, options), options);
}

/**
 * One-time verification codes (SMS or email) for proving an existing account. Kept in shared state
 * so any instance can check a code another sent. A code is stored only as a hash, used at most once
 * (the store's consume-once primitive picks exactly one winner among concurrent checks), dies after
 * a few wrong attempts, and cannot be re-sent to the same destination more than once a minute.
 */
import { createHash, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { AppError } from '@weunion/errors';
import type { SharedState } from '@weunion/state';

export type CodeChannel = 'sms' | 'email';

export interface CodeMessage {
  channel: CodeChannel;
  /** E.164 phone or email address. */
  destination: string;
  code: string;
  /** What the code is for, e.g. `binding`. */
  purpose: string;
  /** The language of the message (zh-CN when not given). */
  language?: 'zh-CN' | 'en' | undefined;
  /** How long the code lives (the message says so). */
  ttlMs?: number | undefined;
  /** Our id of this send, for the provider's records (tracing one send end to end). */
  sendId?: string | undefined;
}

/** Delivers codes. Production deployments plug in their SMS / email provider here. */
export interface CodeSender {
  send(message: CodeMessage): Promise<void>;
}

interface InfoLogger {
  info(details: Record<string, unknown>, message: string): void;
}

/**
 * A sender that only logs, for development and the sandbox. The code itself is logged only when
 * `revealCodes` is set (never in production): otherwise the log would be a way to read codes.
 */
export function createLogCodeSender(logger: InfoLogger, options: { revealCodes: boolean }): CodeSender {
  return {
    async send(message) {
      const { code, ...rest } = message;
      logger.info(options.revealCodes ? { ...rest, code } : rest, 'verification code sent (log sender)');
    },
  };
}

export interface VerificationCodeOptions {
  ttlMs?: number;
  maxAttempts?: number;
  resendAfterMs?: number;
  digits?: number;
}

export class VerificationCodes {
  readonly #state: SharedState;
  readonly #sender: CodeSender;
  readonly #ttlMs: number;
  readonly #maxAttempts: number;
  readonly #resendAfterMs: number;
  readonly #digits: number;

  constructor(state: SharedState, sender: CodeSender, options: VerificationCodeOptions = {}) {
    this.#state = state;
    this.#sender = sender;
    this.#ttlMs = options.ttlMs ?? 10 * 60_000;
    this.#maxAttempts = options.maxAttempts ?? 5;
    this.#resendAfterMs = options.resendAfterMs ?? 60_000;
    this.#digits = options.digits ?? 6;
  }

  #key(kind: string, purpose: string, channel: CodeChannel, destination: string): string {
    const target = createHash('sha256').update(`${channel}:${destination}`).digest('base64url');
    return `vcode:${kind}:${purpose}:${target}`;
  }

  #hash(code: string, key: string): string {
    return createHash('sha256').update(`${key}:${code}`).digest('base64url');
  }

  /**
   * Generates, stores and sends a new code (replacing any earlier one). Never sends twice for one
   * request: the resend wait is taken before sending, and a send that timed out (the provider may
   * have delivered it) keeps both the wait and the code — the person can still use the code if it
   * arrives, and cannot trigger a second message before the wait ends. A send the provider
   * refused outright (nothing went out) gives the wait back, so the person can correct and retry.
   */
  async send(
    purpose: string,
    channel: CodeChannel,
    destination: string,
    options: { language?: 'zh-CN' | 'en' | undefined } = {},
  ): Promise<{ expiresInMs: number }> {
    const resendKey = this.#key('resend', purpose, channel, destination);
    if (!(await this.#state.set(resendKey, '1', { ttlMs: this.#resendAfterMs, ifAbsent: true }))) {
      throw new AppError('rate_limited', 'A code was sent to this destination moments ago; wait a minute before asking again');
    }
    const code = String(randomInt(0, 10 ** this.#digits)).padStart(this.#digits, '0');
    const codeKey = this.#key('code', purpose, channel, destination);
    await this.#state.set(codeKey, this.#hash(code, codeKey), { ttlMs: this.#ttlMs });
    await this.#state.delete(this.#key('attempts', purpose, channel, destination));
    const sendId = randomUUID();
    try {
      await this.#sender.send({ channel, destination, code, purpose, language: options.language, ttlMs: this.#ttlMs, sendId });
    } catch (error) {
      const mayHaveSent = error instanceof AppError && error.code === 'message_timeout';
      if (!mayHaveSent) {
        await this.#state.delete(codeKey);
        await this.#state.delete(resendKey);
      }
      throw error;
    }
    return { expiresInMs: this.#ttlMs };
  }

  /** Accepts the code once; throws `verification_failed` or, after too many tries, `verification_attempts_exceeded`. */
  async verify(purpose: string, channel: CodeChannel, destination: string, code: string): Promise<void> {
    const codeKey = this.#key('code', purpose, channel, destination);
    const attemptsKey = this.#key('attempts', purpose, channel, destination);
    const attempts = await this.#state.increment(attemptsKey, { ttlMs: this.#ttlMs });
    if (attempts > this.#maxAttempts) {
      await this.#state.delete(codeKey);
      throw new AppError('verification_attempts_exceeded');
    }
    const stored = await this.#state.get(codeKey);
    const given = Buffer.from(this.#hash(code, codeKey));
    if (stored === null || stored.length !== given.length || !timingSafeEqual(Buffer.from(stored), given)) {
      throw new AppError('verification_failed');
    }
    // Right code: exactly one concurrent caller gets to use it.
    if ((await this.#state.consume(codeKey)) === null) throw new AppError('verification_failed');
    await this.#state.delete(attemptsKey);
  }
}

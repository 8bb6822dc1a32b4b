/**
 * One HTTP exchange with WeChat's API host: timeout, retry on "system busy", errcode check,
 * schema check. Every endpoint module goes through here, so the three kinds of failure
 * (errcode / unreachable / bad response) are decided in one place.
 *
 * Secrets (AppSecret, access_token, codes, session_key) travel in query strings and bodies because
 * WeChat wants them there; they never go into an error message, and WeChat's errmsg is scrubbed of
 * them in case it echoes one back.
 */
import { z } from 'zod';
import { endpointUrl } from './endpoints.ts';
import { badResponseError, isBusy, unreachableError, wechatError } from './errcodes.ts';
import { createHttpExchange, type Exchange, ExchangeFailure } from './http-exchange.ts';

export interface RetryOptions {
  /** Tries in all for an answer of -1 (system busy), including the first. */
  attempts: number;
  /** Pause before the second try; doubles for each further try. */
  baseDelayMs: number;
  /** Upper bound for any pause. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: Readonly<RetryOptions> = Object.freeze({ attempts: 3, baseDelayMs: 200, maxDelayMs: 2_000 });

export interface TransportOptions {
  apiBase: string;
  timeoutMs: number;
  retry: RetryOptions;
  /** Go through this fetch instead of node:http (http-exchange.ts). */
  fetch?: typeof fetch | undefined;
}

/** Options every client call takes. */
export interface CallOptions {
  /** Cancels the call early (each HTTP exchange also has the client's timeout). */
  signal?: AbortSignal;
}

export interface WechatRequest {
  /** API path without the leading slash, e.g. `sns/jscode2session`. Also names the endpoint in errors. */
  endpoint: string;
  /** Query parameters, in order. */
  query: ReadonlyArray<readonly [string, string]>;
  /** JSON body; the request is a POST when present. */
  body?: unknown;
  /** Values the request carries that must never appear in an error (secret, token, code…). */
  secrets: ReadonlyArray<string | undefined>;
  /** Cancels the call early (in addition to the timeout). */
  signal?: AbortSignal;
}

export interface WechatImage {
  contentType: 'image/png' | 'image/jpeg';
  bytes: Uint8Array;
}

interface RawAnswer {
  status: number;
  body: Buffer;
}

const errcodeNumber = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);
const errorEnvelope = z.looseObject({ errcode: errcodeNumber.optional(), errmsg: z.string().optional() });

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);

export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let result = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= 4) result = result.replaceAll(secret, '[redacted]');
  }
  return result;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class WechatTransport {
  readonly #options: TransportOptions;
  readonly #exchange: Exchange | undefined;

  constructor(options: TransportOptions) {
    this.#options = options;
    this.#exchange = options.fetch === undefined ? createHttpExchange() : undefined;
  }

  get timeoutMs(): number {
    return this.#options.timeoutMs;
  }

  /** Longest a call may take in all, retries and pauses included. */
  get worstCaseMs(): number {
    const { attempts, maxDelayMs } = this.#options.retry;
    return attempts * this.#options.timeoutMs + Math.max(0, attempts - 1) * maxDelayMs;
  }

  /** Calls a JSON endpoint and parses the success answer with `schema`. */
  async json<S extends z.ZodType>(request: WechatRequest, schema: S): Promise<z.output<S>> {
    return this.#withRetry(async () => {
      const answer = await this.#send(request);
      const json = this.#readJson(request, answer);
      this.#throwOnErrcode(request, json);
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        // Paths only, never values: the answer may hold a token or session_key.
        const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
        throw badResponseError(request.endpoint, `fields not as documented: ${fields}`, answer.status);
      }
      return parsed.data;
    });
  }

  /**
   * Calls an endpoint that answers an image on success and JSON on failure (getwxacodeunlimit).
   * Quirk: the content-type is not reliable across WeChat versions, so the bytes are sniffed.
   */
  async image(request: WechatRequest): Promise<WechatImage> {
    return this.#withRetry(async () => {
      const answer = await this.#send(request);
      if (answer.status === 200 && answer.body.subarray(0, PNG_MAGIC.length).equals(PNG_MAGIC)) {
        return { contentType: 'image/png', bytes: new Uint8Array(answer.body) };
      }
      if (answer.status === 200 && answer.body.subarray(0, JPEG_MAGIC.length).equals(JPEG_MAGIC)) {
        return { contentType: 'image/jpeg', bytes: new Uint8Array(answer.body) };
      }
      const json = this.#readJson(request, answer);
      this.#throwOnErrcode(request, json);
      throw badResponseError(request.endpoint, 'neither an image nor an error', answer.status);
    });
  }

  async #withRetry<T>(attempt: () => Promise<T>): Promise<T> {
    const { attempts, baseDelayMs, maxDelayMs } = this.#options.retry;
    for (let tryNumber = 1; ; tryNumber++) {
      try {
        return await attempt();
      } catch (error) {
        if (!isBusy(error) || tryNumber >= attempts) throw error;
        // Capped exponential backoff with jitter, so many callers hit by one blip do not return in step.
        const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (tryNumber - 1));
        await sleep(ceiling / 2 + Math.random() * (ceiling / 2));
      }
    }
  }

  async #send(request: WechatRequest): Promise<RawAnswer> {
    const url = endpointUrl(this.#options.apiBase, request.endpoint, request.query);
    if (this.#exchange !== undefined) return this.#exchangeOnce(this.#exchange, url, request);
    return this.#fetchOnce(this.#options.fetch ?? globalThis.fetch, url, request);
  }

  async #exchangeOnce(exchange: Exchange, url: string, request: WechatRequest): Promise<RawAnswer> {
    const accept = 'application/json, image/*';
    try {
      return await exchange(url, {
        method: request.body === undefined ? 'GET' : 'POST',
        headers: request.body === undefined ? { accept } : { accept, 'content-type': 'application/json' },
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        timeoutMs: this.#options.timeoutMs,
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      });
    } catch (error) {
      if (!(error instanceof ExchangeFailure)) throw unreachableError(request.endpoint, 'network error');
      switch (error.reason) {
        case 'timeout':
          throw unreachableError(request.endpoint, `no answer within ${this.#options.timeoutMs} ms`);
        case 'cancelled':
          throw unreachableError(request.endpoint, 'the call was cancelled');
        case 'too_large':
          throw badResponseError(request.endpoint, 'the answer is too large', 200);
        default:
          throw unreachableError(request.endpoint, error.code === undefined ? 'network error' : `network error ${error.code}`);
      }
    }
  }

  async #fetchOnce(fetchImpl: typeof fetch, url: string, request: WechatRequest): Promise<RawAnswer> {
    const timeout = AbortSignal.timeout(this.#options.timeoutMs);
    const signal = request.signal === undefined ? timeout : AbortSignal.any([timeout, request.signal]);
    const init: RequestInit = { method: 'GET', signal, redirect: 'error', headers: { accept: 'application/json, image/*' } };
    if (request.body !== undefined) {
      init.method = 'POST';
      init.body = JSON.stringify(request.body);
      init.headers = { accept: 'application/json, image/*', 'content-type': 'application/json' };
    }
    try {
      const response = await fetchImpl(url, init);
      const body = Buffer.from(await response.arrayBuffer());
      return { status: response.status, body };
    } catch (error) {
      if (timeout.aborted) throw unreachableError(request.endpoint, `no answer within ${this.#options.timeoutMs} ms`);
      if (request.signal?.aborted === true) throw unreachableError(request.endpoint, 'the call was cancelled');
      // Only the error's code (ECONNREFUSED, ENOTFOUND…): the raw error may quote the URL and its secrets.
      throw unreachableError(request.endpoint, networkReason(error));
    }
  }

  #readJson(request: WechatRequest, answer: RawAnswer): unknown {
    if (answer.status === 502 || answer.status === 503 || answer.status === 504) {
      throw unreachableError(request.endpoint, `gateway answered HTTP ${answer.status}`);
    }
    // WeChat answers HTTP 200 even for errors; anything else is not WeChat speaking.
    if (answer.status !== 200) throw badResponseError(request.endpoint, `HTTP ${answer.status}`, answer.status);
    try {
      return JSON.parse(answer.body.toString('utf8'));
    } catch {
      throw badResponseError(request.endpoint, 'the body is not JSON', answer.status);
    }
  }

  #throwOnErrcode(request: WechatRequest, json: unknown): void {
    const envelope = errorEnvelope.safeParse(json);
    if (!envelope.success) throw badResponseError(request.endpoint, 'not a JSON object with a numeric errcode', 200);
    const { errcode, errmsg } = envelope.data;
    if (errcode === undefined || errcode === 0) return;
    throw wechatError({ endpoint: request.endpoint, errcode, errmsg: redact(errmsg ?? '', request.secrets) });
  }
}

function networkReason(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
  return code === undefined ? 'network error' : `network error ${code}`;
}

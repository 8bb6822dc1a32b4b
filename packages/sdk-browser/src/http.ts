/**
 * How the SDK talks to weunion: `fetch` (the page's own, or one passed in — a server-side
 * renderer's, or a cookie-keeping one in tests), JSON in and out, RFC 9457 problems turned into
 * `WeunionError`s with the problem's `code`.
 */
import { isObject } from './answers.ts';
import { WeunionError } from './errors.ts';

export interface Connection {
  /** weunion's public URL, without a trailing slash. */
  baseUrl: string;
  fetch: typeof fetch;
  /** Whether cookies go along (`include` lets a page on another origin use weunion's session cookie, given CORS). */
  credentials: RequestCredentials;
}

export function absoluteUrl(connection: Connection, path: string): string {
  return new URL(path, `${connection.baseUrl}/`).href;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Sends a request; network failures become `network_error`. The raw response, whatever its status. */
export async function send(connection: Connection, method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  try {
    return await connection.fetch(absoluteUrl(connection, path), {
      method,
      headers,
      credentials: connection.credentials,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (cause) {
    if (options.signal?.aborted === true) throw cause;
    throw new WeunionError('network_error', `could not reach weunion (${method} ${path})`, 0, { cause });
  }
}

/** The problem a failed response carries, as a `WeunionError`. */
export async function problemOf(response: Response): Promise<WeunionError> {
  const body: unknown = await response.json().catch(() => undefined);
  const code = isObject(body) && typeof body.code === 'string' ? body.code : `http_${response.status}`;
  const detail =
    isObject(body) && typeof body.detail === 'string' ? body.detail : isObject(body) && typeof body.title === 'string' ? body.title : '';
  return new WeunionError(code, detail === '' ? `weunion answered ${response.status}` : detail, response.status);
}

/** A JSON request that must succeed: its parsed body (`unknown`: the caller checks it). */
export async function requestJson(connection: Connection, method: string, path: string, options: RequestOptions = {}): Promise<unknown> {
  const response = await send(connection, method, path, options);
  if (!response.ok) throw await problemOf(response);
  const text = await response.text();
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new WeunionError('invalid_response', `weunion answered ${method} ${path} with something that is not JSON`, response.status, {
      cause,
    });
  }
}

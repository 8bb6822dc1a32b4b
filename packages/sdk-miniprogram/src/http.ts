/**
 * How the SDK talks to weunion: `wx.request` with JSON in and out. Non-2xx answers (wx.request
 * calls `success` for those too) become `WeunionError`s carrying the RFC 9457 problem's `code`;
 * a request that never got an answer is `network_error`.
 */
import { isObject } from './answers.ts';
import { WeunionError } from './errors.ts';
import type { Wx } from './wx.ts';

export interface Connection {
  wx: Wx;
  /** weunion's public URL, without a trailing slash (a domain on the mini program's request whitelist). */
  baseUrl: string;
}

export interface RequestOptions {
  body?: Record<string, unknown>;
  /** An access token for `Authorization: Bearer …`. */
  bearer?: string;
}

/** The problem an answer carries, as a `WeunionError`. */
export function problemOf(statusCode: number, data: unknown): WeunionError {
  const body: unknown = typeof data === 'string' ? parseJson(data) : data;
  if (!isObject(body)) return new WeunionError(`http_${statusCode}`, `weunion answered ${statusCode}`, statusCode);
  const { type: _type, title, status: _status, code, detail, ...details } = body;
  const message = typeof detail === 'string' ? detail : typeof title === 'string' ? title : `weunion answered ${statusCode}`;
  return new WeunionError(typeof code === 'string' ? code : `http_${statusCode}`, message, statusCode, details);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A JSON request that must succeed: its body (`unknown`: the caller checks it). */
export function requestJson(connection: Connection, method: 'GET' | 'POST', path: string, options: RequestOptions = {}): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const header: Record<string, string> = { accept: 'application/json' };
    if (options.body !== undefined) header['content-type'] = 'application/json';
    if (options.bearer !== undefined) header.authorization = `Bearer ${options.bearer}`;
    connection.wx.request({
      url: `${connection.baseUrl}${path}`,
      method,
      header,
      dataType: 'json',
      ...(options.body === undefined ? {} : { data: options.body }),
      success: ({ statusCode, data }) => {
        if (statusCode < 200 || statusCode >= 300) {
          reject(problemOf(statusCode, data));
          return;
        }
        const body = typeof data === 'string' ? (data === '' ? {} : parseJson(data)) : data;
        if (body === undefined) {
          reject(new WeunionError('invalid_response', `weunion answered ${method} ${path} with something that is not JSON`, statusCode));
          return;
        }
        resolve(body);
      },
      fail: ({ errMsg }) => reject(new WeunionError('network_error', `could not reach weunion (${method} ${path}): ${errMsg}`)),
    });
  });
}

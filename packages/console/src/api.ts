/**
 * The console's one way to reach the server: same-origin requests carrying the session cookie, the
 * CSRF token on every method that changes something, and RFC 9457 problems turned into `ApiError`.
 * Every answer is parsed with a schema — the server is outside this program.
 */
import { z } from 'zod';

export class ApiError extends Error {
  readonly status: number;
  /** The problem's `code` (see packages/errors), or `network_error` / `bad_response` when there is none. */
  readonly code: string;
  readonly detail: string | null;

  constructor(status: number, code: string, detail: string | null) {
    super(detail ?? code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

const problemSchema = z.looseObject({ code: z.string().optional(), detail: z.string().optional(), title: z.string().optional() });

let csrfToken: string | null = null;
const unauthorizedListeners = new Set<() => void>();

/** Set by the session: sent as `x-csrf-token` on every non-GET request. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called whenever the server answers 401 to a signed-in request (session expired or signed out elsewhere). */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Query = Record<string, string | number | boolean | null | undefined>;

/** `/api/v1/users` + `{ q: 'x', cursor: undefined }` → `/api/v1/users?q=x` (empty values left out). */
export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

async function request<T>(method: Method, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== null) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, 'network_error', error instanceof Error ? error.message : null);
  }
  if (!response.ok) {
    const problem = problemSchema.safeParse(await response.json().catch(() => null));
    const code = problem.success ? (problem.data.code ?? `http_${response.status}`) : `http_${response.status}`;
    const detail = problem.success ? (problem.data.detail ?? problem.data.title ?? null) : null;
    // The sign-in calls answer 401 for wrong passwords; only a lost session sends people back to sign in.
    if (response.status === 401 && code === 'unauthorized') for (const listener of unauthorizedListeners) listener();
    throw new ApiError(response.status, code, detail);
  }
  const data: unknown = response.status === 204 ? undefined : await response.json().catch(() => undefined);
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new ApiError(response.status, 'bad_response', `${method} ${path}: ${parsed.error.issues[0]?.message ?? 'unexpected answer'}`);
  }
  return parsed.data;
}

export const noContent = z.unknown().transform(() => undefined);

export const api = {
  get: <T>(path: string, schema: z.ZodType<T>, query?: Query) => request('GET', withQuery(path, query), schema),
  post: <T>(path: string, schema: z.ZodType<T>, body?: unknown) => request('POST', path, schema, body ?? {}),
  put: <T>(path: string, schema: z.ZodType<T>, body?: unknown) => request('PUT', path, schema, body ?? {}),
  patch: <T>(path: string, schema: z.ZodType<T>, body?: unknown) => request('PATCH', path, schema, body ?? {}),
  delete: <T>(path: string, schema: z.ZodType<T>) => request('DELETE', path, schema),
};

// ---- console session (contract §1) ----

export const sessionSchema = z.object({
  admin: z.object({ id: z.string(), username: z.string(), displayName: z.string().nullable(), totpEnabled: z.boolean() }),
  csrfToken: z.string(),
  expiresAt: z.number(),
});
export type Session = z.infer<typeof sessionSchema>;

export const setupSchema = z.object({ needsAdmin: z.boolean(), sandbox: z.boolean(), publicUrl: z.string() });
export type Setup = z.infer<typeof setupSchema>;

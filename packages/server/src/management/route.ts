/**
 * One management API route: its method, path, schemas and handler in one object. The same schemas
 * parse every request and generate the OpenAPI document, so the document cannot drift from what
 * the server accepts.
 */
import { z } from 'zod';
import type { AppContext } from '../http/context.ts';
import { parseInput } from '../http/problem.ts';
import type { Actor } from '../identity/audit.ts';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

const EMPTY = z.object({}).strict();
type Empty = typeof EMPTY;

interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType> {
  method: HttpMethod;
  /** Under `/api/v1`, Fastify style (`/users/:userId`). */
  path: string;
  summary: string;
  tag: string;
  /** The success status (204 sends no body). */
  status?: 200 | 201 | 204;
  params?: P;
  query?: Q;
  body?: B;
  /** What a success answers with; the handler must return this type. */
  response: R;
  /** Open to `tokens:read` admin keys too (for the connections in their scope, `:connectionId`). */
  tokenBroker?: boolean;
  /** A larger request body than the service's 1 MiB (file uploads), in bytes. */
  bodyLimit?: number;
  handler(input: { params: z.output<P>; query: z.output<Q>; body: z.output<B>; actor: Actor; ctx: AppContext }): Promise<z.input<R>>;
}

export interface ManagementRoute {
  method: HttpMethod;
  path: string;
  summary: string;
  tag: string;
  status: 200 | 201 | 204;
  params: z.ZodType | undefined;
  query: z.ZodType | undefined;
  body: z.ZodType | undefined;
  response: z.ZodType;
  tokenBroker: boolean;
  bodyLimit?: number;
  /** The answer is a file sent as it is made (`run` returns a `Download`), not JSON. */
  download?: boolean;
  /** Parses the raw request parts (all of them, before anything is done), then runs the handler. */
  run(raw: { params: unknown; query: unknown; body: unknown }, actor: Actor, ctx: AppContext): Promise<unknown>;
}

/** What a `download` route's `run` answers: a file, streamed. */
export interface Download {
  contentType: string;
  filename: string;
  chunks: AsyncIterable<string>;
}

export function isDownload(value: unknown): value is Download {
  return typeof value === 'object' && value !== null && 'chunks' in value && 'contentType' in value && 'filename' in value;
}

export function defineRoute<
  P extends z.ZodType = Empty,
  Q extends z.ZodType = Empty,
  B extends z.ZodType = Empty,
  R extends z.ZodType = z.ZodVoid,
>(spec: RouteSpec<P, Q, B, R>): ManagementRoute {
  return {
    method: spec.method,
    path: spec.path,
    summary: spec.summary,
    tag: spec.tag,
    status: spec.status ?? 200,
    params: spec.params,
    query: spec.query,
    body: spec.body,
    response: spec.response,
    tokenBroker: spec.tokenBroker ?? false,
    ...(spec.bodyLimit === undefined ? {} : { bodyLimit: spec.bodyLimit }),
    async run(raw, actor, ctx) {
      const params = parseInput(spec.params ?? EMPTY, raw.params ?? {}) as z.output<P>;
      const query = parseInput(spec.query ?? EMPTY, raw.query ?? {}) as z.output<Q>;
      const body = parseInput(spec.body ?? EMPTY.optional(), raw.body ?? undefined) as z.output<B>;
      return spec.handler({ params, query, body, actor, ctx });
    },
  };
}

/**
 * Reading cookies, the one way: @fastify/cookie parses the Cookie header once per request (its
 * decoder keeps a malformed value such as `a=%` as it is instead of throwing), and `readCookie`
 * treats a value no client of ours could have set (NUL, unpaired surrogates) as absent — a
 * cookie may belong to another application on the same host, so it must not fail the request.
 */
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { unacceptableText } from './input-guard.ts';

export async function installCookieParser(app: FastifyInstance): Promise<void> {
  await app.register(fastifyCookie);
}

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const value = request.cookies[name];
  return value === undefined || unacceptableText(value) !== null ? undefined : value;
}

/**
 * The one gate every request passes before any route sees it: text that no legitimate client
 * sends and that the layers below cannot hold is refused here as a 400 problem, once, for every
 * route — instead of each route discovering it as a 500 from whichever layer chokes first.
 *
 * - NUL (U+0000): PostgreSQL text cannot store it ("invalid byte sequence") and SQLite's LIKE
 *   reads it as the end of the pattern (so a search for `%00` matched everyone).
 * - Unpaired surrogates (`"\ud800"` in JSON): not Unicode text; `encodeURIComponent` throws on
 *   them (a WeChat code with one failed the call to WeChat) and storage would mangle them.
 * - Nesting deeper than MAX_DEPTH: no request of ours has it; refusing it keeps the walk (and
 *   every later one) bounded.
 *
 * Checked: the path parameters and query (onRequest) and the parsed body — object keys too
 * (preValidation). Headers never carry NUL (Node's parser refuses them); cookies are parsed by
 * @fastify/cookie, whose decoder never throws, and are checked where they are read.
 */
import { AppError } from '@weunion/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const MAX_DEPTH = 32;

/** Why `text` cannot be accepted, or null when it can. */
export function unacceptableText(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  if (!text.isWellFormed()) return 'must be valid Unicode text (no unpaired surrogates)';
  return null;
}

/** The first unacceptable string in `value` (walked without recursion), as `path: reason`. */
export function findUnacceptableInput(value: unknown, root: string): string | null {
  const pending: { value: unknown; path: string; depth: number }[] = [{ value, path: root, depth: 0 }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const current = item.value;
    if (typeof current === 'string') {
      const reason = unacceptableText(current);
      if (reason !== null) return `${item.path}: ${reason}`;
      continue;
    }
    if (typeof current !== 'object' || current === null || Buffer.isBuffer(current)) continue;
    if (item.depth >= MAX_DEPTH) return `${item.path}: nested more than ${MAX_DEPTH} levels deep`;
    for (const [key, child] of Object.entries(current)) {
      const path = `${item.path}.${key}`;
      const keyReason = unacceptableText(key);
      if (keyReason !== null) return `${item.path}: a field name ${keyReason}`;
      pending.push({ value: child, path, depth: item.depth + 1 });
    }
  }
  return null;
}

function refuse(where: string): AppError {
  return new AppError('validation_failed', where);
}

function checkUrlParts(request: FastifyRequest): void {
  const found = findUnacceptableInput(request.params, 'path') ?? findUnacceptableInput(request.query, 'query');
  if (found !== null) throw refuse(found);
}

export function installInputGuard(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => checkUrlParts(request));
  app.addHook('preValidation', async (request) => {
    const found = findUnacceptableInput(request.body, 'body');
    if (found !== null) throw refuse(found);
  });
}

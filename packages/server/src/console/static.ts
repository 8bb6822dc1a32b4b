/**
 * Serves the built console (packages/console/dist) under `/console/`: hashed assets cached for a
 * year, index.html never cached, and every other path answered with index.html so the SPA's
 * history routing works on reload and deep links. A small handler instead of @fastify/static:
 * one folder, a handful of types, and the path check below is the whole security story.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '@weunion/errors';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { TRY_LOGIN_CALLBACK } from '../oidc/applications.ts';

/** packages/console/dist, found from this file so it works from any working directory. */
export const DEFAULT_CONSOLE_DIST = path.resolve(import.meta.dirname, '../../../console/dist');

export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: https: http:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';

const MISSING_BUILD = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>weunion console not built</title></head>
<body><h1>The admin console is not built</h1>
<p>Run <code>npm run build:console</code> in the weunion folder, then reload this page.</p></body></html>
`;

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

export function registerConsoleStatic(app: FastifyInstance, distDir = DEFAULT_CONSOLE_DIST): void {
  const root = path.resolve(distDir);
  const index = path.join(root, 'index.html');

  async function sendFile(reply: FastifyReply, file: string, cacheControl: string): Promise<FastifyReply> {
    const body = await readFile(file);
    return reply
      .header('content-type', TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream')
      .header('cache-control', cacheControl)
      .send(body);
  }

  async function sendIndex(reply: FastifyReply): Promise<FastifyReply> {
    if (!(await isFile(index))) {
      return reply.status(503).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(MISSING_BUILD);
    }
    return sendFile(reply, index, 'no-cache');
  }

  app.addHook('onSend', async (request, reply) => {
    if (request.url !== '/console' && !request.url.startsWith('/console/')) return;
    // The "Try login" result is a hosted page with its own headers (nonce'd style, no referrer: its URL held a code).
    if (request.url.startsWith(TRY_LOGIN_CALLBACK)) return;
    reply.header('content-security-policy', CONSOLE_CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
  });

  app.get('/console', async (_request, reply) => reply.redirect('/console/', 302));

  app.get('/console/*', async (request, reply) => {
    const params = request.params;
    const wanted = typeof params === 'object' && params !== null && '*' in params && typeof params['*'] === 'string' ? params['*'] : '';
    if (wanted === '' || wanted === 'index.html') return sendIndex(reply);
    if (wanted === 'api' || wanted.startsWith('api/')) throw new AppError('not_found', 'No such console API endpoint');
    // Whatever the decoded path says (`..`, `%2e%2e`, backslashes, NUL), the file must be inside dist.
    const file = path.resolve(root, `.${path.posix.sep}${wanted}`);
    if (wanted.includes('\0') || wanted.includes('\\') || !file.startsWith(`${root}${path.sep}`)) {
      throw new AppError('bad_request', 'This path is not part of the console');
    }
    if (await isFile(file)) return sendFile(reply, file, wanted.startsWith('assets/') ? IMMUTABLE : 'no-cache');
    // A missing hashed asset must be a 404, not HTML the browser would try to run as a script.
    if (wanted.startsWith('assets/')) throw new AppError('not_found', 'No such console asset');
    return sendIndex(reply);
  });
}

/**
 * The admin console (issue #9): its sign-in and account API under `/console/api`, and the built
 * single-page app under `/console/`. The management API it drives accepts the console session in
 * management/plugin.ts.
 */
import type { FastifyInstance } from 'fastify';
import { registerConsoleApi } from './routes.ts';
import { registerConsoleStatic } from './static.ts';
import { registerTryLogin } from './try-login.ts';

export interface ConsoleOptions {
  /** The built console to serve; defaults to packages/console/dist. */
  distDir?: string;
}

export function registerConsole(app: FastifyInstance, options: ConsoleOptions = {}): void {
  registerTryLogin(app);
  registerConsoleApi(app);
  registerConsoleStatic(app, options.distDir);
}

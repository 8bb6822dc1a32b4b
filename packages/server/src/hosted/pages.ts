/**
 * The hosted pages a sign-in may pass through after `/login`: account selection, binding, the
 * page a cancelled selection/binding lands on, the error page redirect flows end on, and SMS code login. Registered from `registerHostedLoginPage`, beside `/login`.
 */
import type { FastifyInstance } from 'fastify';
import { registerBindPage } from './bind-page.ts';
import { registerErrorPage } from './error-page.ts';
import { registerCancelledPage } from './pending-page.ts';
import { registerSelectPage } from './select-page.ts';
import { registerSmsLoginPage } from './sms-login-page.ts';

export function registerHostedPages(app: FastifyInstance): void {
  registerSelectPage(app);
  registerBindPage(app);
  registerErrorPage(app);
  registerCancelledPage(app);
  registerSmsLoginPage(app);
}

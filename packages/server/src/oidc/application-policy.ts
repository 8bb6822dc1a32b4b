/**
 * Logins made on behalf of an application (the hosted login page passes its client id along):
 * the application must offer the scenario, and its policy override applies over the connection's.
 */
import { AppError } from '@weunion/errors';
import type { AppContext } from '../http/context.ts';
import type { IdentityPolicy } from '../identity/policy.ts';
import { type Application, findApplication } from './applications.ts';
import { oidcDb } from './tables.ts';

/** The application a login is started for; a 400 when it does not exist or does not offer the scenario. */
export async function applicationForLogin(ctx: AppContext, clientId: string, scenario: string): Promise<Application> {
  const application = await findApplication(oidcDb(ctx.database.db), ctx.secrets, clientId);
  if (application === null) throw new AppError('validation_failed', `client: no application ${clientId}`);
  if (!application.scenarios.some((s) => s === scenario)) {
    throw new AppError('forbidden', `Application ${clientId} does not offer login scenario ${scenario}`);
  }
  return application;
}

/**
 * The policy a login applies: the connection's, overridden by the application's where it says so.
 * The app the person is logging in to governs (identity/README.md, "Whose policy governs"): each
 * field the application sets replaces the connection's, whether stricter or looser.
 */
export async function policyForLogin(
  ctx: AppContext,
  connectionPolicy: IdentityPolicy,
  clientId: string | undefined,
  scenario: string,
): Promise<IdentityPolicy> {
  if (clientId === undefined) return connectionPolicy;
  const application = await applicationForLogin(ctx, clientId, scenario);
  return { ...connectionPolicy, ...application.policy };
}

/** Whether a login session made for `sessionClientId` may be reused for `application` without logging in again. */
export function sessionServesApplication(application: Application, sessionClientId: string | undefined): boolean {
  return Object.keys(application.policy).length === 0 || sessionClientId === application.id;
}

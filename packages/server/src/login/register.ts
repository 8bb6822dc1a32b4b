/**
 * Everything the browser logins add to the app, behind one call from `buildApp`: sessions, the
 * pending selection/binding endpoints, the ticket redemption, the four browser scenarios (S3 also by link from a phone browser) and the
 * WeChat callback endpoint.
 */
import type { FastifyInstance } from 'fastify';
import { registerS1 } from '../scenarios/s1-follow-official-account.ts';
import { registerS2 } from '../scenarios/s2-website-qr.ts';
import { registerS3 } from '../scenarios/s3-mini-program-code.ts';
import { registerS3Link } from '../scenarios/s3-mini-program-link.ts';
import { registerS4 } from '../scenarios/s4-wechat-browser.ts';
import { registerWechatCallback } from '../wechat-callback/routes.ts';
import { loginSessionsFor } from './finish.ts';
import { registerPendingRoutes } from './pending-routes.ts';
import { registerRedeemRoute } from './redeem-route.ts';
import { registerSessionRoutes } from './session-routes.ts';
import { registerSmsLogin } from './sms-login.ts';

export async function registerBrowserLogin(app: FastifyInstance): Promise<void> {
  app.decorate('loginSessions', loginSessionsFor(app));
  registerSessionRoutes(app);
  registerPendingRoutes(app);
  registerRedeemRoute(app);
  registerSmsLogin(app);
  registerS1(app);
  registerS2(app);
  registerS3(app);
  registerS3Link(app);
  registerS4(app);
  // Its own scope: the XML body parser applies to the callback only.
  await app.register(async (scope) => registerWechatCallback(scope));
}

/**
 * The Fastify application, built by a factory so tests (and the scale-out tests) can run many
 * instances in one process. Everything shared between instances is reached through `ctx`:
 * the durable database and the shared short-lived state.
 */
import { randomUUID } from 'node:crypto';
import { createWechatClient } from '@weunion/wechat';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { registerConsole } from '../console/plugin.ts';
import { registerLoginCors } from '../embedding/cors.ts';
import { registerJsSdkConfig } from '../js-sdk/config-route.ts';
import { registerLoginHistory } from '../login/history.ts';
import { registerBrowserLogin } from '../login/register.ts';
import { registerManagementApi } from '../management/plugin.ts';
import { createMessageSenders, type MessageSenders } from '../messaging/code-sender.ts';
import { registerAppLogin } from '../mp/register.ts';
import { registerOidc } from '../oidc/register.ts';
import { loadSecretBox } from '../secrets/master-key.ts';
import { SigningKeys } from '../signing/signing-keys.ts';
import { registerLoginFailureStats } from '../stats/login-stats.ts';
import { watchCatalog } from '../storage/catalog-cache.ts';
import { QrTickets } from '../tickets/qr-ticket.ts';
import { registerTicketRoutes } from '../tickets/routes.ts';
import type { AppContext, AppContextInput } from './context.ts';
import { installCookieParser } from './cookies.ts';
import { registerHealthRoutes } from './health.ts';
import { installInputGuard } from './input-guard.ts';
import { lazyChildLogger, loggerOptions } from './logger.ts';
import { installProblemHandlers } from './problem.ts';
import { fastifyTrustProxy } from './trust-proxy.ts';

export type { AppContext, AppContextInput } from './context.ts';

export interface BuildAppOptions {
  /** A pino logger to use; defaults to one at the configured level. */
  logger?: FastifyBaseLogger;
  /** Extra plugins registered after the core routes (e.g. the sandbox). */
  plugins?: ((app: FastifyInstance) => Promise<void>)[];
  /** The built admin console to serve under /console/ (default: packages/console/dist). */
  consoleDistDir?: string;
  /**
   * Who delivers verification codes. Default: from the configuration (SMS_PROVIDER, SMTP_URL…),
   * delivering to the sandbox mounted at PUBLIC_URL/sandbox while the sandbox is on.
   */
  messages?: MessageSenders;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp(input: AppContextInput, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  let secrets = input.secrets;
  const wechat =
    input.wechat ??
    createWechatClient({
      state: input.state,
      endpoints: { api: input.config.wechatApiUrl, open: input.config.wechatOpenUrl, mp: input.config.wechatMpUrl },
    });
  const ctx: AppContext = {
    ...input,
    wechat,
    sandbox: input.sandbox ?? false,
    get secrets() {
      secrets ??= loadSecretBox(input.config);
      return secrets;
    },
  };
  const app = Fastify({
    loggerInstance: options.logger ?? pino(loggerOptions(ctx.config.logLevel)),
    childLoggerFactory: lazyChildLogger,
    trustProxy: fastifyTrustProxy(ctx.config.trustProxy),
    bodyLimit: 1024 * 1024,
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
  });
  ctx.log = app.log;
  app.decorate('ctx', ctx);
  const unwatchCatalog = await watchCatalog(ctx.database, ctx.state);
  app.addHook('onClose', async () => {
    await unwatchCatalog().catch(() => {});
  });
  // Made at start, so a provider configured by halves stops the start with the option's name.
  app.decorate(
    'messages',
    options.messages ??
      createMessageSenders(ctx.config, {
        secrets: () => ctx.secrets,
        log: app.log,
        sandbox: ctx.sandbox,
        sandboxUrl: ctx.sandbox ? `${ctx.config.publicUrl}/sandbox` : undefined,
      }),
  );
  // While shutting down, answer in-flight requests with `Connection: close` so their keep-alive
  // sockets end with them and the drain completes instead of waiting for idle clients.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
  });
  installProblemHandlers(app);
  await installCookieParser(app);
  installInputGuard(app);
  registerLoginFailureStats(app);
  registerLoginHistory(app);
  registerLoginCors(app);
  registerHealthRoutes(app);
  registerJsSdkConfig(app);
  registerManagementApi(app);
  registerConsole(app, options.consoleDistDir === undefined ? {} : { distDir: options.consoleDistDir });
  const tickets = new QrTickets(ctx.state, { qrTtlMs: ctx.config.qrTtlSeconds * 1000, ticketTtlMs: ctx.config.ticketTtlSeconds * 1000 });
  app.decorate('tickets', tickets);
  let signingKeys: SigningKeys | undefined;
  app.decorate('signingKeys', { getter: () => (signingKeys ??= new SigningKeys(ctx.database, ctx.secrets)) });
  registerTicketRoutes(app, tickets);
  await registerBrowserLogin(app);
  registerAppLogin(app);
  await registerOidc(app);
  for (const plugin of options.plugins ?? []) await plugin(app);
  await app.ready();
  return app;
}

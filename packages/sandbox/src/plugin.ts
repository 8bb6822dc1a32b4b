/**
 * The sandbox as a Fastify plugin. Register it with a `prefix` (or none); `publicUrl` must be the
 * absolute URL the plugin is reachable at, prefix included, because QR codes and pages link back.
 * The plugin is encapsulated: its body parsers and error handling stay inside it.
 */
import { AppError, type ErrorCode, toProblem } from '@weunion/errors';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext } from './context.ts';
import { registerControlApi } from './routes/control.ts';
import { registerMessages } from './routes/messages.ts';
import { registerPages } from './routes/pages.ts';
import { registerWechatApi } from './routes/wechat-api.ts';
import { WechatApiError } from './wechat-error.ts';
import { World } from './world.ts';

export interface SandboxPluginOptions {
  /** Absolute URL where this plugin is reachable, including any prefix. */
  publicUrl: string;
  /** Seed the demo world (demo-world.ts) on start and on reset. Default true. */
  seedDemoWorld?: boolean;
  /** Demo official account & mini program push to `${callbackBaseUrl}/wechat/callback/${appid}`. */
  callbackBaseUrl?: string;
  /**
   * Authorized redirect domains of the demo apps. Default: the host of `callbackBaseUrl` (the
   * weunion server's PUBLIC_URL), else of `publicUrl`.
   */
  redirectDomains?: string[];
}

export interface InternalSandboxOptions {
  publicUrl: () => string;
  world: World;
}

const WECHAT_PATH = /\/(sns|cgi-bin|wxa)\//;

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const status = typeof error === 'object' && error !== null && 'statusCode' in error ? error.statusCode : undefined;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const message = error instanceof Error ? error.message : undefined;
    return new AppError(STATUS_CODES[status] ?? 'bad_request', message, { status });
  }
  return new AppError('internal', undefined, { cause: error });
}

function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof WechatApiError) return reply.status(200).send(error.toBody());
  const path = request.url.split('?')[0] ?? '';
  const appError = toAppError(error);
  if (WECHAT_PATH.test(path) && !path.includes('/_sandbox/')) {
    // WeChat answers unreadable requests with 47001 and its own failures with -1, always HTTP 200.
    if (appError.status >= 500) request.log.error({ err: error }, 'sandbox WeChat endpoint failed');
    return reply.status(200).send(new WechatApiError(appError.status < 500 ? 'dataFormat' : 'busy').toBody());
  }
  if (appError.status >= 500) request.log.error({ err: error }, 'sandbox request failed');
  return reply
    .status(appError.status)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .send(toProblem(appError, String(request.id)));
}

/** Registers every sandbox route on `app` (already scoped by the caller). */
export async function registerSandbox(app: FastifyInstance, options: InternalSandboxOptions): Promise<void> {
  const ctx: SandboxContext = { world: options.world, publicUrl: () => options.publicUrl().replace(/\/+$/, '') };
  // WeChat reads POST bodies as JSON whatever the content type says; pages post forms.
  if (!app.hasContentTypeParser('text/plain')) {
    app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  }
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
  }
  app.setErrorHandler(handleError);
  registerWechatApi(app, ctx);
  registerControlApi(app, ctx);
  registerPages(app, ctx);
  registerMessages(app, ctx);
}

/** The sandbox plugin; each registration gets its own virtual world. */
export const sandboxPlugin: FastifyPluginAsync<SandboxPluginOptions> = async (app, options) => {
  const publicUrl = new URL(options.publicUrl).href.replace(/\/+$/, '');
  const world = new World({
    seedDemoWorld: options.seedDemoWorld ?? true,
    callbackBaseUrl: options.callbackBaseUrl,
    demoRedirectDomains: options.redirectDomains ?? [new URL(options.callbackBaseUrl ?? publicUrl).hostname],
  });
  await registerSandbox(app, { publicUrl: () => publicUrl, world });
};

/** The sandbox as its own server (`weunion sandbox`, tests): one Fastify instance, one world. */
import Fastify from 'fastify';
import { registerSandbox } from './plugin.ts';
import { World } from './world.ts';

export interface StartSandboxOptions {
  /** 0 (default) picks any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Seed the demo world. Default true. */
  seedDemoWorld?: boolean;
  /** Demo official account & mini program push to `${callbackBaseUrl}/wechat/callback/${appid}`. */
  callbackBaseUrl?: string;
  /** The URL the sandbox is reachable at when it differs from `http://host:port` (a proxy in front). */
  publicUrl?: string;
  /** URL Schemes + URL Links a mini program may generate a day (default WeChat's 500,000). */
  miniProgramLinksPerDay?: number;
  /**
   * Authorized redirect domains of the demo apps. Default: the host of `callbackBaseUrl` (the
   * weunion server), else of the sandbox's own URL.
   */
  redirectDomains?: string[];
  /** Log requests (pino, info level). Default false. */
  logger?: boolean;
}

export interface RunningSandbox {
  url: string;
  close(): Promise<void>;
}

export async function startSandbox(options: StartSandboxOptions = {}): Promise<RunningSandbox> {
  const host = options.host ?? '127.0.0.1';
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 8 * 1024 * 1024 });
  let url = options.publicUrl ?? '';
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const world = new World({
    seedDemoWorld: options.seedDemoWorld ?? true,
    miniProgramLinksPerDay: options.miniProgramLinksPerDay,
    callbackBaseUrl: options.callbackBaseUrl,
    demoRedirectDomains: options.redirectDomains ?? [new URL(options.callbackBaseUrl ?? (url === '' ? `http://${urlHost}` : url)).hostname],
  });
  await app.register(async (scope) => registerSandbox(scope, { publicUrl: () => url, world }));
  await app.listen({ port: options.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  if (url === '') url = `http://${urlHost}:${port}`;
  return {
    url,
    close: async () => {
      await app.close();
    },
  };
}

/**
 * The `weunion` command's commands (cli.ts runs them). `serve` is what `npm start` runs; the others manage a deployment.
 * Every failure a user can fix ends with one line on stderr and exit code 1, never a stack trace.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { AppError, isAppError } from '@weunion/errors';
import { ClusterBus } from '@weunion/state';
import { pino } from 'pino';
import { adminAccountCommands } from './admin-accounts/cli.ts';
import { configDocs, loadConfig, redactConfig } from './config/index.ts';
import { loggerOptions } from './http/logger.ts';
import { importCommands } from './import/cli.ts';
import { managementCommands } from './management/cli-commands.ts';
import { sealConfigSecret } from './messaging/config-secrets.ts';
import { generateMasterKey, loadSecretBox } from './secrets/master-key.ts';
import { joinWorkerGroup, reportListening, startWorkerGroup } from './serve-group.ts';
import { installGracefulShutdown, prepareService, startService } from './service.ts';
import { SigningKeys } from './signing/signing-keys.ts';
import { migrateDown, migrateToLatest, migrationStatus, openDatabase } from './storage/index.ts';
import { serviceStateKind } from './storage/shared-state.ts';
import type { WechatSetup } from './wechat-setup.ts';
import { planWorkers, type WorkerPlan } from './worker-plan.ts';

interface Command {
  summary: string;
  run(args: string[]): Promise<void>;
}

const commands: Record<string, Command> = {
  serve: {
    summary: 'Run the service (what `npm start` does).',
    async run() {
      const config = loadConfig();
      if (cluster.isWorker) {
        // One process of a WORKERS group: the primary has prepared storage; it relays messages.
        joinWorkerGroup();
        const service = await startService(config, { prepared: true, bus: new ClusterBus() });
        installGracefulShutdown(service, config.shutdownTimeoutMs);
        reportListening(service.address);
        return;
      }
      const logger = pino(loggerOptions(config.logLevel));
      const prepared = await prepareService(config, logger);
      const plan = planWorkers({
        requested: config.workers,
        mode: config.mode,
        stateKind: serviceStateKind(config),
        sandbox: prepared.wechat.sandbox,
        cores: availableParallelism(),
      });
      if (plan.workers === 1) {
        const service = await startService(config, { logger, prepared: true });
        installGracefulShutdown(service, config.shutdownTimeoutMs);
        printBanner(config, service.address, prepared.wechat, prepared.needsAdmin, plan);
        return;
      }
      const group = await startWorkerGroup(config, plan.workers, logger);
      printBanner(config, group.address, prepared.wechat, prepared.needsAdmin, plan);
    },
  },
  migrate: {
    summary: 'Apply pending database migrations (--status to list them, --down to undo the last one).',
    async run(args) {
      const { values } = parseArgs({ args, options: { status: { type: 'boolean' }, down: { type: 'boolean' } } });
      const config = loadConfig();
      const database = await openDatabase(config.databaseUrl);
      try {
        if (values.status === true) {
          for (const m of await migrationStatus(database)) console.log(`${m.appliedAt ? 'applied' : 'pending'}  ${m.name}`);
        } else if (values.down === true) {
          const undone = await migrateDown(database);
          console.log(undone.length === 0 ? 'nothing to undo' : `undone: ${undone.join(', ')}`);
        } else {
          const applied = await migrateToLatest(database);
          console.log(applied.length === 0 ? 'database is up to date' : `applied: ${applied.join(', ')}`);
        }
      } finally {
        await database.close();
      }
    },
  },
  secrets: {
    summary:
      'Seal a secret for the config file: `secrets seal` reads it from standard input and prints `sealed:v1.…` (opened with the master key at start; SMS_ACCESS_KEY_SECRET, SMTP_PASSWORD).',
    async run(args) {
      if (args[0] !== 'seal') throw new AppError('bad_request', 'usage: weunion secrets seal < secret.txt');
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
      const secret = Buffer.concat(chunks).toString('utf8').trim();
      if (secret === '') throw new AppError('bad_request', 'nothing to seal: give the secret on standard input');
      console.log(sealConfigSecret(loadSecretBox(loadConfig()), secret));
    },
  },
  config: {
    summary: 'Show the effective configuration with secrets redacted (`config docs`: the options table).',
    async run(args) {
      if (args[0] === 'docs') {
        console.log(configDocs());
        return;
      }
      console.log(JSON.stringify(redactConfig(loadConfig()), null, 2));
    },
  },
  keys: {
    summary:
      'Token signing keys: `keys list`, or `keys rotate [--alg ES256|RS256] [--keep-default]` (published now, signing after a day; ' +
      'with --keep-default the new key signs only what asks for its algorithm, e.g. RS256 ID tokens).',
    async run(args) {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { alg: { type: 'string' }, 'keep-default': { type: 'boolean' } },
      });
      const action = positionals[0] ?? 'list';
      if (action !== 'list' && action !== 'rotate') throw new AppError('bad_request', `unknown keys action "${action}" (list or rotate)`);
      const alg = values.alg ?? 'ES256';
      if (alg !== 'ES256' && alg !== 'RS256') throw new AppError('bad_request', `--alg must be ES256 or RS256 (got "${alg}")`);
      const config = loadConfig();
      const database = await openDatabase(config.databaseUrl);
      try {
        await migrateToLatest(database);
        const keys = new SigningKeys(database, loadSecretBox(config), { alg });
        await keys.ensure();
        if (action === 'rotate') {
          const rotated = await keys.rotate({ alg, keepDefault: values['keep-default'] === true });
          console.log(`published ${rotated.alg} key ${rotated.kid}; it signs from ${new Date(rotated.activateAt).toISOString()}`);
        }
        for (const key of await keys.list()) {
          const status = `${key.status}${key.default ? '*' : ''}`;
          console.log(`${status.padEnd(9)}  ${key.alg}  ${key.kid}  signs from ${new Date(key.activateAt).toISOString()}`);
        }
      } finally {
        await database.close();
      }
    },
  },
  ...managementCommands,
  ...importCommands,
  ...adminAccountCommands,
  sandbox: {
    summary: 'Run the WeChat sandbox alone (--port, default 3100; --host; --callback-base-url: the weunion URL events are pushed to).',
    async run(args) {
      const { values } = parseArgs({
        args,
        options: {
          port: { type: 'string' },
          host: { type: 'string' },
          'callback-base-url': { type: 'string' },
          'public-url': { type: 'string' },
        },
      });
      const port = Number(values.port ?? '3100');
      if (!Number.isInteger(port) || port < 0 || port > 65_535)
        throw new AppError('bad_request', `--port must be a port number (got "${values.port}")`);
      const { startSandbox } = await import('@weunion/sandbox');
      const sandbox = await startSandbox({
        port,
        host: values.host ?? '127.0.0.1',
        ...(values['callback-base-url'] === undefined ? {} : { callbackBaseUrl: values['callback-base-url'] }),
        ...(values['public-url'] === undefined ? {} : { publicUrl: values['public-url'] }),
      });
      process.stdout.write(
        `\n  WeChat sandbox running at ${sandbox.url}\n  virtual phone: ${sandbox.url}/phone\n  point weunion at it with SANDBOX=off WECHAT_API_URL=${sandbox.url} WECHAT_OPEN_URL=${sandbox.url} WECHAT_MP_URL=${sandbox.url}\n\n`,
      );
      const stop = () => void sandbox.close().then(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    },
  },
  'master-key': {
    summary: 'Print a new random MASTER_KEY (32 bytes, base64) for scale-out deployments.',
    async run() {
      console.log(generateMasterKey());
    },
  },
};

function printBanner(
  config: ReturnType<typeof loadConfig>,
  address: string,
  wechat: WechatSetup,
  needsAdmin: boolean,
  plan: WorkerPlan,
): void {
  const stateKind = serviceStateKind(config);
  const state =
    stateKind === 'redis'
      ? 'Redis shared state'
      : stateKind === 'sqlite'
        ? 'shared state in a SQLite file beside it (survives restarts)'
        : config.mode === 'embedded'
          ? 'IN-PROCESS shared state (lost on restart)'
          : 'IN-PROCESS shared state (set REDIS_URL before running more than one instance)';
  const storage =
    config.mode === 'embedded'
      ? `embedded mode: SQLite ${config.databaseUrl.replace(/^sqlite:/, '')}, ${state}`
      : `scale-out mode: PostgreSQL, ${state}`;
  const lines = [
    '',
    `  weunion is running at ${config.publicUrl}  (listening on ${address})`,
    `  ${storage}`,
    `  ${plan.workers === 1 ? '1 worker process' : `${plan.workers} worker processes`} (${plan.reason})`,
    `  health: ${config.publicUrl}/healthz   readiness: ${config.publicUrl}/readyz`,
    `  log in: ${config.publicUrl}/login?returnTo=/api/session   OIDC: ${config.publicUrl}/.well-known/openid-configuration`,
    `  admin console: ${config.publicUrl}/console/`,
    ...(needsAdmin ? ['  Create an administrator: npm run weunion -- admins create <username>'] : []),
    '',
    ...(wechat.sandbox
      ? [
          '  ┌──────────────────────────────────────────────────────────────────────────────┐',
          '  │  WECHAT SANDBOX IS ON: WeChat is emulated here, no real WeChat is contacted. │',
          '  └──────────────────────────────────────────────────────────────────────────────┘',
          `  why: ${wechat.reason}`,
          `  virtual phone: ${config.publicUrl}/sandbox/phone`,
          `  emulated WeChat: ${config.publicUrl}/sandbox (control API under /sandbox/_sandbox)`,
          '',
        ]
      : [`  WeChat: ${wechat.endpoints.api} (${wechat.reason})`, '']),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'usage: weunion <command> [options]',
    '',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(usage());
    return name === undefined ? 1 : 0;
  }
  const command = commands[name];
  if (command === undefined) {
    console.error(`weunion: unknown command "${name}"\n\n${usage()}`);
    return 1;
  }
  try {
    await command.run(args);
    return 0;
  } catch (error) {
    console.error(`weunion: ${describeFailure(error)}`);
    return 1;
  }
}

function describeFailure(error: unknown): string {
  if (isAppError(error)) return error.message;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') return `the port is already in use (${error.message.replace(/^listen /, '')}); set PORT to another one`;
    if (code === 'EACCES') return `permission denied: ${error.message}`;
    if (code === 'storage_unreachable') return error.message;
    return error.message.split('\n')[0] ?? 'failed';
  }
  return String(error);
}

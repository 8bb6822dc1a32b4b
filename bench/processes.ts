/**
 * What the benches that run weunion as child processes share: waiting for a URL to answer, and
 * reading a process tree's CPU time and resident memory from /proc (Linux).
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, type IncomingHttpHeaders, request } from 'node:http';

/** Resolves once `url` answers below 500; throws if `child` exits first or after two minutes. */
export async function waitFor(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited (${child.exitCode})`);
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** A process and its descendants (a worker group's primary has the workers as children). */
export function processTree(pid: number): number[] {
  const children: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // it ended
  }
  for (const task of tasks) {
    let listed = '';
    try {
      listed = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    } catch {
      continue;
    }
    if (listed !== '') children.push(...listed.split(' ').map(Number));
  }
  return [pid, ...children.flatMap(processTree)];
}

/**
 * CPU time of one process in ms: the sum of its threads' time on a CPU from /proc/<pid>/task/<tid>/
 * schedstat (nanoseconds), or utime + stime from /proc/<pid>/stat (10 ms ticks) where the kernel
 * keeps no schedstat. The ticks were the bench's noise: a slice of 100 refreshes of the floor is
 * about 30 ms of CPU, read to ±10 ms at each end. Threads that ended took their time with them in
 * schedstat; the benches' servers keep theirs (the thread pool, V8's helpers) for their lifetime.
 */
function processCpuMs(pid: number): number | undefined {
  try {
    let nanoseconds = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const fields = readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ');
      nanoseconds += Number(fields[0]);
    }
    if (Number.isFinite(nanoseconds)) return nanoseconds / 1e6;
  } catch {
    // no schedstat here (or the process ended): the tick counts below
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone since it was listed (a database backend that ended)
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU time of a process and its descendants, in ms (see processCpuMs). */
export function cpuMs(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + (processCpuMs(p) ?? 0), 0);
}

/**
 * The local PostgreSQL and Redis servers the environment points at (DATABASE_URL, REDIS_URL on
 * 127.0.0.1), as process ids, so a bench can count their CPU too: in scale-out mode they share the
 * machine's cores with weunion.
 */
export function localStoragePids(): number[] {
  const oldest = (name: string) => {
    try {
      return Number(execFileSync('pgrep', ['-o', '-x', name], { encoding: 'utf8' }).trim()) || undefined;
    } catch {
      return undefined;
    }
  };
  const local = (url: string | undefined) => url !== undefined && /@?(127\.0\.0\.1|localhost)[:/]/.test(url);
  return [
    local(process.env.DATABASE_URL) ? oldest('postgres') : undefined,
    local(process.env.REDIS_URL) ? oldest('redis-server') : undefined,
  ].filter((pid): pid is number => pid !== undefined);
}

/** Resident memory of a process and its descendants, in MB. */
export function rssMb(pid: number): number {
  return processTree(pid).reduce((sum, p) => {
    const line = readFileSync(`/proc/${p}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return sum + Number(line?.[1] ?? 0) / 1024;
  }, 0);
}

export interface LightAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A load generator's HTTP client: node:http with one keep-alive agent, no WHATWG layer. The load
 * generator shares the machine's cores with what it measures, so its own cost per request is
 * CPU taken from the servers: this one costs about half of what fetch does.
 */
export function lightClient(): (
  url: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string },
) => Promise<LightAnswer> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1024 });
  return (url, init = {}) =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { ...init.headers };
      if (init.body !== undefined) headers['content-length'] = Buffer.byteLength(init.body);
      const outgoing = request(url, { method: init.method ?? 'GET', headers, agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString() }),
        );
        response.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end(init.body);
    });
}

/**
 * The environment of a `weunion serve` the benches start against a standalone WeChat sandbox: the
 * bench's own environment (DATABASE_URL and REDIS_URL pick scale-out mode), then the server's
 * address, data folder and the sandbox as WeChat. Clients come from many addresses in real life;
 * there X-Forwarded-For says so (TRUST_PROXY=loopback). A master key goes along only in scale-out
 * mode (embedded mode makes its own in the data folder).
 */
export function serverEnv(options: {
  port: number;
  dataDir: string;
  sandboxUrl: string;
  workers: number | string;
  /** Prefix of the run's Redis keys. */
  redisPrefix: string;
  masterKey?: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  const env: Record<string, string> = {
    ...Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)),
    PORT: String(options.port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${options.port}`,
    DATA_DIR: options.dataDir,
    SANDBOX: 'off',
    WECHAT_API_URL: options.sandboxUrl,
    WECHAT_OPEN_URL: options.sandboxUrl,
    WECHAT_MP_URL: options.sandboxUrl,
    LOG_LEVEL: 'warn',
    TRUST_PROXY: 'loopback',
    WORKERS: String(options.workers),
    REDIS_PREFIX: options.redisPrefix,
    ...options.extra,
  };
  if (env.DATABASE_URL !== undefined) env.MASTER_KEY = options.masterKey ?? process.env.MASTER_KEY ?? randomBytes(32).toString('base64');
  return env;
}

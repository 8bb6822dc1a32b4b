/**
 * Benchmark: complete S2 (website QR) logins, end to end over HTTP. Per login: the browser asks
 * weunion for the qrconnect redirect → the person allows it on the phone (sandbox control API) →
 * the browser follows WeChat's redirect to weunion's callback → weunion exchanges the code, fetches
 * the profile, resolves the person and starts the session. The sandbox and weunion each run in
 * their own process (embedded storage: SQLite + in-process state, unless DATABASE_URL/REDIS_URL are
 * set in the environment — use a database of its own: it is migrated and written to); this process
 * only drives them. Server CPU is read from /proc (the whole process group when WORKERS > 1).
 * The same run is made with each WORKERS value given (default 1 and 2), each on a fresh data
 * folder, and the results are printed side by side.
 *
 * Run by hand, not in CI (Node 24):
 *
 *   node bench/s2-logins.ts [--concurrency 16] [--logins 2000] [--people 500] [--workers 1,2]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DEMO_APPS, DEMO_OPEN_PLATFORM } from '../packages/sandbox/src/index.ts';
import { freePort } from '../packages/server/src/testing/free-port.ts';
import { cpuMs, type LightAnswer, lightClient, localStoragePids, serverEnv, waitFor } from './processes.ts';

const { values } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '16' },
    logins: { type: 'string', default: '2000' },
    people: { type: 'string', default: '500' },
    workers: { type: 'string', default: '1,2' },
  },
});
const workerCounts = values.workers.split(',').map(Number);
const concurrency = Number(values.concurrency);
const total = Number(values.logins);
const peopleCount = Number(values.people);
const cli = path.join(import.meta.dirname, '../packages/server/src/cli.ts');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const website = DEMO_APPS.find((a) => a.key === 'website');
if (website === undefined) throw new Error('no demo website app');

const dir = mkdtempSync(path.join(tmpdir(), 'weunion-bench-s2-'));
// One key for the run: in scale-out mode every WORKERS value opens the same database.
const masterKey = process.env.MASTER_KEY ?? randomBytes(32).toString('base64');
const sandboxPort = await freePort();
const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
const configFile = path.join(dir, 'weunion.json');
writeFileSync(
  configFile,
  JSON.stringify({
    connections: [
      {
        id: 'bench-website',
        name: 'Bench website',
        appType: 'website',
        appid: website.appid,
        secret: website.secret,
        openPlatformId: DEMO_OPEN_PLATFORM.id,
        scenarios: ['s2'],
      },
    ],
  }),
);

const children: ChildProcess[] = [];
const stop = () => {
  for (const child of children) child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
};
process.once('exit', stop);

try {
  const sandbox = spawn(process.execPath, [cli, 'sandbox', '--port', String(sandboxPort)], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(sandbox);
  await waitFor(`${sandboxUrl}/_sandbox`, sandbox);
  const people: string[] = [];
  for (let i = 0; i < peopleCount; i++) {
    const response = await fetch(`${sandboxUrl}/_sandbox/people`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nickname: `Bench ${i}` }),
    });
    people.push(z.object({ id: z.string() }).parse(await response.json()).id);
  }

  const http = lightClient();
  const cookieOf = (response: LightAnswer, name: string): string => {
    const line = (response.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${name}=`));
    if (line === undefined) throw new Error(`no ${name} cookie (status ${response.status})`);
    return (line.split(';')[0] ?? '').slice(name.length + 1);
  };

  const results: {
    workers: number;
    rate: number;
    p50: number;
    p99: number;
    cpuPerLogin: number;
    sandboxPerLogin: number;
    driverPerLogin: number;
    storagePerLogin: number;
    cpu: number;
    wall: number;
  }[] = [];
  for (const workers of workerCounts) {
    const serverPort = await freePort();
    const serverUrl = `http://127.0.0.1:${serverPort}`;
    const dataDir = mkdtempSync(path.join(dir, `workers-${workers}-`));
    const server = spawn(process.execPath, [cli, 'serve'], {
      // The service's log (warnings and errors only) goes to stderr with the bench's own.
      stdio: ['ignore', process.env.BENCH_SERVER_LOG === undefined ? 'ignore' : 'inherit', 'inherit'],
      env: serverEnv({
        port: serverPort,
        dataDir,
        sandboxUrl,
        workers,
        masterKey,
        redisPrefix: `bench-s2-${process.pid}-${workers}:`,
        // What the bench leaves in shared state expires within minutes.
        extra: { WEUNION_CONFIG: configFile, SESSION_TTL_SECONDS: '300' },
      }),
    });
    children.push(server);
    await waitFor(`${serverUrl}/healthz`, server);
    // A worker group answers /healthz once one worker listens; give the others their start too.
    if (workers > 1) await new Promise((resolve) => setTimeout(resolve, 3000));
    const serverPid = server.pid ?? 0;

    /** One complete login; returns its duration in ms. */
    const login = async (index: number): Promise<number> => {
      const ip = `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
      const started = performance.now();
      const start = await http(`${serverUrl}/login/s2?returnTo=/bench`, { headers: { 'x-forwarded-for': ip } });
      const browser = cookieOf(start, 'wu_browser');
      const qrconnect = start.headers.location ?? '';
      const allowed = await http(`${sandboxUrl}/_sandbox/actions/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ personId: people[index % people.length], url: qrconnect, decision: 'allow' }),
      });
      const { redirect } = z.object({ redirect: z.string() }).parse(JSON.parse(allowed.body));
      const back = await http(redirect, { headers: { cookie: `wu_browser=${browser}`, 'x-forwarded-for': ip } });
      const elapsed = performance.now() - started;
      if (back.headers.location !== '/bench') throw new Error(`login ${index} ended at ${back.headers.location}`);
      cookieOf(back, 'wu_session');
      return elapsed;
    };

    // Warm-up (JIT, connection pools, WeChat token cache), not counted.
    for (let i = 0; i < Math.min(50 * workers, total); i++) await login(total + i);

    const times: number[] = [];
    let next = 0;
    const cpuBefore = cpuMs(serverPid) / 1000;
    const sandboxBefore = cpuMs(sandbox.pid ?? 0);
    const driverBefore = process.cpuUsage();
    const storageCpu = () => localStoragePids().reduce((sum, pid) => sum + cpuMs(pid), 0);
    const storageBefore = storageCpu();
    const wallStart = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const index = next++;
          times.push(await login(index));
        }
      }),
    );
    const wall = (performance.now() - wallStart) / 1000;
    const cpu = cpuMs(serverPid) / 1000 - cpuBefore;
    const sandboxCpu = cpuMs(sandbox.pid ?? 0) - sandboxBefore;
    const driver = process.cpuUsage(driverBefore);
    const storage = storageCpu() - storageBefore;
    times.sort((a, b) => a - b);
    results.push({
      workers,
      rate: total / wall,
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      cpuPerLogin: (cpu / total) * 1000,
      sandboxPerLogin: sandboxCpu / total,
      driverPerLogin: (driver.user + driver.system) / 1000 / total,
      storagePerLogin: storage / total,
      cpu,
      wall,
    });
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  }

  console.log(`S2 logins: ${total} at concurrency ${concurrency}, ${people.length} people (first logins create, later ones resolve)`);
  console.log(
    `storage: ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'SQLite'} + ${process.env.REDIS_URL ? 'Redis' : process.env.DATABASE_URL ? 'in-process state' : 'SQLite state file'}`,
  );
  // Every process of the run shares the machine's cores: the sum of their CPU per login bounds the
  // rate, whatever weunion costs (the sandbox and this load generator alone set a ceiling).
  const cores = availableParallelism();
  const scaleOut = localStoragePids().length > 0;
  console.log(
    `| WORKERS | logins/s | p50 ms | p99 ms | server CPU per login (ms) | server CPU s / wall s |${scaleOut ? ' PostgreSQL + Redis CPU per login (ms) |' : ''} sandbox + load generator CPU per login (ms) | ceiling on ${cores} cores (logins/s): all / without weunion |`,
  );
  console.log(`| --- | --- | --- | --- | --- | --- |${scaleOut ? ' --- |' : ''} --- | --- |`);
  for (const r of results) {
    const others = r.sandboxPerLogin + r.driverPerLogin;
    const all = r.cpuPerLogin + r.storagePerLogin + others;
    console.log(
      `| ${r.workers} | ${r.rate.toFixed(1)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.cpuPerLogin.toFixed(2)} | ${r.cpu.toFixed(1)} / ${r.wall.toFixed(1)} |${scaleOut ? ` ${r.storagePerLogin.toFixed(2)} |` : ''} ${r.sandboxPerLogin.toFixed(2)} + ${r.driverPerLogin.toFixed(2)} | ${((cores * 1000) / all).toFixed(0)} / ${((cores * 1000) / others).toFixed(0)} |`,
    );
  }
} finally {
  stop();
}

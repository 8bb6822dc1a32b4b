/**
 * `npm run bench`: weunion's login flows side by side with the floors they are built on, in one
 * run, repeated (default 3 times). Each server is its own process — weunion (`weunion serve`, one
 * worker, SQLite + the state file unless DATABASE_URL/REDIS_URL are set), the WeChat sandbox, bare
 * oidc-provider (bench/floor-oidc.ts) and the minimal S5 handler (bench/floor-s5.ts) — and its CPU
 * time (utime + stime from /proc) is read before and after each flow. CPU per login is what the
 * ratios compare: it does not depend on what else the machine is doing, where throughput does.
 *
 * Flows (weunion | floor):
 * - oidc: authorization code + PKCE through the hosted login page and S2 (the sandbox's phone
 *   allows), code exchanged for tokens | bare oidc-provider, the interaction logs in at once;
 * - oidc-logged-in: the same for a browser already logged in | the same for the bare provider;
 * - refresh: `refresh_token` grant (rotated) | the same on the bare provider;
 * - s5: `POST /api/mp/login` | the minimal Fastify handler;
 * - s2: complete S2 logins (bench/s2-logins.ts's flow), throughput only (no floor).
 *
 * With `--count-sql` (SQLite only) it measures no time: it counts the SQL statements weunion runs
 * per login of each flow (bench/sql-count-preload.ts) and lists the most frequent ones.
 *
 * With `--against <cli.ts>` (SQLite only) the floors make way for a second weunion, run from that
 * checkout's cli.ts with its own data folder: every flow, S2 included, then compares two versions of
 * weunion turn by turn in the same run — an A/B whose ratio the machine's spells of slowness touch
 * far less than two separate runs (the floors' own CPU per login moves by a third between runs).
 *
 * With `--durable-floor` the OIDC floor keeps its grants, codes and tokens in SQLite (a minimal
 * durable adapter, bench/floor-oidc.ts `--durable`): how far weunion is from the bare provider once
 * both keep what they issue.
 *
 *   node bench/run.ts [--repeat 3] [--scale 1] [--concurrency 8] [--flows oidc,oidc-logged-in,refresh,s5,s2] [--count-sql]
 *                     [--server-cli ../other-checkout/packages/server/src/cli.ts] [--profile dir (weunion; the OIDC floor in dir/floor)]
 *                     [--against ../base-checkout/packages/server/src/cli.ts] [--durable-floor]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as client from 'openid-client';
import { z } from 'zod';
import { DEMO_APPS } from '../packages/sandbox/src/index.ts';
import { Browser } from '../packages/server/src/login/test-harness.ts';
import { freePort } from '../packages/server/src/testing/free-port.ts';
import { setUpBenchApplication } from './operator-setup.ts';
import { cpuMs, serverEnv, waitFor } from './processes.ts';

const { values } = parseArgs({
  options: {
    repeat: { type: 'string', default: '3' },
    scale: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '8' },
    people: { type: 'string', default: '300' },
    flows: { type: 'string', default: 'oidc,oidc-logged-in,refresh,s5,s2' },
    'count-sql': { type: 'boolean', default: false },
    /** Run weunion from another checkout's cli.ts (e.g. to measure `main` in the same conditions). */
    'server-cli': { type: 'string' },
    /** Write a CPU profile of weunion (node --cpu-prof) into this folder. */
    profile: { type: 'string' },
    /** Compare with a second weunion run from this cli.ts instead of with the floors. */
    against: { type: 'string' },
    /** The OIDC floor keeps its grants, codes and tokens in SQLite (bench/floor-oidc.ts --durable) instead of memory. */
    'durable-floor': { type: 'boolean', default: false },
  },
});
if (values.against !== undefined && (process.env.DATABASE_URL !== undefined || values['count-sql'])) {
  console.error('--against runs two embedded-mode servers side by side: unset DATABASE_URL, and leave out --count-sql');
  process.exit(2);
}
const repeat = Number(values.repeat);
const scale = Number(values.scale);
const concurrency = Number(values.concurrency);
/** Turns weunion and its floor take within one round of a flow. */
const SLICES = 5;
const flows = new Set(values.flows.split(','));
const cli = path.join(import.meta.dirname, '../packages/server/src/cli.ts');
const serverCli = values['server-cli'] ?? cli;
const REDIRECT = 'http://127.0.0.1:9/callback';
const MP = DEMO_APPS.find((a) => a.key === 'miniProgram');
if (MP === undefined) throw new Error('no demo mini program');

const dir = mkdtempSync(path.join(tmpdir(), 'weunion-bench-'));
const [sandboxPort, serverPort, floorOidcPort, floorS5Port, againstPort] = [
  await freePort(),
  await freePort(),
  await freePort(),
  await freePort(),
  await freePort(),
];
const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
const serverUrl = `http://127.0.0.1:${serverPort}`;
const floorOidcUrl = `http://127.0.0.1:${floorOidcPort}`;
const floorS5Url = `http://127.0.0.1:${floorS5Port}`;
const againstUrl = `http://127.0.0.1:${againstPort}`;
const env = serverEnv({
  port: serverPort,
  dataDir: dir,
  sandboxUrl,
  workers: 1,
  redisPrefix: `bench-${process.pid}:`,
  extra: { SESSION_TTL_SECONDS: '600' },
});

const children: ChildProcess[] = [];
const stop = () => {
  for (const child of children) child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
};
process.once('exit', stop);
process.once('SIGINT', () => process.exit(130));

const start = (args: string[], extraEnv: Record<string, string> = {}) => {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...env, ...extraEnv } });
  children.push(child);
  return child;
};

const sandbox = start([cli, 'sandbox', '--port', String(sandboxPort), '--callback-base-url', serverUrl]);
await waitFor(`${sandboxUrl}/_sandbox`, sandbox);

const { clientId, clientSecret } = await setUpBenchApplication(env, REDIRECT);
const againstEnv = { ...env, PORT: String(againstPort), PUBLIC_URL: againstUrl, DATA_DIR: path.join(dir, 'against') };
const againstApp =
  values.against === undefined
    ? undefined
    : await setUpBenchApplication(againstEnv, REDIRECT, path.resolve(path.dirname(values.against), '../../..'));

const countFile = path.join(dir, 'sql-counts.json');
const server = values['count-sql']
  ? start(['--import', path.join(import.meta.dirname, 'sql-count-preload.ts'), serverCli, 'serve'], { SQL_COUNT_FILE: countFile })
  : start([...(values.profile === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', values.profile]), serverCli, 'serve']);
const floorOidc = start([
  ...(values.profile === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', `${values.profile}/floor`]),
  path.join(import.meta.dirname, 'floor-oidc.ts'),
  '--port',
  String(floorOidcPort),
  '--redirect',
  REDIRECT,
  ...(values['durable-floor'] ? ['--durable', path.join(dir, 'floor-oidc.db')] : []),
]);
const floorS5 = start([
  path.join(import.meta.dirname, 'floor-s5.ts'),
  '--port',
  String(floorS5Port),
  '--sandbox',
  sandboxUrl,
  '--appid',
  MP.appid,
  '--secret',
  MP.secret,
  '--db',
  path.join(dir, 'floor.db'),
]);
const against =
  values.against === undefined
    ? undefined
    : spawn(process.execPath, [values.against, 'serve'], { stdio: ['ignore', 'ignore', 'inherit'], env: againstEnv });
if (against !== undefined) children.push(against);
await Promise.all([
  waitFor(`${serverUrl}/healthz`, server),
  ...(against === undefined ? [] : [waitFor(`${againstUrl}/healthz`, against)]),
  waitFor(`${floorOidcUrl}/.well-known/openid-configuration`, floorOidc),
  waitFor(`${floorS5Url}/`, floorS5),
]);

const control = async (route: string, body: unknown) => {
  const response = await fetch(`${sandboxUrl}/_sandbox${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status >= 300) throw new Error(`sandbox ${route}: ${response.status} ${await response.text()}`);
  return z.record(z.string(), z.unknown()).parse(await response.json());
};
const people: string[] = [];
for (let i = 0; i < Number(values.people); i++) people.push(z.string().parse((await control('/people', { nickname: `Bench ${i}` })).id));

const insecure = { execute: [client.allowInsecureRequests] };
/** A weunion server the flows run against: this checkout's, or the `--against` one. */
interface Weunion {
  url: string;
  oidc: client.Configuration;
  /** Logged-in browsers and refresh-token chains, one per concurrent slot. */
  browsers: Browser[];
  chains: string[];
}
const main: Weunion = {
  url: serverUrl,
  oidc: await client.discovery(new URL(serverUrl), clientId, clientSecret, undefined, insecure),
  browsers: [],
  chains: [],
};
const other: Weunion | undefined =
  againstApp === undefined
    ? undefined
    : {
        url: againstUrl,
        oidc: await client.discovery(new URL(againstUrl), againstApp.clientId, againstApp.clientSecret, undefined, insecure),
        browsers: [],
        chains: [],
      };
const floorOidcConfig = await client.discovery(new URL(floorOidcUrl), 'floor', 'floor-secret', undefined, insecure);
let counter = 0;
const ipOf = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** Follows redirects from `url` until the application's redirect URI; returns that URL. */
async function follow(browser: Browser, url: string, headers: Record<string, string>): Promise<URL> {
  let current = url;
  for (let hop = 0; hop < 12 && !current.startsWith(REDIRECT); hop++) {
    const response = await browser.fetch(current, { headers });
    await response.body?.cancel();
    const next = response.headers.get('location');
    if (next === null) throw new Error(`stuck at ${current} (${response.status})`);
    current = new URL(next, current).href;
  }
  return new URL(current);
}

async function authorize(oidc: client.Configuration, scope: string, extra: Record<string, string> = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(oidc, {
    redirect_uri: REDIRECT,
    scope,
    state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  return {
    url: url.href,
    finish: (callback: URL) => client.authorizationCodeGrant(oidc, callback, { pkceCodeVerifier: verifier, expectedState: state }),
  };
}

/** weunion: through the hosted login page and S2; returns the browser (logged in) and the tokens. */
async function weunionLogin(target: Weunion, browser: Browser, scope: string) {
  const i = counter++;
  const headers = { 'x-forwarded-for': ipOf(i) };
  const request = await authorize(target.oidc, scope);
  let url = request.url;
  let returnTo = '';
  for (let hop = 0; hop < 6 && returnTo === ''; hop++) {
    const response = await browser.fetch(url, { headers });
    await response.body?.cancel();
    url = new URL(response.headers.get('location') ?? '', url).href;
    if (new URL(url).pathname === '/login') returnTo = new URL(url).searchParams.get('returnTo') ?? '';
  }
  const s2 = await browser.fetch(`${target.url}/login/s2?${new URLSearchParams({ returnTo })}`, { headers });
  const allowed = await control('/actions/authorize', {
    personId: people[i % people.length],
    url: s2.headers.get('location'),
    decision: 'allow',
  });
  return request.finish(await follow(browser, z.string().parse(allowed.redirect), headers));
}

async function loggedInLogin(oidc: client.Configuration, browser: Browser) {
  const request = await authorize(oidc, 'openid profile');
  return request.finish(await follow(browser, request.url, { 'x-forwarded-for': ipOf(counter++) }));
}

async function floorLogin(browser: Browser, scope: string) {
  const request = await authorize(floorOidcConfig, scope, scope.includes('offline_access') ? { prompt: 'consent' } : {});
  return request.finish(await follow(browser, request.url, {}));
}

async function s5Login(base: string) {
  const i = counter++;
  const code = z.string().parse((await control('/actions/js-login', { personId: people[i % people.length], appid: MP?.appid })).code);
  const response = await fetch(`${base}/api/mp/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ipOf(i) },
    body: JSON.stringify({ appid: MP?.appid, code }),
  });
  if (response.status !== 200) throw new Error(`S5 login at ${base} answered ${response.status}: ${await response.text()}`);
  await response.body?.cancel();
}

async function s2Login(base: string) {
  const i = counter++;
  const headers = { 'x-forwarded-for': ipOf(i) };
  const browser = new Browser();
  const startResponse = await browser.fetch(`${base}/login/s2?returnTo=/bench`, { headers });
  const allowed = await control('/actions/authorize', {
    personId: people[i % people.length],
    url: startResponse.headers.get('location'),
    decision: 'allow',
  });
  const back = await browser.fetch(z.string().parse(allowed.redirect), { headers });
  if (back.headers.get('location') !== '/bench') throw new Error(`S2 login ended at ${back.headers.get('location')}`);
}

/** Runs `login` `count` times, `concurrency` at once; CPU per login (ms) of `pid` and logins/s. */
async function measure(pid: number, count: number, login: (slot: number) => Promise<unknown>) {
  let next = 0;
  const cpuBefore = cpuMs(pid);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, slot) => {
      while (next < count) {
        next++;
        await login(slot);
      }
    }),
  );
  const wall = (performance.now() - started) / 1000;
  return { cpuPerLogin: (cpuMs(pid) - cpuBefore) / count, rate: count / wall };
}

interface FlowRun {
  name: string;
  count: number;
  weunion: (slot: number) => Promise<unknown>;
  floor?: (slot: number) => Promise<unknown>;
  floorPid?: number;
}

// Logged-in browsers and refresh-token chains, one per concurrent slot.
const floorBrowsers: Browser[] = [];
const floorRefresh: string[] = [];
for (let slot = 0; slot < concurrency; slot++) {
  for (const target of other === undefined ? [main] : [main, other]) {
    const browser = new Browser();
    await weunionLogin(target, browser, 'openid profile');
    target.browsers.push(browser);
    target.chains.push((await weunionLogin(target, new Browser(), 'openid profile offline_access')).refresh_token ?? '');
  }
  if (other !== undefined) continue;
  const fb = new Browser();
  await floorLogin(fb, 'openid profile');
  floorBrowsers.push(fb);
  floorRefresh.push((await floorLogin(new Browser(), 'openid profile offline_access')).refresh_token ?? '');
}
const refresh = async (oidc: client.Configuration, chains: string[], slot: number) => {
  const tokens = await client.refreshTokenGrant(oidc, chains[slot] ?? '');
  chains[slot] = tokens.refresh_token ?? '';
};

const n = (base: number) => Math.max(concurrency, Math.round(base * scale));
const flowsOf = (target: Weunion) => ({
  oidc: () => weunionLogin(target, new Browser(), 'openid profile'),
  'oidc-logged-in': (slot: number) => loggedInLogin(target.oidc, target.browsers[slot] ?? new Browser()),
  refresh: (slot: number) => refresh(target.oidc, target.chains, slot),
  s5: () => s5Login(target.url),
  s2: () => s2Login(target.url),
});
const ours = flowsOf(main);
const floors =
  other === undefined
    ? {
        oidc: { login: () => floorLogin(new Browser(), 'openid profile'), pid: floorOidc.pid },
        'oidc-logged-in': {
          login: (slot: number) => loggedInLogin(floorOidcConfig, floorBrowsers[slot] ?? new Browser()),
          pid: floorOidc.pid,
        },
        refresh: { login: (slot: number) => refresh(floorOidcConfig, floorRefresh, slot), pid: floorOidc.pid },
        s5: { login: () => s5Login(floorS5Url), pid: floorS5.pid },
        s2: undefined,
      }
    : Object.fromEntries(Object.entries(flowsOf(other)).map(([name, login]) => [name, { login, pid: against?.pid }]));
const allRuns: FlowRun[] = (
  [
    ['oidc', n(150)],
    ['oidc-logged-in', n(300)],
    ['refresh', n(500)],
    ['s5', n(500)],
    ['s2', n(500)],
  ] as const
).map(([name, count]) => ({ name, count, weunion: ours[name], floor: floors[name]?.login, floorPid: floors[name]?.pid }));
const runs = allRuns.filter((run) => flows.has(run.name));

const serverPid = server.pid ?? 0;
// Warm-up (JIT, pools, WeChat token caches): a fifth of each flow, not counted.
for (const run of runs) {
  await measure(serverPid, Math.ceil(run.count / 5), run.weunion);
  if (run.floor !== undefined) await measure(run.floorPid ?? 0, Math.ceil(run.count / 5), run.floor);
}

if (values['count-sql']) {
  const snapshot = async () => {
    rmSync(countFile, { force: true });
    process.kill(serverPid, 'SIGUSR2');
    for (let i = 0; i < 100; i++) {
      try {
        const counted = z.array(z.tuple([z.string(), z.number()]));
        const parsed = z.object({ run: counted, prepared: counted, micros: counted, cpuMicros: counted });
        const read = parsed.parse(JSON.parse(readFileSync(countFile, 'utf8')));
        return {
          run: new Map(read.run),
          prepared: new Map(read.prepared),
          micros: new Map(read.micros),
          cpuMicros: new Map(read.cpuMicros),
        };
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    throw new Error('the server wrote no SQL counts');
  };
  const logins = 200;
  for (const run of runs) {
    const before = await snapshot();
    await measure(serverPid, logins, run.weunion);
    const after = await snapshot();
    const diff = (kind: 'run' | 'prepared' | 'micros' | 'cpuMicros') =>
      [...after[kind]].map(([sql, count]) => [sql, (count - (before[kind].get(sql) ?? 0)) / logins] as const).filter(([, c]) => c > 0);
    const ran = diff('run');
    const byFile = new Map<string, number>();
    for (const [key, count] of ran) byFile.set(key.split('\t')[0] ?? '', (byFile.get(key.split('\t')[0] ?? '') ?? 0) + count);
    const preparedCount = diff('prepared').reduce((sum, [, c]) => sum + c, 0);
    const micros = new Map(diff('micros'));
    const cpuMicros = new Map(diff('cpuMicros'));
    const total = (map: Map<string, number>) => [...map.values()].reduce((sum, m) => sum + m, 0);
    console.log(
      `${run.name}: per login ${[...byFile].map(([file, c]) => `${c.toFixed(1)} statements on ${file}`).join(', ')}; ${preparedCount.toFixed(1)} prepared; in SQLite ${total(micros).toFixed(0)} µs, of which CPU ${total(cpuMicros).toFixed(0)} µs`,
    );
    console.log('  count   wall µs  CPU µs  statement');
    for (const [key, count] of ran.sort((a, b) => b[1] - a[1]).slice(0, 25)) {
      const figures = `${(micros.get(key) ?? 0).toFixed(0).padStart(8)} ${(cpuMicros.get(key) ?? 0).toFixed(0).padStart(7)}`;
      console.log(`  ${count.toFixed(1).padStart(5)}× ${figures}  ${key.replace('\t', ': ').slice(0, 150)}`);
    }
  }
  process.exit(0);
}

type Sample = { weunion: { cpuPerLogin: number; rate: number }; floor?: { cpuPerLogin: number; rate: number } };
const samples = new Map<string, Sample[]>(runs.map((run) => [run.name, []]));
const load: number[] = [];
for (let round = 0; round < repeat; round++) {
  load.push(loadavg()[0] ?? 0);
  for (const run of runs) {
    // weunion and its floor take turns in slices, so that a slower spell of the machine (other work,
    // a neighbour on the host) weighs on both alike instead of on whichever ran during it.
    const weunion = { cpu: 0, seconds: 0 };
    const floor = { cpu: 0, seconds: 0 };
    const slices = run.floor === undefined ? 1 : SLICES;
    for (let slice = 0; slice < slices; slice++) {
      const count = Math.round((run.count * (slice + 1)) / slices) - Math.round((run.count * slice) / slices);
      const w = await measure(serverPid, count, run.weunion);
      weunion.cpu += w.cpuPerLogin * count;
      weunion.seconds += count / w.rate;
      if (run.floor !== undefined) {
        const f = await measure(run.floorPid ?? 0, count, run.floor);
        floor.cpu += f.cpuPerLogin * count;
        floor.seconds += count / f.rate;
      }
    }
    const result = (m: { cpu: number; seconds: number }) => ({ cpuPerLogin: m.cpu / run.count, rate: run.count / m.seconds });
    samples
      .get(run.name)
      ?.push(run.floor === undefined ? { weunion: result(weunion) } : { weunion: result(weunion), floor: result(floor) });
  }
}

const median = (list: number[]) => {
  const sorted = [...list].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
const spread = (list: number[], digits: number) => `${Math.min(...list).toFixed(digits)}–${Math.max(...list).toFixed(digits)}`;

console.log(
  `storage: ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'SQLite'} + ${process.env.REDIS_URL ? 'Redis' : 'SQLite state file'}; ` +
    `${repeat} rounds, concurrency ${concurrency}; load average (1 min) at each round: ${load.map((l) => l.toFixed(1)).join(', ')}` +
    (values['durable-floor'] ? '; the OIDC floor keeps its models in SQLite (--durable-floor)' : ''),
);
const them = other === undefined ? 'floor' : `--against`;
console.log(
  `| flow | logins per round | CPU/login weunion (ms) | CPU/login ${them} (ms) | ratio, median (spread) | weunion logins/s | ${them} logins/s |`,
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const run of runs) {
  const list = samples.get(run.name) ?? [];
  const w = list.map((s) => s.weunion.cpuPerLogin);
  const f = list.flatMap((s) => (s.floor === undefined ? [] : [s.floor.cpuPerLogin]));
  const ratios = list.flatMap((s) => (s.floor === undefined ? [] : [s.weunion.cpuPerLogin / s.floor.cpuPerLogin]));
  const wRate = list.map((s) => s.weunion.rate);
  const fRate = list.flatMap((s) => (s.floor === undefined ? [] : [s.floor.rate]));
  console.log(
    `| ${run.name} | ${run.count} | ${median(w).toFixed(2)} | ${f.length === 0 ? '—' : median(f).toFixed(2)} | ${
      ratios.length === 0 ? '—' : `${median(ratios).toFixed(2)}× (${spread(ratios, 2)})`
    } | ${median(wRate).toFixed(0)} | ${fRate.length === 0 ? '—' : median(fRate).toFixed(0)} |`,
  );
}
// A profiled server (and the profiled OIDC floor, in <dir>/floor) writes its profile when it exits.
const exited = (child: ChildProcess) => new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
server.kill('SIGTERM');
floorOidc.kill('SIGTERM');
await Promise.all([exited(server), exited(floorOidc)]);
process.exit(0);

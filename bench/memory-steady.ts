/**
 * Benchmark: does the service's memory stay flat under steady logins? Runs `weunion serve` (a
 * child process, as `npm start` runs it) against a standalone WeChat sandbox (its own process, so
 * its emulated world is not counted) and drives a steady mix of S5 mini program logins and
 * complete OIDC logins (authorization code through the hosted page and S2, code exchanged for
 * tokens) — every login a new session, as real traffic makes them. After a warm-up it samples the
 * resident memory (RSS) of the serving process(es) every 10 s, and reads the server's own GC trace
 * (`--trace-gc`): the heap that is still live after each full (mark-compact) collection is what a
 * leak would make grow, while RSS between collections saws up and down with V8's heap sizing. It
 * prints both: RSS first/last/peak and each minute's floor, and the live heap after full GCs. Embedded storage unless DATABASE_URL (PostgreSQL: give a
 * database of its own, it is migrated and written to) and REDIS_URL are set.
 *
 * Run by hand, not in CI (Node 24):
 *
 *   node bench/memory-steady.ts [--warmup 60] [--seconds 300] [--concurrency 4] [--people 2000] [--workers 1]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as client from 'openid-client';
import { z } from 'zod';
import { DEMO_APPS } from '../packages/sandbox/src/index.ts';
import { Browser } from '../packages/server/src/login/test-harness.ts';
import { freePort } from '../packages/server/src/testing/free-port.ts';
import { setUpBenchApplication } from './operator-setup.ts';
import { rssMb, serverEnv, waitFor } from './processes.ts';

const { values } = parseArgs({
  options: {
    warmup: { type: 'string', default: '60' },
    seconds: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '4' },
    people: { type: 'string', default: '2000' },
    workers: { type: 'string', default: '1' },
  },
});
const warmupMs = Number(values.warmup) * 1000;
const measureMs = Number(values.seconds) * 1000;
const concurrency = Number(values.concurrency);
const peopleCount = Number(values.people);
const cli = path.join(import.meta.dirname, '../packages/server/src/cli.ts');
const REDIRECT = 'http://127.0.0.1:9/callback';
const MP = DEMO_APPS.find((a) => a.key === 'miniProgram');
if (MP === undefined) throw new Error('no demo mini program');

const dir = mkdtempSync(path.join(tmpdir(), 'weunion-bench-memory-'));
const sandboxPort = await freePort();
const serverPort = await freePort();
const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
const serverUrl = `http://127.0.0.1:${serverPort}`;
const env = serverEnv({ port: serverPort, dataDir: dir, sandboxUrl, workers: values.workers, redisPrefix: `bench-memory-${process.pid}:` });

const children: ChildProcess[] = [];
const stop = () => {
  for (const child of children) child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
};
process.once('exit', stop);

try {
  const sandbox = spawn(process.execPath, [cli, 'sandbox', '--port', String(sandboxPort), '--callback-base-url', serverUrl], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(sandbox);
  await waitFor(`${sandboxUrl}/_sandbox`, sandbox);

  // What an operator sets up once: the demo connections and an OIDC application.
  const { clientId, clientSecret } = await setUpBenchApplication(env, REDIRECT);

  // Workers of a group inherit the flag (node:cluster forks with the primary's execArgv).
  const server = spawn(process.execPath, ['--trace-gc', cli, 'serve'], { stdio: ['ignore', 'pipe', 'inherit'], env });
  children.push(server);
  /**
   * After each full collection: the live heap, the heap V8 keeps committed (MB), and the RSS read
   * right then — RSS compared at the same point of the GC cycle, where the sawtooth is at its foot.
   */
  const fullGcs: { at: number; liveMb: number; committedMb: number; rssMb: number }[] = [];
  let gcBuffer = '';
  server.stdout?.on('data', (chunk: Buffer) => {
    gcBuffer += chunk.toString();
    const lines = gcBuffer.split('\n');
    gcBuffer = lines.pop() ?? '';
    for (const line of lines) {
      const match = /Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \(([\d.]+)\) MB/.exec(line);
      if (match !== null) {
        fullGcs.push({ at: performance.now(), liveMb: Number(match[1]), committedMb: Number(match[2]), rssMb: rssMb(server.pid ?? 0) });
      }
    }
  });
  await waitFor(`${serverUrl}/healthz`, server);
  const serverPid = server.pid ?? 0;

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
  for (let i = 0; i < peopleCount; i++) people.push(z.string().parse((await control('/people', { nickname: `Bench ${i}` })).id));

  const oidc = await client.discovery(new URL(serverUrl), clientId, clientSecret, undefined, {
    execute: [client.allowInsecureRequests],
  });
  let index = 0;
  const ipOf = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

  const s5Login = async (i: number) => {
    const code = z.string().parse((await control('/actions/js-login', { personId: people[i % people.length], appid: MP.appid })).code);
    const response = await fetch(`${serverUrl}/api/mp/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ipOf(i) },
      body: JSON.stringify({ appid: MP.appid, code }),
    });
    if (response.status !== 200) throw new Error(`S5 login answered ${response.status}: ${await response.text()}`);
  };

  const oidcLogin = async (i: number) => {
    const browser = new Browser();
    const headers = { 'x-forwarded-for': ipOf(i) };
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const authorizationUrl = client.buildAuthorizationUrl(oidc, {
      redirect_uri: REDIRECT,
      scope: 'openid profile',
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    let url = authorizationUrl.href;
    let returnTo = '';
    for (let hop = 0; hop < 6 && returnTo === ''; hop++) {
      const response = await browser.fetch(url, { headers });
      await response.body?.cancel();
      url = new URL(response.headers.get('location') ?? '', url).href;
      if (new URL(url).pathname === '/login') returnTo = new URL(url).searchParams.get('returnTo') ?? '';
    }
    const s2 = await browser.fetch(`${serverUrl}/login/s2?${new URLSearchParams({ returnTo })}`, { headers });
    const allowed = await control('/actions/authorize', {
      personId: people[i % people.length],
      url: s2.headers.get('location'),
      decision: 'allow',
    });
    url = z.string().parse(allowed.redirect);
    for (let hop = 0; hop < 10 && !url.startsWith(REDIRECT); hop++) {
      const response = await browser.fetch(url, { headers });
      await response.body?.cancel();
      const next = response.headers.get('location');
      if (next === null) throw new Error(`OIDC login stuck at ${url} (${response.status})`);
      url = new URL(next, url).href;
    }
    await client.authorizationCodeGrant(oidc, new URL(url), { pkceCodeVerifier: verifier, expectedState: state });
  };

  let logins = 0;
  let running = true;
  // S5 logins of one mini program are limited per appid (5,000 a minute, mp/limits.ts): the S5
  // loops keep under 4,000 a minute, as one busy mini program would, instead of meeting the 429.
  const S5_PER_SECOND = 4_000 / 60;
  const s5Started = performance.now();
  let s5Logins = 0;
  const paceS5 = async () => {
    const due = s5Started + (s5Logins / S5_PER_SECOND) * 1000;
    s5Logins++;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  };
  const loops = Array.from({ length: concurrency }, async (_, loop) => {
    while (running) {
      const i = index++;
      if (loop % 2 === 0) {
        await paceS5();
        await s5Login(i);
      } else {
        await oidcLogin(i);
      }
      logins++;
    }
  });

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  await Promise.race([sleep(warmupMs), ...loops]);
  const warmLogins = logins;
  const samples: { at: number; rss: number; logins: number }[] = [];
  const started = performance.now();
  const gcsBefore = fullGcs.length;
  while (performance.now() - started < measureMs) {
    samples.push({ at: (performance.now() - started) / 1000, rss: rssMb(serverPid), logins: logins - warmLogins });
    await Promise.race([sleep(10_000), ...loops]);
  }
  samples.push({ at: (performance.now() - started) / 1000, rss: rssMb(serverPid), logins: logins - warmLogins });
  running = false;
  await Promise.all(loops);

  const first = samples[0];
  const last = samples.at(-1);
  if (first === undefined || last === undefined) throw new Error('no samples');
  const peak = Math.max(...samples.map((s) => s.rss));
  const stateFile = path.join(dir, 'weunion-state.db');
  const stateBytes = ['', '-wal'].reduce((sum, suffix) => {
    try {
      return sum + statSync(stateFile + suffix).size;
    } catch {
      return sum;
    }
  }, 0);
  console.log(
    `storage: ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'SQLite'} + ${process.env.REDIS_URL ? 'Redis' : 'SQLite state file'}; workers: ${values.workers}`,
  );
  console.log(
    `warm-up: ${values.warmup} s, ${warmLogins} logins; measured: ${(last.at).toFixed(0)} s, ${last.logins} logins (${(last.logins / last.at).toFixed(1)}/s, S5 and OIDC alternating)`,
  );
  console.log(`RSS samples (MB, every 10 s): ${samples.map((s) => s.rss.toFixed(0)).join(' ')}`);
  console.log(
    `RSS after warm-up ${first.rss.toFixed(1)} MB → end ${last.rss.toFixed(1)} MB (${(((last.rss - first.rss) / first.rss) * 100).toFixed(1)} %), peak ${peak.toFixed(1)} MB (${(((peak - first.rss) / first.rss) * 100).toFixed(1)} % over the first sample)`,
  );
  const floors: number[] = [];
  for (let minute = 0; minute * 60 < last.at; minute++) {
    const inMinute = samples.filter((s) => s.at >= minute * 60 && s.at < (minute + 1) * 60).map((s) => s.rss);
    if (inMinute.length > 0) floors.push(Math.min(...inMinute));
  }
  console.log(`RSS floor per minute (MB): ${floors.map((f) => f.toFixed(0)).join(' ')}`);
  // A sawtooth's phase decides any two single samples; the means of the two halves of the run
  // (each longer than a GC cycle here) compare like with like.
  const mean = (list: { rss: number }[]) => list.reduce((sum, s) => sum + s.rss, 0) / list.length;
  const half = Math.floor(samples.length / 2);
  const firstHalf = mean(samples.slice(0, half));
  const secondHalf = mean(samples.slice(samples.length - half));
  console.log(
    `mean RSS: first half ${firstHalf.toFixed(1)} MB → second half ${secondHalf.toFixed(1)} MB (${(((secondHalf - firstHalf) / firstHalf) * 100).toFixed(1)} %)`,
  );
  const measured = fullGcs.slice(gcsBefore);
  const measuredGcs = measured.map((g) => g.liveMb);
  if (measuredGcs.length > 0) {
    const rssAfter = measured.map((g) => g.rssMb);
    console.log(`heap V8 keeps committed after each full GC (MB): ${measured.map((g) => g.committedMb.toFixed(0)).join(' ')}`);
    console.log(`RSS right after each full GC (MB): ${rssAfter.map((r) => r.toFixed(0)).join(' ')}`);
    console.log(
      `RSS after full GC: first ${rssAfter[0]?.toFixed(1)} MB → last ${rssAfter.at(-1)?.toFixed(1)} MB (${((((rssAfter.at(-1) ?? 0) - (rssAfter[0] ?? 0)) / (rssAfter[0] ?? 1)) * 100).toFixed(1)} %)`,
    );
    const firstLive = measuredGcs[0] ?? Number.NaN;
    const lastLive = measuredGcs.at(-1) ?? Number.NaN;
    console.log(
      `live heap after each full GC (MB, ${measuredGcs.length} collections${Number(values.workers) > 1 ? ', all workers' : ''}): ${measuredGcs.map((m) => m.toFixed(0)).join(' ')}`,
    );
    console.log(
      `live heap after full GC: first ${firstLive.toFixed(1)} MB → last ${lastLive.toFixed(1)} MB (${(((lastLive - firstLive) / firstLive) * 100).toFixed(1)} %), max ${Math.max(...measuredGcs).toFixed(1)} MB`,
    );
  }
  if (stateBytes > 0) console.log(`state file on disk: ${(stateBytes / 1024 / 1024).toFixed(1)} MB`);
} finally {
  stop();
}

/**
 * Benchmark: cold start of `weunion serve` (embedded: SQLite + the state file, WeChat sandbox off)
 * until `/healthz` answers — the time from spawning the process to the first 200. Each run gets a
 * fresh data folder the first time (migrations, master key, first signing key) and the same folder
 * after (an ordinary restart); both are reported, as median and spread of `--runs` runs each,
 * with the CPU time the process used until then (what a loaded machine does not change much).
 *
 * Run by hand, not in CI (Node 24):
 *
 *   node bench/cold-start.ts [--runs 5]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../packages/server/src/testing/free-port.ts';
import { cpuMs } from './processes.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
const cli = path.join(import.meta.dirname, '../packages/server/src/cli.ts');

/** Spawns `weunion serve` on `dataDir`; the ms until /healthz answered 200, and the CPU ms the process used until then. */
async function startOnce(dataDir: string): Promise<{ wall: number; cpu: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [cli, 'serve'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATA_DIR: dataDir,
      SANDBOX: 'off',
      WORKERS: '1',
      LOG_LEVEL: 'warn',
    },
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`weunion exited (${child.exitCode}) before /healthz answered`);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (response.status === 200) return { wall: performance.now() - started, cpu: cpuMs(child.pid ?? 0) };
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? Number.NaN;
const fresh: { wall: number; cpu: number }[] = [];
const restart: { wall: number; cpu: number }[] = [];
for (let i = 0; i < runs; i++) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'weunion-cold-'));
  try {
    fresh.push(await startOnce(dataDir));
    restart.push(await startOnce(dataDir));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
const range = (list: number[]) => `${median(list).toFixed(0)} ms (${Math.min(...list).toFixed(0)}–${Math.max(...list).toFixed(0)})`;
const show = (list: { wall: number; cpu: number }[]) => `${range(list.map((r) => r.wall))}; CPU ${range(list.map((r) => r.cpu))}`;
console.log(`cold start to /healthz, SQLite, ${runs} runs, load average ${loadavg()[0]?.toFixed(1)}:`);
console.log(`  first start (empty data folder): ${show(fresh)}`);
console.log(`  restart (existing data folder):  ${show(restart)}`);

/**
 * Loaded with `node --import` into a server by `npm run bench -- --count-sql`: counts every SQL
 * statement better-sqlite3 runs (and the wall and CPU time it took), by database file and SQL text, and writes the counts to
 * $SQL_COUNT_FILE (JSON) on SIGUSR2. Not for production: it wraps every statement call.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(import.meta.dirname, '../packages/server/package.json'));
const SQLite = require('better-sqlite3') as typeof import('better-sqlite3');
const counts = new Map<string, number>();
/** Time spent running each statement, in µs: wall clock, and this thread's CPU. */
const micros = new Map<string, number>();
const cpuMicros = new Map<string, number>();
const threadCpu = () => {
  const usage = process.threadCpuUsage();
  return usage.user + usage.system;
};
const prepared = new Map<string, number>();
let patched = false;

const prepare = SQLite.prototype.prepare;
SQLite.prototype.prepare = function countingPrepare(this: import('better-sqlite3').Database, source: string) {
  const statement = prepare.call(this, source);
  const key = `${path.basename(this.name)}\t${source}`;
  prepared.set(key, (prepared.get(key) ?? 0) + 1);
  if (!patched) {
    patched = true;
    const proto = Object.getPrototypeOf(statement) as Record<string, (...args: unknown[]) => unknown>;
    for (const method of ['run', 'get', 'all', 'iterate'] as const) {
      const original = proto[method];
      if (original === undefined) continue;
      proto[method] = function countingCall(this: { source: string; database: { name: string } }, ...args: unknown[]) {
        const name = `${path.basename(this.database.name)}\t${this.source}`;
        counts.set(name, (counts.get(name) ?? 0) + 1);
        const started = process.hrtime.bigint();
        const cpuStarted = threadCpu();
        try {
          return original.apply(this, args);
        } finally {
          micros.set(name, (micros.get(name) ?? 0) + Number(process.hrtime.bigint() - started) / 1000);
          cpuMicros.set(name, (cpuMicros.get(name) ?? 0) + threadCpu() - cpuStarted);
        }
      };
    }
  }
  return statement;
} as typeof prepare;

process.on('SIGUSR2', () => {
  writeFileSync(
    process.env.SQL_COUNT_FILE ?? 'sql-counts.json',
    JSON.stringify({ run: [...counts], prepared: [...prepared], micros: [...micros], cpuMicros: [...cpuMicros] }),
  );
});

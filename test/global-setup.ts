import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

const CONSOLE = path.resolve(import.meta.dirname, '../packages/console');
const CONSOLE_SOURCES = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json'];

/** Once per run: the console build is current, and which scale-out suites run is said. */
export default function globalSetup(): void {
  buildConsoleWhenStale();
  reportScaleOutSuites();
}

function newestChange(file: string): number {
  if (!existsSync(file)) return 0;
  const stat = statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(file).map((name) => newestChange(path.join(file, name))));
}

/**
 * Tests drive the console as `npm start` serves it, from packages/console/dist: rebuild it when any
 * source is newer. The build goes to a fresh folder that then replaces dist, so another run serving
 * the old build never sees a half-written one.
 */
function buildConsoleWhenStale(): void {
  const dist = path.join(CONSOLE, 'dist');
  const built = newestChange(path.join(dist, 'index.html'));
  const changed = Math.max(...CONSOLE_SOURCES.map((name) => newestChange(path.join(CONSOLE, name))));
  if (built > changed) return;
  const fresh = path.join(CONSOLE, `dist.build-${process.pid}`);
  const old = path.join(CONSOLE, `dist.old-${process.pid}`);
  console.log('[weunion] console sources changed: building packages/console');
  execFileSync(
    process.execPath,
    [path.resolve(CONSOLE, '../../node_modules/vite/bin/vite.js'), 'build', '--outDir', fresh, '--logLevel', 'warn'],
    // Vitest sets NODE_ENV=test, which would give React's development build.
    { cwd: CONSOLE, env: { ...process.env, NODE_ENV: 'production' }, stdio: 'inherit' },
  );
  if (existsSync(dist)) renameSync(dist, old);
  renameSync(fresh, dist);
  rmSync(old, { recursive: true, force: true });
}

/** Says which scale-out suites run and which are skipped for want of a server. */
function reportScaleOutSuites(): void {
  const missing = [
    process.env.DATABASE_URL?.startsWith('postgres') ? undefined : 'PostgreSQL (set DATABASE_URL=postgres://…)',
    process.env.REDIS_URL ? undefined : 'Redis (set REDIS_URL=redis://…)',
  ].filter((x) => x !== undefined);
  if (missing.length === 0) {
    console.log('[weunion] scale-out suites: running against PostgreSQL and Redis');
  } else {
    console.log(`[weunion] scale-out suites SKIPPED for: ${missing.join(', ')}. Embedded-mode suites run in full.`);
  }
}

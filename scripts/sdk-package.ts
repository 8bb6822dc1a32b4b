/**
 * Builds and packs the packages weunion publishes to npm (the SDKs, `@weunion/management-api`,
 * `@weunion/login-element`). Run from a package folder, as its npm scripts do:
 *
 *   npm run build -w @weunion/sdk-node     → packages/sdk-node/dist: ES2022 JavaScript + .d.ts
 *   npm run package -w @weunion/sdk-node   → the npm tarball, in the folder npm runs in (`-- --destination DIR`)
 *   npm run release -w @weunion/sdk-node   → `npm publish` of that same staged package
 *
 * Why a staged package: inside the monorepo every package exports its TypeScript sources
 * (`./src/index.ts`), so the server, the console and the tests run them directly under Node 24's
 * type stripping with no build step. The published package must export `./dist/*.js` and
 * `./dist/*.d.ts` instead. npm, unlike pnpm, does not apply `publishConfig.exports` (npm/cli#7586),
 * and rewriting package.json in prepack/postpack leaves the registry's metadata out of step with
 * the tarball (`npm publish` re-reads package.json after postpack). So the published manifest is
 * the source one with `publishConfig`'s package fields applied (pnpm's meaning), written with
 * `dist/` and the README into a temporary folder that is packed: the tarball and the registry see
 * one manifest. The source manifest is `private` and its `prepack` refuses, so a plain `npm pack`
 * or `npm publish` in the package folder cannot ship the TypeScript form by mistake.
 *
 * `weunionPack.vendor` lists imports of monorepo-only modules that are compiled into
 * `dist/vendor/` (management-api uses the list of WeChat app types from `@weunion/wechat`, whose
 * package is the server's protocol client and is not published); the dependency is dropped from
 * the published manifest.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const TSC = path.resolve(import.meta.dirname, '../node_modules/typescript/bin/tsc');

/** publishConfig keys that are npm settings (kept in publishConfig), not package fields. */
const NPM_SETTINGS = new Set(['access', 'registry', 'tag', 'provenance']);

const manifestSchema = z.looseObject({
  name: z.string(),
  version: z.string(),
  scripts: z.record(z.string(), z.string()).optional(),
  dependencies: z.record(z.string(), z.string()).optional(),
  publishConfig: z.record(z.string(), z.unknown()).optional(),
  weunionPack: z
    .object({
      /** false: the sources are already JavaScript with declarations (login-element). */
      build: z.boolean().optional(),
      /** import specifier → the monorepo source compiled into dist/vendor/. */
      vendor: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
});
type Manifest = z.infer<typeof manifestSchema>;

function readManifest(dir: string): Manifest {
  return manifestSchema.parse(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

function replaceInFiles(dir: string, test: (file: string) => boolean, replace: (code: string, file: string) => string): void {
  for (const file of filesUnder(dir).filter(test)) {
    const code = readFileSync(file, 'utf8');
    const changed = replace(code, file);
    if (changed !== code) writeFileSync(file, changed);
  }
}

const RELATIVE_TS = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\.ts\2/g;

/**
 * tsc emits into `outDir` (the package's dist/ unless another folder is given, as for the sample
 * mini program's copy); returns the files written, relative to `outDir`.
 */
export function buildPackage(dir: string, outDir = path.join(dir, 'dist')): string[] {
  const manifest = readManifest(dir);
  if (manifest.weunionPack?.build === false) return [];
  const dist = path.resolve(outDir);
  rmSync(dist, { recursive: true, force: true });
  execFileSync(process.execPath, [TSC, '-p', path.join(dir, 'tsconfig.build.json'), '--outDir', dist], { stdio: 'inherit' });
  // tsc rewrites `./x.ts` to `./x.js` in the JavaScript (rewriteRelativeImportExtensions) but not in
  // the declarations; TypeScript before 5.0 refuses a `.ts` extension there, `./x.js` suits all.
  replaceInFiles(
    dist,
    (file) => file.endsWith('.d.ts'),
    (code) => code.replace(RELATIVE_TS, '$1$2$3.js$2'),
  );
  for (const [specifier, source] of Object.entries(manifest.weunionPack?.vendor ?? {})) vendor(dir, dist, specifier, source);
  return filesUnder(dist).map((file) => path.relative(dist, file));
}

/** Compiles one monorepo module into dist/vendor/ and points the imports of it there. */
function vendor(dir: string, dist: string, specifier: string, source: string): void {
  const out = path.join(dist, 'vendor');
  const args = [
    '--ignoreConfig',
    '--declaration',
    '--target',
    'es2022',
    '--module',
    'nodenext',
    '--skipLibCheck',
    '--types',
    '',
    '--outDir',
    out,
  ];
  execFileSync(process.execPath, [TSC, ...args, path.resolve(dir, source)], { stdio: 'inherit' });
  const target = path.join(out, path.basename(source).replace(/\.ts$/, '.js'));
  const quoted = new RegExp(`(['"])${specifier.replace(/[/.*+?^${}()|[\]\\]/g, '\\$&')}\\1`, 'g');
  replaceInFiles(
    dist,
    (file) => /\.(?:js|d\.ts)$/.test(file) && !file.startsWith(out),
    (code, file) => {
      const relative = path.relative(path.dirname(file), target).split(path.sep).join('/');
      return code.replace(quoted, `$1${relative.startsWith('.') ? relative : `./${relative}`}$1`);
    },
  );
}

/** The manifest npm gets: publishConfig's package fields applied, monorepo-only fields removed. */
export function publishedManifest(manifest: Manifest): Record<string, unknown> {
  const { publishConfig = {}, weunionPack, scripts: _scripts, private: _private, ...fields } = manifest;
  const published: Record<string, unknown> = { ...fields };
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(publishConfig)) {
    if (NPM_SETTINGS.has(key)) settings[key] = value;
    else published[key] = value;
  }
  const vendored = Object.keys(weunionPack?.vendor ?? {});
  const dependencies = Object.entries(manifest.dependencies ?? {}).filter(
    ([name]) => !vendored.some((specifier) => specifier === name || specifier.startsWith(`${name}/`)),
  );
  if (manifest.dependencies !== undefined) published.dependencies = Object.fromEntries(dependencies);
  if (Object.keys(settings).length > 0) published.publishConfig = settings;
  return published;
}

/** Builds and stages the published form in a temporary folder, then hands that folder to `run` (npm pack or publish). */
function withStagedPackage<T>(dir: string, run: (staged: string) => T): T {
  const manifest = readManifest(dir);
  const staged = mkdtempSync(path.join(tmpdir(), 'weunion-pack-'));
  try {
    // Built straight into the staged folder: packing never rewrites the package's own dist/.
    buildPackage(dir, path.join(staged, 'dist'));
    writeFileSync(path.join(staged, 'package.json'), `${JSON.stringify(publishedManifest(manifest), null, 2)}\n`);
    for (const name of ['README.md', 'LICENSE', ...(manifest.weunionPack?.build === false ? ['src'] : [])]) {
      if (existsSync(path.join(dir, name))) cpSync(path.join(dir, name), path.join(staged, name), { recursive: true });
    }
    return run(staged);
  } finally {
    rmSync(staged, { recursive: true, force: true });
  }
}

/** The environment for npm on the staged folder: not the workspace selection of the `npm run` that started us. */
function npmEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_config_(?:workspaces?|include_workspace_root)$/i.test(key)),
  );
}

/** Packs the published form into `destination`; returns the tarball's path. */
export function packPackage(dir: string, destination: string): string {
  return withStagedPackage(dir, (staged) => {
    const output = execFileSync('npm', ['pack', staged, '--pack-destination', destination, '--json', '--ignore-scripts'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      env: npmEnvironment(),
      cwd: staged,
    });
    const [packed] = z.array(z.object({ filename: z.string() })).parse(JSON.parse(output));
    if (packed === undefined) throw new Error(`npm pack wrote no tarball for ${dir}`);
    return path.join(destination, packed.filename);
  });
}

function main(argv: string[]): void {
  const [command, ...rest] = argv;
  const dir = process.cwd();
  if (command === 'build') {
    console.log(`built ${buildPackage(dir).length} files into ${path.relative(process.cwd(), path.join(dir, 'dist')) || 'dist'}`);
  } else if (command === 'pack') {
    // npm run starts scripts in the package folder; the tarball goes where npm was run (INIT_CWD).
    const flag = rest.indexOf('--destination');
    const here = process.env.INIT_CWD ?? dir;
    const destination = path.resolve(here, flag === -1 ? '.' : (rest[flag + 1] ?? '.'));
    console.log(packPackage(dir, destination));
  } else if (command === 'release') {
    withStagedPackage(dir, (staged) =>
      execFileSync('npm', ['publish', staged, ...rest], { stdio: 'inherit', env: npmEnvironment(), cwd: staged }),
    );
  } else if (command === 'refuse') {
    console.error(
      'This folder holds the TypeScript form of the package: run `npm run package` (a tarball) or `npm run release` (npm publish) in it instead.',
    );
    process.exitCode = 1;
  } else {
    console.error('usage: node scripts/sdk-package.ts build | pack [--destination DIR] | release [npm publish flags]');
    process.exitCode = 2;
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) main(process.argv.slice(2));

/**
 * `@weunion/sdk-miniprogram` as a mini program project gets it: the npm tarball installed in a
 * fresh project outside the monorepo. WeChat DevTools' "build npm" copies the folder named by the
 * manifest's `miniprogram` field; that folder is the same code as the sample mini program's
 * committed copy (examples/miniprogram/miniprogram_npm), a Taro app's TypeScript checks against
 * its declarations, and the installed package signs a person in (S5) through `wxFromTaro`.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { copyHeader, OUTPUT_DIR } from '../../packages/sdk-miniprogram/src/build/miniprogram-copy.ts';
import type * as Sdk from '../../packages/sdk-miniprogram/src/index.ts';
import { FakeTaro } from '../../packages/sdk-miniprogram/test/framework-fakes.ts';
import { WxShim } from '../../packages/sdk-miniprogram/test/wx-shim.ts';
import { demo, LoginWorld, storageModes } from '../../packages/server/src/login/test-harness.ts';
import { freshProject, packedTarballs, ROOT } from './tarballs.ts';

const MP = demo('miniProgram');
const embedded = storageModes.find((m) => m.name === 'embedded');

/** A Taro page's code; `Taro` is declared with the slice of @tarojs/taro's shape the SDK uses. */
const TARO_APP = `import { createWeunion, type LoginResult, WeunionError, wxFromTaro, type WxCompatible } from '@weunion/sdk-miniprogram';
declare const Taro: WxCompatible & { getAccountInfoSync(): { miniProgram: { appId: string } } };

const weunion = createWeunion({ baseUrl: 'https://id.example.com', appid: Taro.getAccountInfoSync().miniProgram.appId, wx: wxFromTaro(Taro) });
export async function signIn(): Promise<string> {
  try {
    const result: LoginResult = await weunion.login();
    return result.status === 'signed_in' ? result.userId : result.status;
  } catch (error) {
    if (error instanceof WeunionError && error.code === 'wx_login_failed') return 'retry';
    throw error;
  }
}
`;

const TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'es2022',
    module: 'esnext',
    moduleResolution: 'bundler',
    lib: ['es2022'],
    types: [],
    strict: true,
    noEmit: true,
  },
  include: ['app.ts'],
});

const manifestSchema = z.object({
  miniprogram: z.string(),
  exports: z.object({ '.': z.object({ types: z.string(), import: z.string() }) }),
});

describe('@weunion/sdk-miniprogram from its npm tarball', () => {
  let project: string;
  let installed: string;
  let manifest: z.infer<typeof manifestSchema>;
  let world: LoginWorld | undefined;

  beforeAll(async () => {
    const tarballs = await packedTarballs();
    project = freshProject([tarballs['sdk-miniprogram']], { 'app.ts': TARO_APP, 'tsconfig.json': TSCONFIG });
    installed = path.join(project, 'node_modules/@weunion/sdk-miniprogram');
    manifest = manifestSchema.parse(JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')));
    if (embedded !== undefined && !embedded.skip) world = await LoginWorld.start(embedded);
  });
  afterAll(async () => {
    await world?.close();
    if (project !== undefined) rmSync(project, { recursive: true, force: true });
  });

  it('DevTools’ "build npm" folder is dist/, the same code the sample mini program runs', () => {
    expect(manifest.miniprogram).toBe('dist');
    const published = readdirSync(path.join(installed, 'dist'))
      .filter((name) => name.endsWith('.js'))
      .sort();
    expect(published).toEqual(readdirSync(OUTPUT_DIR).sort());
    for (const name of published) {
      const sample = readFileSync(path.join(OUTPUT_DIR, name), 'utf8');
      expect(copyHeader(name) + readFileSync(path.join(installed, 'dist', name), 'utf8'), name).toBe(sample);
    }
  });

  it('a Taro app type-checks against the published declarations', () => {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project], { stdio: 'pipe' });
  });

  it.skipIf(embedded === undefined || embedded.skip)('the installed package signs a person in (S5) in a Taro-shaped app', async () => {
    // The package's own entry, as its exports name it: JavaScript, loaded without type stripping.
    const sdk = (await import(pathToFileURL(path.join(installed, manifest.exports['.'].import)).href)) as typeof Sdk;
    if (world === undefined) throw new Error('no weunion running');
    const taro = new FakeTaro(new WxShim(world, MP.appid, await world.person('Tian')));
    const weunion = sdk.createWeunion({ baseUrl: world.first.url, appid: MP.appid, wx: sdk.wxFromTaro(taro) });
    const result = await weunion.login();
    expect(result).toMatchObject({ status: 'signed_in', phoneSource: 'none' });
    taro.failNextLogin = true;
    const refusal = await weunion.login().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(sdk.WeunionError);
    expect(refusal).toMatchObject({ code: 'wx_login_failed' });
  });
});

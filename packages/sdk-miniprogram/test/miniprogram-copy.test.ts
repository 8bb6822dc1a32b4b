/**
 * The copy the sample mini program loads (`examples/miniprogram/miniprogram_npm/@weunion/sdk-miniprogram`)
 * is exactly what `npm run build:miniprogram-sdk` makes from the sources now — so the committed
 * copy cannot drift — imports only its own files, uses no Node API, and signs a person in.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo, LoginWorld, storageModes } from '../../server/src/login/test-harness.ts';
import { miniprogramCopy, OUTPUT_DIR } from '../src/build/miniprogram-copy.ts';
import { WxShim } from './wx-shim.ts';

const MP = demo('miniProgram');
const embedded = storageModes.find((m) => m.name === 'embedded');

describe('the sample mini program’s copy of the SDK', () => {
  const built = miniprogramCopy();

  it('is up to date with the sources (run `npm run build:miniprogram-sdk` and commit when this fails)', () => {
    const committed = readdirSync(OUTPUT_DIR).sort();
    expect(committed).toEqual([...built.keys()].sort());
    for (const [name, code] of built) expect(readFileSync(path.join(OUTPUT_DIR, name), 'utf8'), name).toBe(code);
  });

  it('imports only its own .js files and uses no Node API', () => {
    expect(built.has('index.js')).toBe(true);
    for (const [name, code] of built) {
      const specifiers = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)].map((m) => m[1] ?? '');
      for (const specifier of specifiers) {
        expect(specifier, `${name} imports ${specifier}`).toMatch(/^\.\/[a-z-]+\.js$/);
        expect(built.has(specifier.slice(2)), `${name} imports ${specifier}`).toBe(true);
      }
      expect(code, name).not.toMatch(/\b(?:process|Buffer|require)\b\s*[.(]|node:/);
    }
  });
});

describe.skipIf(embedded === undefined || embedded.skip)('the copy at work', () => {
  let world: LoginWorld;
  beforeAll(async () => {
    if (embedded === undefined) throw new Error('no embedded storage');
    world = await LoginWorld.start(embedded);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('signs a person in (S5) exactly as the sources do', async () => {
    const copy: unknown = await import(path.join(OUTPUT_DIR, 'index.js'));
    if (typeof copy !== 'object' || copy === null || !('createWeunion' in copy) || typeof copy.createWeunion !== 'function') {
      throw new Error('the copy exports no createWeunion');
    }
    const wx = new WxShim(world, MP.appid, await world.person('Copy'));
    const weunion: unknown = copy.createWeunion({ baseUrl: world.first.url, appid: MP.appid, wx });
    if (typeof weunion !== 'object' || weunion === null || !('login' in weunion) || typeof weunion.login !== 'function') {
      throw new Error('createWeunion gave no login()');
    }
    expect(await weunion.login()).toMatchObject({ status: 'signed_in', phoneSource: 'none' });
  });
});

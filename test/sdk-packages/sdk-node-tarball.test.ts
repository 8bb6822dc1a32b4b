/**
 * `@weunion/sdk-node` as a user gets it: the npm tarballs (with `@weunion/management-api`'s)
 * installed in a fresh project outside the monorepo, run by Node 20 and Node 22 (from the npm
 * registry) — plain JavaScript, no type stripping — against a running weunion: a token from an S6
 * login is verified against the server's JWKS, a forged one is refused, and a management route
 * answers through the typed client.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdminKey } from '../../packages/server/src/admin-keys/store.ts';
import { SYSTEM_ACTOR } from '../../packages/server/src/identity/audit.ts';
import { demo, LoginWorld, storageModes } from '../../packages/server/src/login/test-harness.ts';
import { freshProject, nodeRuntime, packedTarballs, ROOT } from './tarballs.ts';

const MOBILE_APP = { connection: 'demo-mobile-app', appid: demo('mobileApp').appid };
const embedded = storageModes.find((m) => m.name === 'embedded');
const run = promisify(execFile);

/** What a user of the SDK writes: verify the token, look the person up with an admin key. */
const CONSUMER = `
import { createManagementClient, createTokenVerifier, WeunionTokenError } from '@weunion/sdk-node';
const { ISSUER, AUDIENCE, ID_TOKEN, ACCESS_TOKEN, API_KEY } = process.env;
const verifier = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE });
const id = await verifier.verifyIdToken(ID_TOKEN);
const access = await verifier.verifyAccessToken(ACCESS_TOKEN, { requiredScopes: ['openid'] });
const [header, payload] = ACCESS_TOKEN.split('.');
const forged = [header, payload, 'c2lnbmF0dXJl'].join('.');
const refusal = await verifier.verifyAccessToken(forged).then(() => 'accepted', (e) => (e instanceof WeunionTokenError ? e.code : String(e)));
const admin = createManagementClient({ baseUrl: ISSUER, apiKey: API_KEY });
const user = await admin.users.get(id.sub);
console.log(JSON.stringify({ node: process.version, idSub: id.sub, accessSub: access.sub, refusal, user: { id: user.id, nickname: user.nickname } }));
`;

/** The same in TypeScript, checked against the published declarations (Node 16+ module resolution). */
const TYPED_CONSUMER = `import { createManagementClient, createTokenVerifier, type IdTokenClaims, type User, WeunionTokenError } from '@weunion/sdk-node';

export async function whoIs(token: string, apiKey: string): Promise<{ claims: IdTokenClaims; user: User } | string> {
  const verifier = createTokenVerifier({ issuer: 'https://id.example.com', audience: 'shop' });
  try {
    const claims = await verifier.verifyIdToken(token);
    const user = await createManagementClient({ baseUrl: 'https://id.example.com', apiKey }).users.get(claims.sub);
    return { claims, user };
  } catch (error) {
    if (error instanceof WeunionTokenError) return error.code;
    throw error;
  }
}
`;

const TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'es2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    lib: ['es2022', 'dom'],
    types: [],
    strict: true,
    noEmit: true,
  },
  include: ['typed.ts'],
});

const outputSchema = z.object({
  node: z.string(),
  idSub: z.string(),
  accessSub: z.string(),
  refusal: z.string(),
  user: z.object({ id: z.string(), nickname: z.string().nullable() }),
});

describe.skipIf(embedded === undefined || embedded.skip)('@weunion/sdk-node from its npm tarball', () => {
  let world: LoginWorld;
  let project: string;
  let apiKey: string;

  beforeAll(async () => {
    if (embedded === undefined) throw new Error('no embedded storage');
    const tarballs = await packedTarballs();
    project = freshProject([tarballs['sdk-node'], tarballs['management-api']], {
      'consumer.js': CONSUMER,
      'typed.ts': TYPED_CONSUMER,
      'tsconfig.json': TSCONFIG,
    });
    world = await LoginWorld.start(embedded);
    apiKey = (await createAdminKey(world.database.db, 'tarball test', SYSTEM_ACTOR)).key;
  });
  afterAll(async () => {
    await world?.close();
    if (project !== undefined) rmSync(project, { recursive: true, force: true });
  });

  it('installs as JavaScript with declarations: the published manifest exports dist/, with no monorepo-only dependency', () => {
    const installed = path.join(project, 'node_modules/@weunion');
    const manifest = z
      .object({ exports: z.record(z.string(), z.unknown()), dependencies: z.record(z.string(), z.string()), files: z.array(z.string()) })
      .parse(JSON.parse(readFileSync(path.join(installed, 'sdk-node/package.json'), 'utf8')));
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
    expect(manifest.files).toEqual(['dist']);
    const api = z
      .object({ dependencies: z.record(z.string(), z.string()) })
      .parse(JSON.parse(readFileSync(path.join(installed, 'management-api/package.json'), 'utf8')));
    expect(Object.keys(api.dependencies)).toEqual(['zod']);
    expect(readFileSync(path.join(installed, 'sdk-node/dist/index.d.ts'), 'utf8')).toContain("from './token-verifier.js'");
    expect(readFileSync(path.join(installed, 'management-api/dist/vocabulary.js'), 'utf8')).toContain("from './vendor/app-type.js'");
  });

  it('TypeScript code using it type-checks against the published declarations', () => {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project], { stdio: 'pipe' });
  });

  async function s6Tokens(nickname: string) {
    const person = await world.person(nickname);
    const { code } = z
      .object({ code: z.string() })
      .parse(await world.sandbox('POST', '/actions/app-login', { personId: person, appid: MOBILE_APP.appid, state: 'st' }));
    const response = await fetch(`${world.first.url}/api/app/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appid: MOBILE_APP.appid, code, state: 'st' }),
    });
    return z
      .object({ userId: z.string(), tokens: z.object({ access_token: z.string(), id_token: z.string() }) })
      .parse(await response.json());
  }

  it.each([20, 22])(
    'on Node %i: verifies a weunion token against the JWKS, refuses a forged one, calls the management API',
    async (major) => {
      const node = await nodeRuntime(major);
      const { userId, tokens } = await s6Tokens(`Node ${major}`);
      const { stdout } = await run(node, ['consumer.js'], {
        cwd: project,
        env: {
          PATH: process.env.PATH,
          ISSUER: world.first.url,
          AUDIENCE: MOBILE_APP.connection,
          ID_TOKEN: tokens.id_token,
          ACCESS_TOKEN: tokens.access_token,
          API_KEY: apiKey,
        },
      });
      const output = outputSchema.parse(JSON.parse(stdout));
      expect(output.node).toMatch(new RegExp(`^v${major}\\.`));
      expect(output).toMatchObject({ idSub: userId, accessSub: userId, refusal: 'signature_invalid', user: { id: userId } });
      expect(output.user.nickname).toBe(`Node ${major}`);
    },
  );
});

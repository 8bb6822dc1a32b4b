import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { authenticateAdminKey } from '../admin-keys/store.ts';
import { loadConfig } from '../config/index.ts';
import { recordServedPublicUrl } from '../config/public-url.ts';
import { openDatabase } from '../storage/index.ts';
import { managementCommands } from './cli-commands.ts';

describe('weunion admin-keys and connections commands', () => {
  let dir: string;
  const saved = { DATA_DIR: process.env.DATA_DIR, DATABASE_URL: process.env.DATABASE_URL, MASTER_KEY: process.env.MASTER_KEY };
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'weunion-cli-'));
    process.env.DATA_DIR = dir;
    process.env.DATABASE_URL = `sqlite:${path.join(dir, 'weunion.db')}`;
    delete process.env.MASTER_KEY;
  });
  afterAll(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(command: keyof typeof managementCommands, args: string[]): Promise<string> {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    try {
      await managementCommands[command].run(args);
    } finally {
      spy.mockRestore();
    }
    return lines.join('\n');
  }
  async function withDatabase<T>(work: (database: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
    const database = await openDatabase(`sqlite:${path.join(dir, 'weunion.db')}`);
    try {
      return await work(database);
    } finally {
      await database.close();
    }
  }

  it('admin-keys create prints a working key once; list never shows it; revoke stops it', async () => {
    const created = await run('admin-keys', ['create', '--name', 'ops']);
    const key = /(wu_[A-Za-z0-9_-]{43})/.exec(created)?.[1] ?? '';
    const id = /(key_[0-9a-f]+)/.exec(created)?.[1] ?? '';
    expect(await withDatabase((database) => authenticateAdminKey(database.db, key))).toMatchObject({ name: 'ops' });
    const listed = await run('admin-keys', ['list']);
    expect(listed).toContain(id);
    expect(listed).not.toContain(key);
    await run('admin-keys', ['revoke', id]);
    expect(await withDatabase((database) => authenticateAdminKey(database.db, key))).toBeNull();
  });

  it('applications create registers a client whose secret is printed once; list never shows it', async () => {
    const created = await run('applications', [
      'create',
      '--id',
      'cli-web',
      '--name',
      'CLI Shop',
      '--type',
      'web',
      '--redirect-uri',
      'https://shop.example/cb',
      '--redirect-uri',
      'https://shop.example/cb2',
      '--scenarios',
      's2,s3',
      '--policy',
      '{"registration":"deny"}',
    ]);
    const secret = /\n\s+([A-Za-z0-9_-]{40,})\n/.exec(`${created}\n`)?.[1] ?? '';
    expect(secret.length).toBeGreaterThanOrEqual(40);
    const listed = await run('applications', ['list']);
    expect(listed).toContain('cli-web  web  s2,s3  first-party  https://shop.example/cb https://shop.example/cb2  CLI Shop');
    expect(listed).not.toContain(secret);
    await expect(run('applications', ['create', '--id', 'cli-bad', '--name', 'x', '--type', 'web'])).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });

  it('admin-keys create without a name is refused', async () => {
    await expect(run('admin-keys', ['create'])).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('connections apply creates from a YAML file, changes nothing the second time, and list shows no secret', async () => {
    const file = path.join(dir, 'connections.yaml');
    writeFileSync(
      file,
      'connections:\n  - id: cli-site\n    name: CLI site\n    appType: website\n    appid: wx9999888877776666\n    secret: cli-secret-value\n    scenarios: [s2]\n',
    );
    expect(await run('connections', ['apply', file])).toMatch(/created\s+cli-site/);
    expect(await run('connections', ['apply', file])).toMatch(/unchanged\s+cli-site/);
    const listed = await run('connections', ['list']);
    expect(listed).toContain('cli-site  website  wx9999888877776666  s2');
    expect(listed).not.toContain('cli-secret-value');
  });

  it('connections demo adds the sandbox demo apps once (for a standalone sandbox)', async () => {
    expect(await run('connections', ['demo'])).toContain('added demo-official-account');
    expect(await run('connections', ['demo'])).toContain('there already');
    expect(await run('connections', ['list'])).toContain('demo-website  website  wxd00000000000c003  s2  op_demo');
  });

  it('admin-keys create --token-reader makes a key limited to those connections (which must exist); list shows the scope', async () => {
    // `cli-site` comes from the `connections apply` test above.
    const created = await run('admin-keys', ['create', '--name', 'sender', '--token-reader', 'cli-site']);
    const key = /(wu_[A-Za-z0-9_-]{43})/.exec(created)?.[1] ?? '';
    expect(await withDatabase((database) => authenticateAdminKey(database.db, key))).toMatchObject({
      name: 'sender',
      connections: ['cli-site'],
    });
    expect(await run('admin-keys', ['list'])).toMatch(/tokens:read cli-site {2}sender/);
    await expect(run('admin-keys', ['create', '--name', 'x', '--token-reader', 'no-such'])).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('connections apply with an invalid file names the field and changes nothing', async () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify([{ id: 'bad-site', name: 'x', appType: 'website', appid: 'nope', scenarios: ['s2'] }]));
    await expect(run('connections', ['apply', file])).rejects.toThrow(`${file}: connections.0.appid must be a WeChat appid (wx…)`);
    expect(await run('connections', ['list'])).not.toContain('bad-site');
  });

  it('applications create prints the issuer the server serves at: PUBLIC_URL if given, else the one serve recorded, else says it is the default', async () => {
    const create = (id: string) =>
      run('applications', ['create', '--id', id, '--name', id, '--type', 'web', '--redirect-uri', 'https://app.example/cb']);
    const savedUrl = process.env.PUBLIC_URL;
    delete process.env.PUBLIC_URL;
    try {
      expect(await create('cli-default')).toMatch(
        /issuer http:\/\/localhost:3000 \(PUBLIC_URL is not set and the server has not started yet/,
      );
      // What `serve` does at start, with its own PUBLIC_URL.
      await withDatabase((database) =>
        recordServedPublicUrl(database.db, { ...loadConfig({ ...process.env, PUBLIC_URL: 'https://id.example.cn' }) }),
      );
      expect(await create('cli-recorded')).toContain('issuer https://id.example.cn (the PUBLIC_URL the server last started with');
      process.env.PUBLIC_URL = 'https://other.example';
      expect(await create('cli-given')).toMatch(/issuer https:\/\/other\.example$/m);
    } finally {
      if (savedUrl === undefined) delete process.env.PUBLIC_URL;
      else process.env.PUBLIC_URL = savedUrl;
    }
  });
});

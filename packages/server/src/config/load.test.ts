import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configDocs, loadConfig, redactConfig } from './load.ts';
import { options } from './options.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'weunion-config-'));
const masterKey = Buffer.alloc(32, 7).toString('base64');

describe('configuration', () => {
  it('defaults to embedded mode on port 3000 with a SQLite file in ./data', () => {
    const config = loadConfig({}, dir);
    expect(config.port).toBe(3000);
    expect(config.mode).toBe('embedded');
    expect(config.databaseUrl).toBe(`sqlite:${path.join(dir, 'data', 'weunion.db')}`);
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(config.sandbox).toBe('auto');
  });

  it('a PostgreSQL DATABASE_URL selects scale-out mode', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:p@db/weunion', REDIS_URL: 'redis://r:6379', MASTER_KEY: masterKey }, dir);
    expect(config.mode).toBe('scale-out');
    expect(config.redisUrl).toBe('redis://r:6379');
  });

  it('PORT=abc stops the start with one line naming the variable', () => {
    expect(() => loadConfig({ PORT: 'abc' }, dir)).toThrow(/^PORT must be a number \(got "abc"\)$/);
  });

  it('an out-of-range port is refused', () => {
    expect(() => loadConfig({ PORT: '70000' }, dir)).toThrow('PORT must be at most 65535');
  });

  it('a malformed DATABASE_URL is refused without echoing it (it may hold a password)', () => {
    let message = '';
    try {
      loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db' }, dir);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('DATABASE_URL must start with postgres://');
    expect(message).not.toContain('hunter2');
  });

  it('scale-out mode requires a shared MASTER_KEY', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://db/x' }, dir)).toThrow(/MASTER_KEY is required/);
  });

  it('a MASTER_KEY that is not 32 bytes is refused', () => {
    expect(() => loadConfig({ MASTER_KEY: 'c2hvcnQ=' }, dir)).toThrow('MASTER_KEY must be 32 bytes encoded as base64');
  });

  it('reads a YAML config file, the environment winning over it', () => {
    const file = path.join(dir, 'weunion.yaml');
    writeFileSync(file, 'port: 4000\nhost: 0.0.0.0\nlogLevel: warn\nconnections: []\n');
    const config = loadConfig({ WEUNION_CONFIG: file, PORT: '5000' }, dir);
    expect(config.port).toBe(5000);
    expect(config.host).toBe('0.0.0.0');
    expect(config.logLevel).toBe('warn');
    expect(config.file).toEqual({ connections: [] });
  });

  it('a bad value in the config file names the key and the file', () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ sandbox: 'maybe' }));
    expect(() => loadConfig({ WEUNION_CONFIG: file }, dir)).toThrow(`sandbox in ${file} must be auto, on or off (got "maybe")`);
  });

  it('an unreadable or malformed config file is reported in one line', () => {
    expect(() => loadConfig({ WEUNION_CONFIG: path.join(dir, 'missing.yaml') }, dir)).toThrow(/cannot be read \(ENOENT\)/);
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, '{ nope');
    expect(() => loadConfig({ WEUNION_CONFIG: file }, dir)).toThrow(/is not valid JSON/);
  });

  it('a config dump never shows secrets or URL passwords', () => {
    const config = loadConfig(
      { DATABASE_URL: 'postgres://u:topsecret@db/x', REDIS_URL: 'redis://:redispass@r:6379', MASTER_KEY: masterKey },
      dir,
    );
    const dump = JSON.stringify(redactConfig(config));
    expect(dump).not.toContain('topsecret');
    expect(dump).not.toContain('redispass');
    expect(dump).not.toContain(masterKey);
    expect(dump).toContain('postgres://u:%5Bredacted%5D@db/x');
  });

  it('the docs table lists every option with its description', () => {
    const docs = configDocs();
    for (const spec of Object.values(options)) {
      expect(docs).toContain(`\`${spec.env}\``);
      expect(docs).toContain(spec.description);
    }
  });
});

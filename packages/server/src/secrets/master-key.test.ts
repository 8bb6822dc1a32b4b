import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { generateMasterKey, loadSecretBox, SecretBox } from './master-key.ts';

describe('secret box', () => {
  const box = new SecretBox(Buffer.from(generateMasterKey(), 'base64'));

  it('seals and opens a secret, and the sealed form does not contain it', () => {
    const sealed = box.seal('app-secret-123', 'connection:wx1');
    expect(sealed).not.toContain('app-secret-123');
    expect(box.open(sealed, 'connection:wx1')).toBe('app-secret-123');
  });

  it('refuses a sealed value moved to another record (associated data differs)', () => {
    const sealed = box.seal('s', 'connection:wx1');
    expect(() => box.open(sealed, 'connection:wx2')).toThrow();
  });

  it('a value opened before opens again, but still only for its own record', () => {
    const sealed = box.seal('remembered', 'connection:wx1');
    expect(box.open(sealed, 'connection:wx1')).toBe('remembered');
    expect(box.open(sealed, 'connection:wx1')).toBe('remembered');
    expect(() => box.open(sealed, 'connection:wx2')).toThrow();
    // A changed secret is another sealed text: nothing of the old one is answered for it.
    expect(box.open(box.seal('changed', 'connection:wx1'), 'connection:wx1')).toBe('changed');
  });

  it('opens a value it is told not to remember, and still refuses it for another record', () => {
    const sealed = box.seal('session-key', 'mini-program-session:wx1:o1');
    expect(box.open(sealed, 'mini-program-session:wx1:o1', { remember: false })).toBe('session-key');
    expect(() => box.open(sealed, 'mini-program-session:wx1:o2', { remember: false })).toThrow();
  });

  it('refuses a tampered value', () => {
    const sealed = box.seal('secret');
    const parts = sealed.split('.');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open(parts.join('.'))).toThrow();
  });

  it('derives purpose keys that are stable per master key and differ per purpose', () => {
    const other = new SecretBox(Buffer.from(generateMasterKey(), 'base64'));
    expect(box.deriveKey('cookies')).toEqual(box.deriveKey('cookies'));
    expect(box.deriveKey('cookies')).not.toEqual(box.deriveKey('other'));
    expect(other.deriveKey('cookies')).not.toEqual(box.deriveKey('cookies'));
  });

  it('names the mismatch when opened with another master key', () => {
    const other = new SecretBox(Buffer.from(generateMasterKey(), 'base64'));
    expect(() => other.open(box.seal('x'))).toThrow(/sealed with master key/);
  });

  it('embedded mode generates a master key once, readable by the owner only, and reuses it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'weunion-key-'));
    const config = loadConfig({ DATA_DIR: dir }, dir);
    const first = loadSecretBox(config);
    expect(statSync(path.join(dir, 'master.key')).mode & 0o777).toBe(0o600);
    const second = loadSecretBox(config);
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(second.open(first.seal('x'))).toBe('x');
  });
});

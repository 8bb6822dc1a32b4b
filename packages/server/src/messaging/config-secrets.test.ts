/** Provider secrets sealed for the config file: opened with the right master key only, redacted when shown. */
import { describe, expect, it } from 'vitest';
import { loadConfig, redactConfig } from '../config/index.ts';
import { generateMasterKey, SecretBox } from '../secrets/master-key.ts';
import { openConfigSecret, sealConfigSecret } from './config-secrets.ts';

describe('sealed provider secrets', () => {
  const box = new SecretBox(Buffer.from(generateMasterKey(), 'base64'));

  it('a sealed value opens to the secret; a plain value passes as given', () => {
    const sealed = sealConfigSecret(box, 'Gu5t9x-secret');
    expect(sealed).toMatch(/^sealed:v1\./);
    expect(sealed).not.toContain('Gu5t9x');
    expect(openConfigSecret(() => box, sealed)).toBe('Gu5t9x-secret');
    expect(openConfigSecret(() => box, 'plain-secret')).toBe('plain-secret');
    expect(openConfigSecret(() => box, undefined)).toBeUndefined();
  });

  it('another master key cannot open it, and says which key sealed it', () => {
    const sealed = sealConfigSecret(box, 'x');
    const other = new SecretBox(Buffer.from(generateMasterKey(), 'base64'));
    expect(() => openConfigSecret(() => other, sealed)).toThrow(new RegExp(`sealed with master key ${box.fingerprint}`));
  });

  it('a value sealed for another purpose (a connection secret) is not accepted here', () => {
    const sealedForConnection = `sealed:${box.seal('x', 'connection:wx123')}`;
    expect(() => openConfigSecret(() => box, sealedForConnection)).toThrow();
  });

  it('the configuration dump redacts both provider secrets', () => {
    const config = loadConfig({ SMS_ACCESS_KEY_SECRET: 'sms-secret-value', SMTP_PASSWORD: 'smtp-secret-value', SANDBOX: 'off' });
    const shown = JSON.stringify(redactConfig(config));
    expect(shown).not.toContain('sms-secret-value');
    expect(shown).not.toContain('smtp-secret-value');
  });
});

/**
 * Provider secrets given in the environment or the config file may be sealed with the master key
 * (`weunion secrets seal`), so the file at rest holds no usable secret: `sealed:v1.<fp>.…`, opened
 * at start. The associated data names the purpose, so a sealed value cannot be moved to another
 * field of another kind (e.g. a connection's app secret) and opened there.
 */
import type { SecretBox } from '../secrets/master-key.ts';

const PREFIX = 'sealed:';
const PURPOSE = 'weunion:config-secret';

export function sealConfigSecret(secrets: SecretBox, plaintext: string): string {
  return `${PREFIX}${secrets.seal(plaintext, PURPOSE)}`;
}

/** The secret as given, or opened when sealed (a wrong master key fails loudly: `config_invalid`). */
export function openConfigSecret(secrets: () => SecretBox, value: string | undefined): string | undefined {
  if (value === undefined || !value.startsWith(PREFIX)) return value;
  return secrets().open(value.slice(PREFIX.length), PURPOSE);
}

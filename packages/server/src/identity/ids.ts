import { randomBytes } from 'node:crypto';

/**
 * A new id: `<prefix>_` + 11 hex digits of milliseconds + 12 random hex digits. Ids sort by
 * creation time, so listings can page by id with a plain index, and they never encode anything
 * about the person.
 */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(16).padStart(11, '0')}${randomBytes(6).toString('hex')}`;
}

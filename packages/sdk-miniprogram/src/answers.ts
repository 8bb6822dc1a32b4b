/**
 * Hand-written guards for weunion's answers (the SDK has no dependencies, so no schema library):
 * each takes `unknown` and gives the typed value or throws `invalid_response`. Nothing from the
 * network is cast.
 */
import { WeunionError } from './errors.ts';

export type Fields = Record<string, unknown>;

export function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(what: string): WeunionError {
  return new WeunionError('invalid_response', `weunion answered an unexpected ${what}`);
}

export function object(value: unknown, what: string): Fields {
  if (!isObject(value)) throw invalid(what);
  return value;
}

export function string(fields: Fields, key: string, what: string): string {
  const value = fields[key];
  if (typeof value !== 'string') throw invalid(`${what} (${key})`);
  return value;
}

export function optionalString(fields: Fields, key: string, what: string): string | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${what} (${key})`);
  return value;
}

export function number(fields: Fields, key: string, what: string): number {
  const value = fields[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`${what} (${key})`);
  return value;
}

export function optionalNumber(fields: Fields, key: string, what: string): number | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`${what} (${key})`);
  return value;
}

export function boolean(fields: Fields, key: string, what: string): boolean {
  const value = fields[key];
  if (typeof value !== 'boolean') throw invalid(`${what} (${key})`);
  return value;
}

export function oneOf<const T extends string>(fields: Fields, key: string, allowed: readonly T[], what: string): T {
  const value = fields[key];
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) throw invalid(`${what} (${key})`);
  return found;
}

export function strings(fields: Fields, key: string, what: string): string[] {
  const value = fields[key];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw invalid(`${what} (${key})`);
  return value.filter((item) => typeof item === 'string');
}

export function objects(fields: Fields, key: string, what: string): Fields[] {
  const value = fields[key];
  if (!Array.isArray(value)) throw invalid(`${what} (${key})`);
  return value.map((item) => object(item, what));
}

/**
 * Hand-written guards for the server answers the SDK relies on (the package has no dependencies,
 * so no schema library): each takes `unknown` and gives the typed value or throws
 * `invalid_response`. Nothing from the network is cast.
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

export function optionalBoolean(fields: Fields, key: string, what: string): boolean | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(`${what} (${key})`);
  return value;
}

export function oneOf<T extends string>(fields: Fields, key: string, allowed: readonly T[], what: string): T {
  const value = fields[key];
  const match = allowed.find((candidate) => candidate === value);
  if (match === undefined) throw invalid(`${what} (${key})`);
  return match;
}

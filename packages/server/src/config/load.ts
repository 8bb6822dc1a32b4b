/**
 * Builds the validated configuration from the environment and an optional config file
 * (`WEUNION_CONFIG`, JSON or YAML). An invalid value stops the start with one line that names the
 * option and what is wrong with it, never a stack trace.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '@weunion/errors';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type OptionKey, options } from './options.ts';

type OptionsTable = typeof options;
export type RawConfig = { [K in OptionKey]: z.output<OptionsTable[K]['schema']> };

export interface Config extends Omit<RawConfig, 'publicUrl' | 'databaseUrl'> {
  publicUrl: string;
  databaseUrl: string;
  /** `embedded` (SQLite, in-process state) or `scale-out` (PostgreSQL, ideally with Redis). */
  mode: 'embedded' | 'scale-out';
  /** Extra, free-form sections of the config file (e.g. `connections`), validated by their owners. */
  file: Record<string, unknown>;
  /** Whether PUBLIC_URL was set (env or config file); otherwise `publicUrl` is the localhost default. */
  publicUrlSet: boolean;
}

const fileSchema = z.record(z.string(), z.unknown());

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new AppError('config_invalid', `config file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let parsed: unknown;
  try {
    parsed = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new AppError(
      'config_invalid',
      `config file ${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  const result = fileSchema.safeParse(parsed ?? {});
  if (!result.success) throw new AppError('config_invalid', `config file ${file} must contain an object of options`);
  return result.data;
}

/** Reads and validates the configuration; throws an AppError('config_invalid') with a one-line message. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const filePath = env.WEUNION_CONFIG;
  const file = filePath ? readConfigFile(path.resolve(cwd, filePath)) : {};
  const raw: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(options) as [OptionKey, OptionsTable[OptionKey]][]) {
    const fromEnv = env[spec.env];
    const input = fromEnv !== undefined && fromEnv !== '' ? fromEnv : file[key];
    const result = spec.schema.safeParse(input);
    if (!result.success) {
      const reason = result.error.issues[0]?.message ?? 'is not valid';
      const shown = spec.secret === true ? '' : ` (got ${JSON.stringify(input)})`;
      const where = fromEnv !== undefined && fromEnv !== '' ? spec.env : `${key} in ${filePath}`;
      throw new AppError('config_invalid', `${where} ${reason}${shown}`, { details: { option: spec.env } });
    }
    raw[key] = result.data;
  }
  const known = new Set<string>(Object.keys(options));
  const extra = Object.fromEntries(Object.entries(file).filter(([key]) => !known.has(key)));
  const config = raw as RawConfig;
  const dataDir = path.resolve(cwd, config.dataDir);
  const databaseUrl = config.databaseUrl ?? `sqlite:${path.join(dataDir, 'weunion.db')}`;
  const mode = /^postgres/.test(databaseUrl) ? 'scale-out' : 'embedded';
  const publicUrl = (config.publicUrl ?? `http://localhost:${config.port}`).replace(/\/+$/, '');
  if (mode === 'scale-out' && config.masterKey === undefined) {
    throw new AppError(
      'config_invalid',
      'MASTER_KEY is required with a PostgreSQL DATABASE_URL (every instance must share it); generate one with `npm run weunion -- master-key`',
      { details: { option: 'MASTER_KEY' } },
    );
  }
  return { ...config, dataDir, databaseUrl, publicUrl, mode, file: extra, publicUrlSet: config.publicUrl !== undefined };
}

const REDACTED = '[redacted]';

/** A copy of the configuration safe to log or print: secrets replaced, URL passwords removed. */
export function redactConfig(config: Config): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...config, file: Object.keys(config.file) };
  for (const [key, spec] of Object.entries(options)) {
    const value = copy[key];
    if (spec.secret !== true || value === undefined) continue;
    copy[key] = typeof value === 'string' && /^[a-z]+:\/\//.test(value) ? redactUrl(value) : REDACTED;
  }
  return copy;
}

export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = REDACTED;
    return url.toString();
  } catch {
    return REDACTED;
  }
}

/** Markdown table of every option, for the README and `weunion config docs`. */
export function configDocs(): string {
  const rows = Object.values(options).map((spec) => {
    const def = spec.defaultLabel ?? defaultOf(spec.schema);
    return `| \`${spec.env}\` | ${def === undefined ? '' : `\`${def}\``} | ${spec.description} |`;
  });
  return ['| variable | default | what it does |', '| --- | --- | --- |', ...rows].join('\n');
}

function defaultOf(schema: z.ZodType): string | undefined {
  const result = schema.safeParse(undefined);
  return result.success && result.data !== undefined ? String(result.data) : undefined;
}

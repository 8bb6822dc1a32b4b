/**
 * `weunion import authing|people …` and `weunion export people …`: the same import as the
 * management API and the console, from the shell, reading the configuration `serve` reads.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AppError } from '@weunion/errors';
import { cliActor, withDatabase } from '../management/cli-commands.ts';
import type { ImportReport } from './engine.ts';
import { exportPeopleText } from './export.ts';
import { detectFormat, type PeopleFormat } from './people-format.ts';
import { importAuthing, importPeople, type RunOptions } from './run.ts';

function readText(file: string): string {
  try {
    return readFileSync(path.resolve(file), 'utf8');
  } catch (error) {
    throw new AppError('bad_request', `${file} cannot be read (${error instanceof Error ? error.message : String(error)})`);
  }
}

function formatOption(value: string | undefined): PeopleFormat | undefined {
  if (value === undefined) return undefined;
  if (value !== 'csv' && value !== 'json') throw new AppError('bad_request', `--format must be csv or json (got "${value}")`);
  return value;
}

/** The report as the shell shows it. */
export function describeReport(report: ImportReport): string {
  const lines = [
    `${report.dryRun ? 'DRY RUN (nothing written)' : `import ${report.runId ?? ''} ${report.status}`}: ${report.processed}/${report.total} records`,
    `  created ${report.created}, joined ${report.joined}, unchanged ${report.unchanged}, skipped ${report.skipped}, conflicts ${report.conflicts}`,
    `  WeChat identities added ${report.identitiesAdded}, unionids claimed ${report.unionidsClaimed}, merge suggestions ${report.suggestions}`,
  ];
  for (const [reason, n] of Object.entries(report.skippedReasons)) lines.push(`  skipped (${reason}): ${n}`);
  for (const [reason, n] of Object.entries(report.conflictReasons)) lines.push(`  conflict (${reason}): ${n}`);
  for (const [reason, n] of Object.entries(report.identitiesLeftOut)) lines.push(`  identities left out (${reason}): ${n}`);
  for (const d of report.details.slice(0, 50)) lines.push(`  ${d.kind} ${d.key} (#${d.position}): ${d.reason} — ${d.detail}`);
  if (report.details.length > 50) lines.push(`  … ${report.details.length - 50} more in the report (--json)`);
  if (report.status === 'stopped') lines.push('  stopped: run again with --resume to continue from the last batch');
  return lines.join('\n');
}

const IMPORT_OPTIONS = {
  mapping: { type: 'string' },
  format: { type: 'string' },
  'dry-run': { type: 'boolean' },
  batch: { type: 'string' },
  resume: { type: 'boolean' },
  events: { type: 'boolean' },
  json: { type: 'boolean' },
  'stop-after': { type: 'string' },
} as const;

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new AppError('bad_request', `${flag} must be a positive whole number (got "${value}")`);
  return n;
}

export const importCommands = {
  import: {
    summary:
      'Import people: `import authing <users.json> --mapping <mapping.json>` (Authing V3 user export with identities) or `import people <file.csv|json>`; ' +
      '[--dry-run] (report only), [--batch N] (records per transaction, default 500), [--resume] (continue a stopped import), [--events] (send webhooks), [--json] (the report as JSON).',
    async run(args: string[]): Promise<void> {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: IMPORT_OPTIONS });
      const [what, file] = positionals;
      if ((what !== 'authing' && what !== 'people') || file === undefined) {
        throw new AppError(
          'bad_request',
          'import needs what and a file: `import authing <users.json> --mapping <mapping.json>` or `import people <file.csv|json>`',
        );
      }
      const dryRun = values['dry-run'] === true;
      const options: RunOptions = {
        dryRun,
        actor: cliActor(`import ${what}`),
        resume: values.resume === true,
        emitEvents: values.events === true,
        ...(positiveInt(values.batch, '--batch') === undefined ? {} : { batchSize: positiveInt(values.batch, '--batch') }),
        ...(positiveInt(values['stop-after'], '--stop-after') === undefined
          ? {}
          : { stopAfterBatches: positiveInt(values['stop-after'], '--stop-after') }),
        onProgress: (r) => {
          if (r.total >= 5000) process.stderr.write(`\r  ${r.processed}/${r.total}`);
        },
      };
      // Ctrl-C stops after the batch being written; `--resume` continues from there.
      let stopRequested = false;
      const stop = () => {
        stopRequested = true;
        process.stderr.write('\nstopping after the current batch (run again with --resume to continue)…\n');
      };
      process.once('SIGINT', stop);
      options.shouldStop = () => stopRequested;
      const content = readText(file);
      const report = await withDatabase(async (database) => {
        if (what === 'authing') {
          if (values.mapping === undefined)
            throw new AppError('bad_request', 'import authing needs --mapping <mapping.json> (Authing connection → weunion appid)');
          return importAuthing(database, content, readText(values.mapping), options);
        }
        return importPeople(database, content, formatOption(values.format) ?? detectFormat(file, content), options);
      });
      process.off('SIGINT', stop);
      if (report.total >= 5000) process.stderr.write('\n');
      console.log(values.json === true ? JSON.stringify(report, null, 2) : describeReport(report));
    },
  },
  export: {
    summary:
      'Export people with their WeChat identities: `export people [--format csv|json] [--out file]` (default JSON to stdout; the format `import people` reads).',
    async run(args: string[]): Promise<void> {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { format: { type: 'string' }, out: { type: 'string' } },
      });
      if (positionals[0] !== 'people') throw new AppError('bad_request', 'export what? `export people [--format csv|json] [--out file]`');
      const format = formatOption(values.format) ?? (values.out !== undefined && /\.csv$/i.test(values.out) ? 'csv' : 'json');
      await withDatabase(async (database) => {
        const out = values.out === undefined ? process.stdout : createWriteStream(path.resolve(values.out));
        for await (const chunk of exportPeopleText(database.db, format)) {
          if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
        }
        if (out !== process.stdout)
          await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
      });
    },
  },
};

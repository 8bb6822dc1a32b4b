/**
 * The management API of imports and exports (the console's People → Import / Export uses it):
 *
 * - `POST /imports/dry-run`: what an import would do (the report), nothing written;
 * - `POST /imports`: starts it; answers at once with the run (its id and report so far) while the
 *   batches are written in the background, so a large file shows its progress;
 * - `GET /imports/:runId`: the run's report, updated after every batch (poll it);
 * - `GET /people/export?format=csv|json`: every person with their WeChat identities, streamed.
 *
 * The file travels as text in a JSON body (`content`), up to 64 MiB.
 */
import { AppError } from '@weunion/errors';
import { importReportView } from '@weunion/management-api';
import { z } from 'zod';
import type { AppContext } from '../http/context.ts';
import { parseInput } from '../http/problem.ts';
import type { Actor } from '../identity/audit.ts';
import { type Download, defineRoute, type ManagementRoute } from '../management/route.ts';
import type { ImportReport } from './engine.ts';
import { exportPeopleText } from './export.ts';
import { detectFormat } from './people-format.ts';
import { importAuthing, importPeople, type RunOptions } from './run.ts';

const MAX_UPLOAD = 64 * 1024 * 1024;

const importBody = z
  .object({
    kind: z.enum(['people', 'authing']).default('people').describe('`people`: weunion CSV/JSON; `authing`: Authing’s V3 user export.'),
    format: z.enum(['csv', 'json']).optional().describe('people files: the format (else told by `filename` or the content).'),
    filename: z.string().max(300).optional().describe('The uploaded file’s name (its extension tells the format).'),
    content: z.string().min(1).max(MAX_UPLOAD).describe('The file, as text.'),
    mapping: z.record(z.string(), z.unknown()).optional().describe('authing: `{"connections": {"<Authing connection id>": "<appid>"}}`.'),
    batchSize: z.number().int().min(1).max(5000).optional().describe('Records per transaction (default 500).'),
    resume: z.boolean().default(false).describe('Continue the unfinished import of the same file from its checkpoint.'),
    emitEvents: z.boolean().default(false).describe('Send identity webhooks for what the import changes (off by default).'),
  })
  .strict();

type ImportInput = z.output<typeof importBody>;

function startImport(ctx: AppContext, body: ImportInput, options: RunOptions): Promise<ImportReport> {
  if (body.kind === 'authing') {
    if (body.mapping === undefined) throw new AppError('bad_request', 'an Authing import needs `mapping` ({"connections": {…}})');
    return importAuthing(ctx.database, body.content, JSON.stringify(body.mapping), options);
  }
  return importPeople(ctx.database, body.content, body.format ?? detectFormat(body.filename, body.content), options);
}

function runOptions(body: ImportInput, actor: Actor, dryRun: boolean): RunOptions {
  return {
    dryRun,
    actor,
    resume: body.resume,
    emitEvents: body.emitEvents,
    ...(body.batchSize === undefined ? {} : { batchSize: body.batchSize }),
  };
}

const exportQuery = z.object({ format: z.enum(['csv', 'json']).default('json').describe('csv or json (default).') }).strict();

const exportRoute: ManagementRoute = {
  method: 'GET',
  path: '/people/export',
  summary: 'Every person (active or blocked) with their WeChat identities, streamed as CSV or JSON — the format `POST /imports` reads.',
  tag: 'imports',
  status: 200,
  params: undefined,
  query: exportQuery,
  body: undefined,
  response: z.string(),
  tokenBroker: false,
  download: true,
  async run(raw, _actor, ctx): Promise<Download> {
    const { format } = parseInput(exportQuery, raw.query ?? {});
    const date = new Date().toISOString().slice(0, 10);
    return {
      contentType: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
      filename: `weunion-people-${date}.${format}`,
      chunks: exportPeopleText(ctx.database.db, format),
    };
  },
};

export const importRoutes: ManagementRoute[] = [
  defineRoute({
    method: 'POST',
    path: '/imports/dry-run',
    tag: 'imports',
    summary: 'What importing this file would do — created, joined, unchanged, skipped, conflicts — with nothing written.',
    body: importBody,
    bodyLimit: MAX_UPLOAD * 2,
    response: importReportView,
    async handler({ body, actor, ctx }) {
      return startImport(ctx, body, runOptions(body, actor, true));
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/imports',
    tag: 'imports',
    status: 201,
    summary:
      'Imports the file: answers once the run has started (its id and report so far); batches are written in the background — follow with GET /imports/{runId}.',
    body: importBody,
    bodyLimit: MAX_UPLOAD * 2,
    response: importReportView,
    async handler({ body, actor, ctx }) {
      // Answer as soon as the run exists (or when it is already over, or failed before it began).
      let started: (report: ImportReport) => void = () => {};
      const firstReport = new Promise<ImportReport>((resolve) => {
        started = resolve;
      });
      const run = startImport(ctx, body, { ...runOptions(body, actor, false), onProgress: (report) => started(structuredClone(report)) });
      run.then(
        (report) => started(report),
        async (error: unknown) => {
          ctx.log?.error({ err: error }, 'import failed');
        },
      );
      return Promise.race([firstReport, run]);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/imports/:runId',
    tag: 'imports',
    summary: 'An import’s report, updated after every batch.',
    params: z.object({ runId: z.string().min(1).max(100).describe('The run id (imp_…).') }).strict(),
    response: importReportView,
    async handler({ params, ctx }) {
      const row = await ctx.database.db.selectFrom('import_runs').select('report').where('id', '=', params.runId).executeTakeFirst();
      if (row === undefined) throw new AppError('not_found', `No import ${params.runId}`);
      return importReportView.parse(JSON.parse(row.report));
    },
  }),
  exportRoute,
];

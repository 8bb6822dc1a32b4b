/**
 * The imports as the CLI, the management API and the console start them: read the file(s), then
 * hand the records to the one engine.
 */
import { AppError } from '@weunion/errors';
import type { Database } from '../storage/database.ts';
import { authingMappingSchema, readAuthingExport } from './authing.ts';
import { hashInput, type ImportOptions, type ImportReport, runImport } from './engine.ts';
import { type PeopleFormat, readPeopleFile } from './people-format.ts';

export type RunOptions = Omit<ImportOptions, 'kind' | 'inputHash' | 'unreadable' | 'identitiesLeftOut'>;

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError('bad_request', `${what} is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

export async function importAuthing(
  database: Database,
  usersText: string,
  mappingText: string,
  options: RunOptions,
): Promise<ImportReport> {
  const mapping = authingMappingSchema.safeParse(parseJson(mappingText, 'the mapping file'));
  if (!mapping.success) {
    const issue = mapping.error.issues[0];
    throw new AppError(
      'bad_request',
      `the mapping file is not valid: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''} (expected {"connections": {"<Authing connection id>": "<appid>"}})`,
    );
  }
  const known = new Set((await database.db.selectFrom('connections').select('appid').execute()).map((c) => c.appid));
  const missing = [...new Set(Object.values(mapping.data.connections))].filter((appid) => !known.has(appid));
  if (missing.length > 0) {
    throw new AppError('bad_request', `the mapping names appids that are not weunion connections: ${missing.join(', ')} (add them first)`);
  }
  const reading = readAuthingExport(parseJson(usersText, 'the Authing export'), mapping.data);
  return runImport(database, reading.people, {
    ...options,
    kind: 'authing',
    inputHash: hashInput('authing', usersText, mappingText),
    unreadable: reading.unreadable,
    identitiesLeftOut: reading.identitiesLeftOut,
  });
}

export async function importPeople(database: Database, content: string, format: PeopleFormat, options: RunOptions): Promise<ImportReport> {
  const reading = readPeopleFile(content, format);
  return runImport(database, reading.people, {
    ...options,
    kind: 'people',
    inputHash: hashInput('people', format, content),
    unreadable: reading.unreadable,
  });
}

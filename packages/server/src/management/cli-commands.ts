/**
 * `weunion admin-keys …`, `weunion applications …` and `weunion connections …`: managing a deployment from its shell, with
 * the same rules as the management API (these call the same functions).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AppError } from '@weunion/errors';
import { parse as parseYaml } from 'yaml';
import { createAdminKey, listAdminKeys, revokeAdminKey } from '../admin-keys/store.ts';
import { type Config, loadConfig } from '../config/index.ts';
import { cliPublicUrl, showCliPublicUrl } from '../config/public-url.ts';
import { applyConnections, parseDeclaredConnections, seedSandboxConnections } from '../connections/declared.ts';
import { listConnections } from '../connections/store.ts';
import { parseInput } from '../http/problem.ts';
import { type Actor, recordAudit } from '../identity/audit.ts';
import { applicationInputSchema, applicationView, createApplication, listApplications } from '../oidc/applications.ts';
import { oidcDb } from '../oidc/tables.ts';
import { loadSecretBox } from '../secrets/master-key.ts';
import { catalogChanged } from '../storage/catalog-cache.ts';
import { type Database, migrateToLatest, openDatabase } from '../storage/index.ts';
import { openServiceState } from '../storage/shared-state.ts';

/** The shell: recorded in the audit log as the system, with the command as the id. */
export const cliActor = (command: string): Actor => ({ kind: 'system', id: `cli:${command}` });

/** Opens the configured database (migrated) for one command, and closes it after. */
export async function withDatabase<T>(work: (database: Database) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const database = await openDatabase(config.databaseUrl);
  try {
    await migrateToLatest(database);
    return await work(database);
  } finally {
    await database.close();
  }
}

const time = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

export const managementCommands = {
  'admin-keys': {
    summary:
      "Admin API keys: `admin-keys create --name X [--token-reader conn1,conn2]` (prints the key once; --token-reader: the key may only read those connections' WeChat tokens), `admin-keys list`, `admin-keys revoke <id>`.",
    async run(args: string[]): Promise<void> {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { name: { type: 'string' }, 'token-reader': { type: 'string' } },
      });
      const action = positionals[0] ?? 'list';
      await withDatabase(async (database) => {
        if (action === 'create') {
          const name = values.name;
          if (name === undefined || name.trim() === '')
            throw new AppError('bad_request', 'admin-keys create needs --name <who or what uses it>');
          const readerFor = values['token-reader']
            ?.split(',')
            .map((c) => c.trim())
            .filter((c) => c !== '');
          const { key, adminKey } = await createAdminKey(database.db, name.trim(), cliActor('admin-keys create'), readerFor);
          console.log(`created admin key ${adminKey.id} (${adminKey.name}). It is shown only now:\n\n  ${key}\n`);
        } else if (action === 'list') {
          for (const k of await listAdminKeys(database.db)) {
            console.log(
              `${k.id}  ${k.keyPrefix}…  ${k.revokedAt === null ? 'active ' : 'revoked'}  last used ${time(k.lastUsedAt)}  ${k.scope === 'full' ? 'full' : `tokens:read ${(k.connections ?? []).join(',')}`}  ${k.name}`,
            );
          }
        } else if (action === 'revoke') {
          const id = positionals[1];
          if (id === undefined) throw new AppError('bad_request', 'admin-keys revoke needs the key id (see admin-keys list)');
          await revokeAdminKey(database.db, id, cliActor('admin-keys revoke'));
          console.log(`revoked ${id}`);
        } else {
          throw new AppError('bad_request', `unknown admin-keys action "${action}" (create, list or revoke)`);
        }
      });
    },
  },
  applications: {
    summary:
      'OIDC applications: `applications list`; `applications create --id X --name Y --type web|spa|native|mini_program --redirect-uri URL [--redirect-uri …] [--post-logout-uri URL] [--scenarios s1,s2,s3] [--third-party] [--policy \'{"registration":"deny"}\']` (a web app\'s secret is printed once).',
    async run(args: string[]): Promise<void> {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: {
          id: { type: 'string' },
          name: { type: 'string' },
          type: { type: 'string' },
          'redirect-uri': { type: 'string', multiple: true },
          'post-logout-uri': { type: 'string', multiple: true },
          scenarios: { type: 'string' },
          'third-party': { type: 'boolean' },
          policy: { type: 'string' },
        },
      });
      const action = positionals[0] ?? 'list';
      const config = loadConfig();
      await withDatabase(async (database) => {
        const db = oidcDb(database.db);
        const secrets = loadSecretBox(config);
        if (action === 'list') {
          for (const a of await listApplications(db, secrets)) {
            console.log(
              `${a.id}  ${a.type}  ${a.scenarios.join(',')}  ${a.firstParty ? 'first-party' : 'third-party'}  ${a.redirectUris.join(' ')}  ${a.name}`,
            );
          }
          return;
        }
        if (action !== 'create') throw new AppError('bad_request', `unknown applications action "${action}" (list or create)`);
        const input = parseInput(applicationInputSchema, {
          id: values.id,
          name: values.name,
          type: values.type,
          redirectUris: values['redirect-uri'] ?? [],
          postLogoutRedirectUris: values['post-logout-uri'] ?? [],
          ...(values.scenarios === undefined ? {} : { scenarios: values.scenarios.split(',').map((s) => s.trim()) }),
          firstParty: values['third-party'] !== true,
          ...(values.policy === undefined ? {} : { policy: parsePolicyFlag(values.policy) }),
        });
        // Running instances remember that no such application existed: tell them (through Redis; on SQLite they notice by themselves).
        const state = await openServiceState(loadConfig());
        const { application, clientSecret } = await createApplication(db, secrets, input, Date.now(), state).finally(() => state.close());
        await recordAudit(database.db, {
          actor: cliActor('applications create'),
          action: 'application.created',
          subjectId: application.id,
          after: applicationView(application),
        });
        const issuer = await cliPublicUrl(database.db, config);
        console.log(`created application ${application.id} (${application.type}); issuer ${showCliPublicUrl(issuer)}`);
        if (clientSecret !== null) console.log(`client secret (shown only now):\n\n  ${clientSecret}\n`);
      });
    },
  },
  connections: {
    summary:
      'WeChat app connections: `connections list`, `connections apply <file.yaml|json>` (idempotent), `connections demo` (the sandbox demo apps, for a standalone `weunion sandbox`).',
    async run(args: string[]): Promise<void> {
      const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
      const action = positionals[0] ?? 'list';
      if (action === 'apply') {
        const file = positionals[1];
        if (file === undefined)
          throw new AppError('bad_request', 'connections apply needs a file (YAML or JSON: a list, or an object with `connections:`)');
        const connections = parseDeclaredConnections(readDeclarations(file), file);
        const config = loadConfig();
        const outcomes = await withDatabase(async (database) => {
          const applied = await applyConnections(database.db, loadSecretBox(config), connections, 'api');
          if (applied.some((a) => a.outcome !== 'unchanged')) await announceCatalogChange(database, config);
          return applied;
        });
        for (const { id, outcome } of outcomes) console.log(`${outcome.padEnd(9)}  ${id}`);
        return;
      }
      if (action === 'demo') {
        // What sandbox mode seeds by itself; with SANDBOX=off and a standalone sandbox, on request.
        const config = loadConfig();
        const seeded = await withDatabase(async (database) => {
          const added = await seedSandboxConnections(database.db, loadSecretBox(config));
          if (added.length > 0) await announceCatalogChange(database, config);
          return added;
        });
        console.log(seeded.length === 0 ? 'the demo connections are there already' : `added ${seeded.join(', ')}`);
        return;
      }
      if (action !== 'list') throw new AppError('bad_request', `unknown connections action "${action}" (list, apply or demo)`);
      await withDatabase(async (database) => {
        for (const c of await listConnections(database.db)) {
          console.log(
            `${c.id}  ${c.appType}  ${c.appid}  ${c.scenarios.join(',')}  ${c.openPlatformId ?? '(no Open Platform account)'}  secret ${c.secretSet ? 'set' : 'missing'}`,
          );
        }
      });
    },
  },
};

function parsePolicyFlag(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('bad_request', `--policy must be JSON, e.g. '{"registration":"deny"}'`);
  }
}

function readDeclarations(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(path.resolve(file), 'utf8');
  } catch (error) {
    throw new AppError('bad_request', `${file} cannot be read (${error instanceof Error ? error.message : String(error)})`);
  }
  let parsed: unknown;
  try {
    parsed = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new AppError(
      'bad_request',
      `${file} is not valid: ${error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)}`,
    );
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && 'connections' in parsed) return parsed.connections;
  return parsed;
}

/** Running instances cache connections: tell them (through Redis; on SQLite they notice by themselves). */
async function announceCatalogChange(database: Database, config: Config): Promise<void> {
  const state = await openServiceState(config);
  try {
    await catalogChanged(database.db, state);
  } finally {
    await state.close();
  }
}

/**
 * Connections that exist because configuration says so: the `connections:` section of the config
 * file (applied on every start, so the file is the truth for what it declares), and in sandbox mode
 * the demo world's apps (seeded once; an admin's later changes to them are kept).
 */
import { AppError } from '@weunion/errors';
import { DEMO_APPS, DEMO_OPEN_PLATFORM, type DemoApp } from '@weunion/sandbox/public-world';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Config } from '../config/index.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import type { SecretBox } from '../secrets/master-key.ts';
import { isUniqueViolation } from '../storage/database.ts';
import type { Tables } from '../storage/schema.ts';
import { type ConnectionInput, connectionInputSchema, type ScenarioId } from './schema.ts';
import { type UpsertOutcome, upsertConnection } from './store.ts';

export const declaredConnectionsSchema = z.array(connectionInputSchema);

/** Parses a list of connections (the config file section, or a file given to the CLI). */
export function parseDeclaredConnections(value: unknown, where: string): ConnectionInput[] {
  const result = declaredConnectionsSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    throw new AppError('config_invalid', `${where}: connections.${path} ${issue?.message ?? 'is not valid'}`);
  }
  const ids = new Set<string>();
  for (const connection of result.data) {
    if (ids.has(connection.id)) throw new AppError('config_invalid', `${where}: connection ${connection.id} is declared twice`);
    ids.add(connection.id);
  }
  return result.data;
}

export async function applyConnections(
  db: Kysely<Tables>,
  secrets: SecretBox,
  connections: ConnectionInput[],
  source: 'config' | 'api',
): Promise<{ id: string; outcome: UpsertOutcome }[]> {
  const outcomes: { id: string; outcome: UpsertOutcome }[] = [];
  for (const connection of connections) {
    const apply = () => upsertConnection(db, secrets, connection, { source, actor: SYSTEM_ACTOR });
    // Instances starting together race to insert the same declared row; the loser applies again
    // and finds it there.
    const { outcome } = await apply().catch((error: unknown) => {
      if (isUniqueViolation(error)) return apply();
      throw error;
    });
    outcomes.push({ id: connection.id, outcome });
  }
  return outcomes;
}

const DEMO_SCENARIOS: Record<DemoApp['key'], ScenarioId[]> = {
  officialAccount: ['s1', 's4'],
  miniProgram: ['s3', 's5', 's7'],
  website: ['s2'],
  mobileApp: ['s6', 's7'],
};

const DEMO_IDS: Record<DemoApp['key'], string> = {
  officialAccount: 'demo-official-account',
  miniProgram: 'demo-mini-program',
  website: 'demo-website',
  mobileApp: 'demo-mobile-app',
};

/** The demo world's apps as connections, one per app type, together serving all seven scenarios. */
export function demoConnections(): ConnectionInput[] {
  return DEMO_APPS.map((app) =>
    connectionInputSchema.parse({
      id: DEMO_IDS[app.key],
      name: app.name,
      appType: app.type,
      appid: app.appid,
      secret: app.secret,
      ...(app.token === undefined ? {} : { token: app.token }),
      ...(app.encodingAesKey === undefined ? {} : { encodingAesKey: app.encodingAesKey }),
      ...(app.originalId === undefined ? {} : { originalId: app.originalId }),
      openPlatformId: app.openPlatformId === null ? null : DEMO_OPEN_PLATFORM.id,
      scenarios: DEMO_SCENARIOS[app.key],
    }),
  );
}

/** Seeds the demo connections that are missing (by appid); existing ones, edited or not, are left alone. */
export async function seedSandboxConnections(db: Kysely<Tables>, secrets: SecretBox): Promise<string[]> {
  const seeded: string[] = [];
  for (const connection of demoConnections()) {
    const existing = await db
      .selectFrom('connections')
      .select('id')
      .where((eb) => eb.or([eb('appid', '=', connection.appid), eb('id', '=', connection.id)]))
      .executeTakeFirst();
    if (existing !== undefined) continue;
    try {
      await upsertConnection(db, secrets, connection, { source: 'sandbox', actor: SYSTEM_ACTOR });
      seeded.push(connection.id);
    } catch (error) {
      // Another instance starting at the same moment seeded it first.
      if (!isUniqueViolation(error)) throw error;
    }
  }
  return seeded;
}

/** What `startService` runs: the config file's connections, then (sandbox mode) the demo ones. */
export async function applyConnectionsAtStart(
  db: Kysely<Tables>,
  secrets: SecretBox,
  config: Config,
): Promise<{ declared: { id: string; outcome: UpsertOutcome }[]; seeded: string[] }> {
  const section = config.file.connections;
  const declared =
    section === undefined ? [] : await applyConnections(db, secrets, parseDeclaredConnections(section, 'config file'), 'config');
  const seeded = config.sandbox === 'off' ? [] : await seedSandboxConnections(db, secrets);
  return { declared, seeded };
}

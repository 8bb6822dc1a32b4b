/**
 * What an operator sets up once before the benches' OIDC logins: migrations, the sandbox's demo
 * connections and a confidential web application whose only way in is S2. Done on the database
 * the server in `env` (bench/processes.ts `serverEnv`) will open, before it starts.
 */
import { loadConfig } from '../packages/server/src/config/index.ts';
import { seedSandboxConnections } from '../packages/server/src/connections/declared.ts';
import { applicationInputSchema, createApplication } from '../packages/server/src/oidc/applications.ts';
import { oidcDb } from '../packages/server/src/oidc/tables.ts';
import { loadSecretBox } from '../packages/server/src/secrets/master-key.ts';
import { migrateToLatest, openDatabase } from '../packages/server/src/storage/index.ts';

export async function setUpBenchApplication(
  env: Record<string, string>,
  redirectUri: string,
): Promise<{ clientId: string; clientSecret: string }> {
  const config = loadConfig(env);
  const database = await openDatabase(config.databaseUrl);
  try {
    await migrateToLatest(database);
    const secrets = loadSecretBox(config);
    await seedSandboxConnections(database.db, secrets);
    const clientId = `bench-${process.pid}`;
    const application = await createApplication(
      oidcDb(database.db),
      secrets,
      applicationInputSchema.parse({ id: clientId, name: 'Bench', type: 'web', redirectUris: [redirectUri], scenarios: ['s2'] }),
    );
    return { clientId, clientSecret: application.clientSecret ?? '' };
  } finally {
    await database.close();
  }
}

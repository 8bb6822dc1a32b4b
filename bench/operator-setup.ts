/**
 * What an operator sets up once before the benches' OIDC logins: migrations, the sandbox's demo
 * connections and a confidential web application whose only way in is S2. Done on the database
 * the server in `env` (bench/processes.ts `serverEnv`) will open, before it starts, with the code of
 * that server's checkout.
 */
import path from 'node:path';

type Modules = [
  typeof import('../packages/server/src/config/index.ts'),
  typeof import('../packages/server/src/connections/declared.ts'),
  typeof import('../packages/server/src/oidc/applications.ts'),
  typeof import('../packages/server/src/oidc/tables.ts'),
  typeof import('../packages/server/src/secrets/master-key.ts'),
  typeof import('../packages/server/src/storage/index.ts'),
];

export async function setUpBenchApplication(
  env: Record<string, string>,
  redirectUri: string,
  /** The checkout whose server will open the database (`bench/run.ts --against`): its own migrations. */
  root = path.join(import.meta.dirname, '..'),
): Promise<{ clientId: string; clientSecret: string }> {
  const source = (file: string) => import(path.join(root, 'packages/server/src', file));
  const [
    { loadConfig },
    { seedSandboxConnections },
    { applicationInputSchema, createApplication },
    { oidcDb },
    { loadSecretBox },
    storage,
  ] = (await Promise.all(
    [
      'config/index.ts',
      'connections/declared.ts',
      'oidc/applications.ts',
      'oidc/tables.ts',
      'secrets/master-key.ts',
      'storage/index.ts',
    ].map(source),
  )) as Modules;
  const { migrateToLatest, openDatabase } = storage;
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

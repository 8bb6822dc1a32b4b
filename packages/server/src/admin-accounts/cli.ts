/**
 * `weunion admins …`: console accounts managed from the deployment's shell — the way the first
 * administrator is made, and the way back in when the only one is locked out. Passwords come from
 * a hidden prompt on a terminal or one line of stdin (`--password-stdin`), never from argv, where
 * `ps` and shell history would keep them.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { AppError } from '@weunion/errors';
import { loadConfig } from '../config/index.ts';
import { loginAttemptsKey } from '../console/login-limits.ts';
import { type Actor, recordAudit } from '../identity/audit.ts';
import { loadSecretBox, type SecretBox } from '../secrets/master-key.ts';
import { type Database, migrateToLatest, openDatabase } from '../storage/index.ts';
import { openServiceState } from '../storage/shared-state.ts';
import {
  checkNewPassword,
  createAdminAccount,
  deleteAdminAccount,
  disableAdminTotp,
  enableAdminTotp,
  listAdminAccounts,
  normalizeUsername,
  requireAdminAccount,
  setAdminDisabled,
  setAdminPassword,
} from './store.ts';
import { newTotpSecret, totpQrTerminal, totpUri } from './totp.ts';

/** The shell: recorded in the audit log as the system, with the command as the id. */
const cliActor = (command: string): Actor => ({ kind: 'system', id: `cli:admins ${command}` });

async function withStorage<T>(work: (database: Database, secrets: SecretBox) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const database = await openDatabase(config.databaseUrl);
  try {
    await migrateToLatest(database);
    return await work(database, loadSecretBox(config));
  } finally {
    await database.close();
  }
}

/** The first line of stdin (without its line break). */
async function readStdinLine(): Promise<string> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) return line;
    return '';
  } finally {
    lines.close();
  }
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  return new Promise((resolve, reject) => {
    let value = '';
    process.stderr.write(question);
    input.setRawMode(true);
    input.resume();
    input.setEncoding('utf8');
    const finish = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (error === undefined) resolve(value);
      else reject(error);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new AppError('bad_request', 'cancelled'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else if (char >= ' ') value += char;
      }
    };
    input.on('data', onData);
  });
}

/** The new password: one line of stdin, or typed twice at a hidden prompt. */
async function readNewPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    const password = await readStdinLine();
    checkNewPassword(password);
    return password;
  }
  if (!process.stdin.isTTY) {
    throw new AppError('bad_request', 'no terminal to ask for the password on; pipe it in with --password-stdin');
  }
  const password = await promptHidden('Password (at least 10 characters): ');
  checkNewPassword(password);
  if ((await promptHidden('Repeat the password: ')) !== password) throw new AppError('bad_request', 'the passwords differ');
  return password;
}

async function printTotpEnrolment(secret: string, username: string): Promise<void> {
  const uri = totpUri(secret, username);
  console.log(`TOTP is on for ${username}. Scan this with an authenticator app, or enter the secret ${secret}:\n`);
  console.log(await totpQrTerminal(uri));
  console.log(`  ${uri}\n`);
}

const USAGE =
  'admins create <username> [--display-name X] [--password-stdin] [--totp] | list | password <username> [--password-stdin] | totp <username> --enable|--disable | disable|enable|delete|unlock <username>';

const ACTIONS = new Set(['create', 'list', 'password', 'totp', 'disable', 'enable', 'delete', 'unlock']);

export const adminAccountCommands = {
  admins: {
    summary: `Admin console accounts: \`${USAGE}\`.`,
    async run(args: string[]): Promise<void> {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: {
          'display-name': { type: 'string' },
          'password-stdin': { type: 'boolean' },
          totp: { type: 'boolean' },
          enable: { type: 'boolean' },
          disable: { type: 'boolean' },
        },
      });
      const [action = 'list', username] = positionals;
      if (!ACTIONS.has(action)) throw new AppError('bad_request', `unknown admins action "${action}" (${USAGE})`);
      if (action === 'list') {
        await withStorage(async (database) => {
          const accounts = await listAdminAccounts(database.db);
          if (accounts.length === 0) console.log('no admin accounts yet: weunion admins create <username>');
          for (const a of accounts) {
            const state = a.disabledAt === null ? 'enabled ' : 'disabled';
            const login = a.lastLoginAt === null ? 'never signed in' : `last sign-in ${new Date(a.lastLoginAt).toISOString()}`;
            console.log(
              `${a.id}  ${a.username}  ${state}  ${a.totpEnabled ? 'totp' : 'no totp'}  ${login}${a.displayName ? `  ${a.displayName}` : ''}`,
            );
          }
        });
        return;
      }
      if (username === undefined) throw new AppError('bad_request', `admins ${action} needs a username (${USAGE})`);
      if (action === 'create') {
        // Check the name, then ask for the password before opening the database: nothing is written
        // if the prompt is abandoned, and nobody types a password for a name that cannot exist.
        normalizeUsername(username);
        const password = await readNewPassword(values['password-stdin'] === true);
        const totpSecret = values.totp === true ? newTotpSecret() : undefined;
        const account = await withStorage((database, secrets) =>
          createAdminAccount(
            database.db,
            secrets,
            { username, displayName: values['display-name'] ?? null, password, ...(totpSecret === undefined ? {} : { totpSecret }) },
            cliActor('create'),
          ),
        );
        console.log(`created admin ${account.username} (${account.id}); sign in at the console: /console/`);
        if (totpSecret !== undefined) await printTotpEnrolment(totpSecret, account.username);
        return;
      }
      if (action === 'password') {
        const password = await readNewPassword(values['password-stdin'] === true);
        await withStorage(async (database) => {
          const account = await requireAdminAccount(database.db, username);
          await setAdminPassword(database.db, account.id, password, cliActor('password'));
          console.log(`password changed for ${account.username}`);
        });
        return;
      }
      if (action === 'unlock') {
        // Sign-in attempts are counted in the shared state every instance sees (console/login-limits.ts).
        await withStorage(async (database) => {
          const account = await requireAdminAccount(database.db, username);
          const state = await openServiceState(loadConfig());
          try {
            await state.delete(loginAttemptsKey(account.username));
          } finally {
            await state.close();
          }
          await recordAudit(database.db, { actor: cliActor('unlock'), action: 'admin_account.unlocked', subjectId: account.id });
          console.log(
            `${account.username}: sign-in attempts from all addresses cleared (an address that failed 10 times itself still waits out its 15 minutes)`,
          );
        });
        return;
      }
      await withStorage(async (database, secrets) => {
        const account = await requireAdminAccount(database.db, username);
        if (action === 'totp') {
          if (values.enable === values.disable) throw new AppError('bad_request', 'admins totp needs exactly one of --enable or --disable');
          if (values.disable === true) {
            await disableAdminTotp(database.db, account.id, cliActor('totp'));
            console.log(`TOTP is off for ${account.username}`);
          } else {
            const secret = newTotpSecret();
            await enableAdminTotp(database.db, secrets, account.id, secret, cliActor('totp'));
            await printTotpEnrolment(secret, account.username);
          }
        } else if (action === 'disable' || action === 'enable') {
          await setAdminDisabled(database.db, account.id, action === 'disable', cliActor(action));
          console.log(`${account.username} is ${action}d${action === 'disable' ? '; its console sessions have ended' : ''}`);
        } else if (action === 'delete') {
          await deleteAdminAccount(database.db, account.id, cliActor('delete'));
          console.log(`deleted ${account.username}`);
        } else {
          throw new AppError('bad_request', `unknown admins action "${action}" (${USAGE})`);
        }
      });
    },
  },
};

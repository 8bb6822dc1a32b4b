/**
 * Signing in to the console: on first run the page says how to create an administrator with the
 * CLI; an account with TOTP is asked for its code after the password, a wrong code is refused in
 * words, the current code signs in, and signing out ends the session. A console opened at another
 * name of the server than PUBLIC_URL says why sign-in cannot work there and links to the right address.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../packages/server/src/admin-accounts/totp.ts';
import { chromiumPath } from './browser.ts';
import { type ConsoleWorld, consoleSnapshot, runCli, signIn, startConsoleWorld } from './console.ts';

describe.skipIf(chromiumPath === undefined)('console sign-in', () => {
  let world: ConsoleWorld;

  beforeAll(async () => {
    world = await startConsoleWorld({ withAdmin: false });
  });
  afterEach(() => {
    expect(world.pageErrors).toEqual([]);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('first run: the page shows the command that creates an administrator, then that administrator signs in', async () => {
    const page = await world.newPage();
    await page.goto(`${world.url}/console/`);
    await expect.poll(() => page.getByRole('status').textContent()).toContain('npm run weunion -- admins create <username>');
    await consoleSnapshot(page, 'sign-in-first-run');

    await runCli(world.env, ['admins', 'create', world.admin.username, '--password-stdin'], `${world.admin.password}\n`);
    await page.reload();
    await expect.poll(() => page.getByLabel('Username').isVisible()).toBe(true);
    expect(await page.getByText('admins create').count()).toBe(0);
    await signIn(page, world);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in to weunion' }).isVisible()).toBe(true);
    const session = await page.request.get(`${world.url}/console/api/session`);
    expect(session.status()).toBe(401);
  });

  it('an account with TOTP is asked for its code; a wrong code is refused, the current one signs in', async () => {
    const username = 'ops-totp';
    const password = 'another long passphrase';
    const created = await runCli(world.env, ['admins', 'create', username, '--password-stdin', '--totp'], `${password}\n`);
    const secret = /secret ([A-Z2-7]+)/.exec(created)?.[1];
    expect(secret).toBeDefined();

    const page = await world.newPage();
    await page.goto(`${world.url}/console/`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const code = page.getByLabel('Authenticator code');
    await expect.poll(() => code.isVisible()).toBe(true);
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('autocomplete'))).toBe('one-time-code');

    // A code no step around now has (the server allows for a little clock drift).
    const near = [-60_000, -30_000, 0, 30_000, 60_000].map((drift) => totpCode(secret ?? '', Date.now() + drift));
    await code.fill(['000000', '111111', '222222', '333333', '444444', '555555'].find((wrong) => !near.includes(wrong)) ?? '');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('That code is not right');
    await consoleSnapshot(page, 'sign-in-totp-wrong');

    await code.fill(totpCode(secret ?? ''));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByText(`Signed in as ${username}`).isVisible()).toBe(true);
  });

  it('opened at another address than PUBLIC_URL, the page says so, explains the refused sign-in and links to PUBLIC_URL', async () => {
    // The harness serves at http://127.0.0.1:PORT (PUBLIC_URL); localhost reaches the same server.
    const other = world.url.replace('127.0.0.1', 'localhost');
    expect(other).not.toBe(world.url);
    const page = await world.newPage();
    await page.goto(`${other}/console/`);
    const notice = page.getByRole('alert');
    await expect.poll(() => notice.textContent()).toContain(`This page is open at ${other}`);
    expect(await notice.textContent()).toContain('set PUBLIC_URL');
    const link = notice.getByRole('link', { name: `${world.url}/console/` });
    expect(await link.getAttribute('href')).toBe(`${world.url}/console/`);
    await consoleSnapshot(page, 'sign-in-wrong-origin');

    await page.getByLabel('Username').fill(world.admin.username);
    await page.getByLabel('Password').fill(world.admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('The server refused this');
    expect(page.url()).toBe(`${other}/console/`);

    await page.getByRole('link', { name: `${world.url}/console/` }).click();
    await expect.poll(() => page.url()).toBe(`${world.url}/console/`);
    await expect.poll(() => page.getByLabel('Username').isVisible()).toBe(true);
    expect(await page.getByText('PUBLIC_URL').count()).toBe(0);
    await signIn(page, world);
  });
});

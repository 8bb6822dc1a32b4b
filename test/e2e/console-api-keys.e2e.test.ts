/**
 * An admin gives a backend access to the management API from the console: creates an API key (its
 * value shown once), the backend calls the API with it, then the admin revokes it through the
 * confirm dialog and the same call is refused. The audit log names the admin for both changes.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { chromiumPath } from './browser.ts';
import { consoleSnapshot, setUpConsoleWorld, signIn } from './console.ts';

const adminKeysSchema = z.object({ adminKeys: z.array(z.object({ id: z.string(), name: z.string(), revokedAt: z.number().nullable() })) });
const auditSchema = z.object({
  entries: z.array(
    z.object({ action: z.string(), subjectId: z.string().nullable(), actor: z.object({ kind: z.string(), name: z.string().nullable() }) }),
  ),
});

describe.skipIf(chromiumPath === undefined)('console: API keys', () => {
  const world = setUpConsoleWorld();

  /** The management API with the page's console session (GET needs no CSRF token). */
  async function managementGet(page: Page, route: string): Promise<unknown> {
    const response = await page.request.get(`${world().url}/api/v1${route}`);
    expect(response.status(), `GET ${route}`).toBe(200);
    return response.json();
  }

  /** What a backend does with the key: a plain HTTP call, no cookie. */
  async function listUsersWith(key: string): Promise<number> {
    const response = await fetch(`${world().url}/api/v1/users`, { headers: { authorization: `Bearer ${key}` } });
    await response.body?.cancel();
    return response.status;
  }

  it('a key made in the console works for a backend until it is revoked there, and the audit log names the admin', async () => {
    const page = await world().newPage();
    await signIn(page, world());
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'API keys', level: 1 }).isVisible()).toBe(true);
    await expect.poll(() => page.getByText('No API keys yet.', { exact: false }).isVisible()).toBe(true);
    expect(await page.getByRole('link', { name: 'API reference (OpenAPI)' }).getAttribute('href')).toBe('/api/v1/openapi.json');

    // Create: a name, then the key itself, once, with the warning.
    await page.getByRole('button', { name: 'Create key' }).first().click();
    const form = page.getByRole('dialog', { name: 'Create an API key' });
    await form.getByLabel('Name').fill('CRM sync');
    await consoleSnapshot(page, 'api-keys-01-create');
    await form.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('dialog', { name: 'Copy the new key now' });
    await expect.poll(() => shown.isVisible()).toBe(true);
    expect(await shown.getByRole('alert').textContent()).toContain('only time weunion shows this key');
    const key = await shown.getByLabel('API key').inputValue();
    expect(key).toMatch(/^wu_[A-Za-z0-9_-]{43}$/);
    expect(await shown.getByRole('button', { name: 'Copy' }).isVisible()).toBe(true);
    await consoleSnapshot(page, 'api-keys-02-key-once');
    await shown.getByRole('button', { name: 'I have stored it' }).click();
    await expect.poll(() => shown.count()).toBe(0);

    // Listed by name and prefix, never the key; active.
    const row = page.getByRole('row').filter({ hasText: 'CRM sync' });
    await expect.poll(() => row.count()).toBe(1);
    const rowText = (await row.textContent()) ?? '';
    expect(rowText).toContain(`${key.slice(0, 9)}…`);
    expect(rowText).not.toContain(key);
    expect(rowText).toContain('Active');
    expect(rowText).toContain('Never');
    expect(await page.content()).not.toContain(key);

    // A backend calls the management API with it.
    expect(await listUsersWith(key)).toBe(200);

    // Revoke, after reading what it does; the key stays listed as revoked.
    await row.getByRole('button', { name: 'Revoke CRM sync' }).click();
    const confirmation = page.getByRole('alertdialog', { name: 'Revoke the API key “CRM sync”?' });
    await expect.poll(() => confirmation.textContent()).toContain(`${key.slice(0, 9)}…`);
    await consoleSnapshot(page, 'api-keys-03-revoke-confirm');
    await confirmation.getByRole('button', { name: 'Revoke key' }).click();
    await expect.poll(() => row.textContent()).toContain('Revoked');
    expect(await row.getByRole('button', { name: 'Revoke CRM sync' }).count()).toBe(0);
    // The call made with it shows as its last use.
    expect(await row.textContent()).not.toContain('Never');
    await consoleSnapshot(page, 'api-keys-04-revoked');

    expect(await listUsersWith(key)).toBe(401);

    const [stored] = adminKeysSchema.parse(await managementGet(page, '/admin-keys')).adminKeys;
    expect(stored).toMatchObject({ name: 'CRM sync', revokedAt: expect.any(Number) });
    const entries = auditSchema.parse(await managementGet(page, `/audit-log?subjectId=${stored?.id ?? ''}`)).entries;
    expect(entries.map((entry) => [entry.action, entry.actor.kind, entry.actor.name])).toEqual([
      ['admin_key.revoked', 'admin', world().admin.username],
      ['admin_key.created', 'admin', world().admin.username],
    ]);

    // The same page in Chinese: the revoked key, labelled as such.
    await page.goto(`${world().url}/console/api-keys?lang=zh-CN`);
    await expect.poll(() => page.getByRole('heading', { name: 'API 密钥', level: 1 }).isVisible()).toBe(true);
    await expect.poll(() => page.getByRole('row').filter({ hasText: 'CRM sync' }).textContent()).toContain('已吊销');
    await consoleSnapshot(page, 'api-keys-05-zh-CN');
  });
});

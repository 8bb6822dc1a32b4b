/**
 * An admin lets a site on another origin embed the login for an application: the application page
 * lists the origins its redirect URIs give it, takes other origins one per line, refuses one with a
 * path (with the server's own words, nothing saved), and what it saves is what the API answers
 * (in the server's order, sorted).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { chromiumPath } from './browser.ts';
import { consoleSnapshot, runCli, setUpConsoleWorld, signIn } from './console.ts';

const webOriginsSchema = z.object({ derived: z.array(z.string()), explicit: z.array(z.string()), effective: z.array(z.string()) });

describe.skipIf(chromiumPath === undefined)('console: web origins', () => {
  const world = setUpConsoleWorld();

  it('adds and removes origins on the application page, refusing one with a path', async () => {
    await runCli(world().env, [
      'applications',
      'create',
      '--id',
      'shop',
      '--name',
      'Shop',
      '--type',
      'spa',
      '--redirect-uri',
      'https://shop.example.com/callback',
    ]);
    const page = await world().newPage();
    await signIn(page, world());
    await page.goto(`${world().url}/console/applications/shop`);
    const section = page.getByRole('region', { name: 'Web origins' });
    await expect.poll(() => section.isVisible()).toBe(true);
    await expect.poll(() => section.getByRole('listitem').allTextContents()).toEqual(['https://shop.example.com']);

    const field = section.getByLabel('Other origins, one per line');
    await field.fill('https://m.shop.example.com/path');
    await section.getByRole('button', { name: 'Save web origins' }).click();
    await expect.poll(() => section.locator('.field-error').textContent()).toBeTruthy();
    const read = async () => {
      const response = await page.request.get(`${world().url}/api/v1/applications/shop/web-origins`);
      expect(response.status()).toBe(200);
      return webOriginsSchema.parse(await response.json());
    };
    expect((await read()).explicit).toEqual([]);

    await field.fill('https://m.shop.example.com\n\n  http://localhost:5173  \n');
    await section.getByRole('button', { name: 'Save web origins' }).click();
    await expect.poll(async () => (await read()).explicit).toEqual(['http://localhost:5173', 'https://m.shop.example.com']);
    expect((await read()).effective).toEqual(
      expect.arrayContaining(['https://shop.example.com', 'https://m.shop.example.com', 'http://localhost:5173']),
    );
    // The form shows the saved list once the page has the server's answer (a moment after the API has it).
    await expect.poll(() => field.inputValue()).toBe('http://localhost:5173\nhttps://m.shop.example.com');
    await consoleSnapshot(page, 'web-origins-01-saved');

    // Removing one is saving the list without it; the page in Chinese shows the same list.
    await field.fill('http://localhost:5173');
    await section.getByRole('button', { name: 'Save web origins' }).click();
    await expect.poll(async () => (await read()).explicit).toEqual(['http://localhost:5173']);
    await page.goto(`${world().url}/console/applications/shop?lang=zh-CN`);
    const zh = page.getByRole('region', { name: '网页来源（Web origins）' });
    await expect.poll(() => zh.getByLabel('其他来源，每行一个').inputValue()).toBe('http://localhost:5173');
    await consoleSnapshot(page, 'web-origins-02-zh-CN');
  });
});

/**
 * An admin imports people from the console: People → Import / export, chooses a CSV file, reads the
 * dry-run report (two records sharing a unionid: a conflict, never merged), imports it and watches
 * it finish, finds an imported person, and downloads the export, which holds them with their WeChat
 * identities. The same page in Chinese. The CLI (same configuration as `serve`) dry-runs an Authing
 * export against the same deployment.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromiumPath } from './browser.ts';
import { consoleSnapshot, runCli, setUpConsoleWorld, signIn } from './console.ts';

const HEADER =
  'id,external_source,external_id,status,name,nickname,picture,gender,locale,phone,phone_verified,email,email_verified,appid,openid,unionid';

describe.skipIf(chromiumPath === undefined)('console: importing and exporting people', () => {
  const world = setUpConsoleWorld();

  it('a CSV file is checked (dry run), imported with its progress shown, and comes back in the export', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'weunion-import-e2e-'));
    const csv = path.join(dir, 'crm-people.csv');
    writeFileSync(
      csv,
      [
        HEADER,
        ',crm,c-1,active,Mei Chen,Mei,,,,+8613711110001,true,mei@example.com,true,wxd00000000000b002,oCrmMp00000000001,oCrmUnion00000001',
        ',crm,c-1,active,Mei Chen,Mei,,,,+8613711110001,true,mei@example.com,true,wxd00000000000c003,oCrmWeb00000000001,oCrmUnion00000001',
        ',crm,c-2,active,Jun Li,Jun,,,,,,,,wxd00000000000b002,oCrmMp00000000002,oCrmUnion00000002',
        ',crm,c-3,active,Jun Li (old),,,,,,,,,wxd00000000000c003,oCrmWeb00000000003,oCrmUnion00000002',
      ].join('\n'),
    );
    const page = await world().newPage();
    await signIn(page, world());
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' }).click();
    await page.getByRole('link', { name: 'Import / export' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Import and export people', level: 1 }).isVisible()).toBe(true);

    await page.getByLabel('File', { exact: true }).setInputFiles(csv);
    await page.getByRole('button', { name: 'Check the file (dry run)' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'What the import will do' }).isVisible()).toBe(true);
    const stat = (label: string) =>
      page
        .locator('.import-stats div')
        .filter({ has: page.getByText(label, { exact: true }) })
        .locator('dd')
        .textContent();
    expect(await stat('Records')).toBe('3');
    expect(await stat('New people')).toBe('3');
    expect(await stat('Conflicts')).toBe('1');
    expect(await stat('Merge suggestions')).toBe('1');
    const conflict = page.getByRole('row').filter({ hasText: 'crm:c-3' });
    expect(await conflict.textContent()).toContain('belongs to another account');
    expect(await page.getByRole('link', { name: 'Review merge suggestions' }).isVisible()).toBe(true);
    await consoleSnapshot(page, 'import-01-dry-run');

    // Nothing was written by the dry run.
    const none = await page.request.get(`${world().url}/api/v1/users?q=Mei`);
    expect(((await none.json()) as { users: unknown[] }).users).toEqual([]);

    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Import finished' }).isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.getByRole('status').filter({ hasText: 'records' }).textContent()).toBe('3 of 3 records');
    expect(await page.getByRole('progressbar', { name: 'Import progress' }).getAttribute('value')).toBe('3');
    await consoleSnapshot(page, 'import-02-done');

    // The imported person is found like anyone else, with both WeChat identities.
    await page.goto(`${world().url}/console/people?q=Mei`);
    await page.getByRole('link', { name: 'Mei Chen' }).click();
    await expect.poll(() => page.getByText('oCrmWeb00000000001').isVisible()).toBe(true);
    expect(await page.getByText('oCrmMp00000000001').isVisible()).toBe(true);

    // Export: the download holds them, in the format the import reads.
    await page.goto(`${world().url}/console/people/import`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^weunion-people-\d{4}-\d{2}-\d{2}\.csv$/);
    const exported = readFileSync((await download.path()) ?? '', 'utf8');
    expect(exported.split('\n')[0]).toBe(HEADER);
    expect(exported).toContain(
      ',crm,c-1,active,Mei Chen,Mei,,,,+8613711110001,true,mei@example.com,true,wxd00000000000c003,oCrmWeb00000000001,oCrmUnion00000001',
    );

    // The same page in Chinese.
    await page.goto(`${world().url}/console/people/import?lang=zh-CN`);
    await expect.poll(() => page.getByRole('heading', { name: '导入和导出用户', level: 1 }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: '检查文件（试运行）' }).isVisible()).toBe(true);
    await consoleSnapshot(page, 'import-03-zh-CN');
  });

  it('the CLI dry-runs an Authing export against the deployment `serve` runs', async () => {
    const fixtures = path.join(import.meta.dirname, '../../packages/server/src/import/fixtures');
    const out = await runCli(world().env, [
      'import',
      'authing',
      path.join(fixtures, 'authing-users.json'),
      '--mapping',
      path.join(fixtures, 'authing-mapping.json'),
      '--dry-run',
    ]);
    expect(out).toContain('DRY RUN (nothing written): 7/7 records');
    expect(out).toContain('created 6, joined 0, unchanged 0, skipped 1, conflicts 2');
  });
});

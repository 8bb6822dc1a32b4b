/**
 * Support staff untangle two accounts of one person in the console: sign in (a wrong password is
 * refused first), find a person by an openid, merge the other account in after reading the preview,
 * see both WeChat identities and the admin in the history, then undo the merge and find both people
 * separate again — in the page and in the management API.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { demoApp } from '../../packages/sandbox/src/demo-world.ts';
import { chromiumPath } from './browser.ts';
import { consoleSnapshot, setUpConsoleWorld, signIn, signInThroughApp } from './console.ts';

const userSchema = z.object({
  id: z.string(),
  status: z.string(),
  mergedInto: z.string().nullable(),
  identities: z.array(z.object({ openid: z.string() })),
});

describe.skipIf(chromiumPath === undefined)('console: find, merge and unmerge people', () => {
  const world = setUpConsoleWorld();

  /** A sandbox person who signs in once through a demo app (S5 mini program or S6 mobile app); their openid there. */
  async function personLogsIn(nickname: string, scenario: 's5' | 's6'): Promise<{ openid: string }> {
    const person = z.object({ id: z.string() }).parse(await world().sandbox('POST', '/people', { nickname }));
    const app = demoApp(scenario === 's5' ? 'miniProgram' : 'mobileApp');
    return { openid: await signInThroughApp(world(), person.id, { scenario, appid: app.appid }) };
  }

  let apiPage: Page | undefined;
  /** The management API with the console session of a signed-in page (GET needs no CSRF token). */
  async function managementGet(route: string): Promise<unknown> {
    if (apiPage === undefined) throw new Error('sign in first');
    const response = await apiPage.request.get(`${world().url}/api/v1${route}`);
    expect(response.status()).toBe(200);
    return response.json();
  }

  it('an admin finds a person by openid, merges the other account in through the preview, and undoes it', async () => {
    const han = await personLogsIn('Han Meimei', 's6');
    const li = await personLogsIn('Li Lei', 's5');

    const page = await world().newPage();
    apiPage = page;

    // A wrong password is refused with a message; the right one opens the console.
    await page.goto(`${world().url}/console/`);
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in to weunion' }).isVisible()).toBe(true);
    await page.getByLabel('Username').fill(world().admin.username);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong username or password');
    await consoleSnapshot(page, 'people-01-wrong-password');
    await signIn(page, world());

    const users = z.object({ users: z.array(z.object({ id: z.string() })) });
    const hanId = users.parse(await managementGet(`/users?openid=${han.openid}`)).users[0]?.id ?? '';
    const liId = users.parse(await managementGet(`/users?openid=${li.openid}`)).users[0]?.id ?? '';
    expect(hanId).toMatch(/^usr_/);
    expect(liId).toMatch(/^usr_/);
    expect(hanId).not.toBe(liId);

    // People: one search box finds Han Meimei by the openid of her mobile-app login.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' }).click();
    await page.getByLabel('Search people').fill(han.openid);
    await page.getByRole('button', { name: 'Search' }).click();
    const results = page.getByRole('table', { name: 'People' });
    await expect.poll(() => results.getByRole('row').count()).toBe(2);
    await expect.poll(() => results.textContent()).toContain(hanId);
    await consoleSnapshot(page, 'people-02-found-by-openid');
    await results.getByRole('link').first().click();
    await expect.poll(() => page.url()).toContain(`/console/people/${hanId}`);
    const identities = page.getByRole('table', { name: 'WeChat identities' });
    await expect.poll(() => identities.textContent()).toContain(han.openid);

    // Merge Li Lei's account in: search, preview (what moves), confirm the sentence.
    await page.getByRole('button', { name: 'Merge another person into this one' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Find the person to merge in').fill(li.openid);
    await dialog.getByRole('button', { name: 'Search' }).click();
    await dialog.getByRole('button', { name: /^Preview merging/ }).click();
    const moving = dialog.getByRole('list', { name: 'What moves' });
    await expect.poll(() => moving.textContent()).toContain(li.openid);
    await expect.poll(() => dialog.textContent()).toContain('1 WeChat identity moves.');
    await consoleSnapshot(page, 'people-03-merge-preview');
    // A long value (the avatar URL) wraps inside its cell: the "After" column stays in the dialog,
    // on a desktop and on a phone, and the whole value is in the cell's tooltip.
    const profile = dialog.getByRole('table');
    const picture = profile.getByRole('row').filter({ hasText: 'picture' });
    expect(await picture.getByRole('cell').last().getAttribute('title')).toMatch(/^https?:\/\//);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await expect
        .poll(() =>
          dialog.evaluate((element) => {
            const box = element.getBoundingClientRect();
            const cells = [...element.querySelectorAll('table td, table th')].map((cell) => cell.getBoundingClientRect());
            return cells.every((cell) => cell.left >= box.left && cell.right <= box.right) && element.scrollWidth <= element.clientWidth;
          }),
        )
        .toBe(true);
      if (width === 390) {
        await profile.scrollIntoViewIfNeeded();
        await consoleSnapshot(page, 'people-03-merge-preview-narrow');
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    // Han and Li are two WeChat people of the same Open Platform account: the preview says so, and
    // the merge stays disabled until the admin confirms they are one person.
    await expect.poll(() => dialog.textContent()).toContain('hold different WeChat people of the same app or Open Platform account');
    const mergeButton = dialog.getByRole('button', { name: 'Merge', exact: true });
    expect(await mergeButton.isDisabled()).toBe(true);
    await dialog.getByLabel('I understand: merge two WeChat people into one account').check();
    await mergeButton.click();
    const confirmation = page.getByRole('alertdialog');
    await expect.poll(() => confirmation.textContent()).toMatch(/Merge .+ into .+: 1 WeChat identity moves\./);
    await consoleSnapshot(page, 'people-04-merge-confirm');
    await confirmation.getByRole('button', { name: 'Merge', exact: true }).click();

    // Both identities on one person; the history names the admin who did it.
    await expect.poll(() => identities.getByRole('row').count()).toBe(3);
    await expect.poll(() => identities.textContent()).toContain(li.openid);
    const history = page.getByRole('region', { name: 'History', exact: true });
    await expect.poll(() => history.textContent()).toContain(`Admin ${world().admin.username}`);
    await expect.poll(() => history.textContent()).toContain('user.merged');
    await consoleSnapshot(page, 'people-05-merged');
    const merged = userSchema.parse(await managementGet(`/users/${liId}`));
    expect(merged.status).toBe('merged');
    expect(merged.mergedInto).toBe(hanId);

    // Undo: both people separate again.
    await page.getByRole('region', { name: 'Merge history' }).getByRole('button', { name: 'Undo merge' }).click();
    const undo = page.getByRole('alertdialog');
    await expect.poll(() => undo.textContent()).toContain('restored exactly as before the merge');
    await undo.getByRole('button', { name: 'Undo merge' }).click();
    await expect.poll(() => identities.getByRole('row').count()).toBe(2);
    await expect.poll(() => identities.textContent()).not.toContain(li.openid);
    await expect.poll(() => page.getByRole('region', { name: 'Merge history' }).textContent()).toContain('Undone');
    await consoleSnapshot(page, 'people-06-unmerged');

    // Li Lei is found on his own again, active, with his identity.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' }).click();
    await page.getByLabel('Search people').fill(li.openid);
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => results.textContent()).toContain(liId);
    await expect.poll(() => results.textContent()).toContain('Active');

    const hanAfter = userSchema.parse(await managementGet(`/users/${hanId}`));
    const liAfter = userSchema.parse(await managementGet(`/users/${liId}`));
    expect(hanAfter.identities.map((identity) => identity.openid)).toEqual([han.openid]);
    expect(liAfter).toMatchObject({ status: 'active', mergedInto: null });
    expect(liAfter.identities.map((identity) => identity.openid)).toEqual([li.openid]);
  });

  it('the overview charts the logins by scenario and by WeChat app, with the numbers as tables', async () => {
    // The two logins of the test above: Han Meimei through the mobile app (S6), Li Lei through the mini program (S5).
    const page = await world().newPage();
    await signIn(page, world());
    await expect.poll(() => page.getByRole('heading', { name: 'Overview', level: 1 }).isVisible()).toBe(true);
    const logins = page.locator('.stats > div').filter({ has: page.getByText('Logins', { exact: true }) });
    await expect.poll(() => logins.locator('dd').textContent()).toBe('2');
    const byScenario = page.getByRole('table', { name: 'Logins per day by scenario' });
    await expect.poll(() => byScenario.locator('thead').textContent()).toContain('S5 · Mini program login');
    await expect.poll(() => byScenario.locator('thead').textContent()).toContain('S6 · Mobile app (OpenSDK)');
    const byApp = page.getByRole('table', { name: 'Logins per day by WeChat app' });
    await expect.poll(() => byApp.locator('thead').textContent()).toContain('Demo Mini Program');
    await page.getByLabel('Last 30 days').check();
    await expect.poll(() => byScenario.locator('tbody tr').count()).toBe(30);
    await consoleSnapshot(page, 'overview-30-days');
  });

  it('works from the keyboard, in Chinese, and folds the menu on a narrow screen', async () => {
    const page = await world().newPage({ width: 390, height: 844 });
    await signIn(page, world());
    // The skip link is the first stop and jumps past the menu.
    await page.keyboard.press('Tab');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.isVisible()).toBe(false);
    const menu = page.getByRole('button', { name: 'Menu' });
    await menu.press('Enter');
    await expect.poll(() => nav.isVisible()).toBe(true);
    await expect.poll(() => menu.getAttribute('aria-expanded')).toBe('true');
    await nav.getByRole('link', { name: 'Audit log' }).press('Enter');
    await expect.poll(() => page.getByRole('heading', { name: 'Audit log', level: 1 }).isVisible()).toBe(true);
    expect(await nav.isVisible()).toBe(false);
    // Newest first: this sign-in, then the undo of the first test's merge.
    const log = page.getByRole('table', { name: 'Audit log' });
    await expect.poll(() => log.locator(':scope > tbody > tr').first().textContent()).toContain('admin_account.signed_in');
    await expect.poll(() => log.textContent()).toContain('user.unmerged');
    await consoleSnapshot(page, 'audit-narrow');

    await page.getByLabel('Language').selectOption('zh-CN');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('审计日志');
    await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    await page.reload();
    await expect.poll(() => page.getByRole('button', { name: '退出登录' }).isVisible()).toBe(true);
    // After the reload the page itself loads on demand; the picture is of the page, not of "loading".
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('审计日志');
    await consoleSnapshot(page, 'audit-zh-CN');
  });
});

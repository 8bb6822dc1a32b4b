/**
 * Managing people in the console (issue #18), in English and Chinese, each view audited with axe:
 * an admin adds a person with a verified phone, sets their password, tries to give that phone to
 * someone else and is told who holds it (nothing moves), finds people with the filters, reads a
 * person's login history and the overall one with failures in words, and the audit log in words.
 * Then an admin turns on two-step sign-in, is shown ten recovery codes once, and signs in with one.
 */
import { createRequire } from 'node:module';
import type { AxeResults, ElementContext, RunOptions } from 'axe-core';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { demoApp } from '../../packages/sandbox/src/demo-world.ts';
import { totpCode } from '../../packages/server/src/admin-accounts/totp.ts';
import { chromiumPath } from './browser.ts';
import { consoleSnapshot, runCli, setUpConsoleWorld, signIn, signInThroughApp } from './console.ts';

declare global {
  interface Window {
    axe: { run: (context: ElementContext, options: RunOptions) => Promise<AxeResults> };
  }
}
const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const violationsSchema = z.array(z.object({ id: z.string(), impact: z.string().nullable(), targets: z.array(z.string()) }));

describe.skipIf(chromiumPath === undefined)('console: managing people', () => {
  const world = setUpConsoleWorld();

  /** A page under the real CSP except for axe's injected script (as console-accessibility does). */
  async function newPage(locale: 'en-US' | 'zh-CN', width = 1280): Promise<Page> {
    const context = await world().browser.newContext({ locale, viewport: { width, height: 900 }, baseURL: world().url, bypassCSP: true });
    const page = await context.newPage();
    page.on('pageerror', (error) => world().pageErrors.push(`${page.url()}: ${error.message}`));
    return page;
  }
  async function settled(page: Page, heading: string | RegExp): Promise<void> {
    await expect.poll(() => page.getByRole('heading', { level: 1 }).first().textContent(), { timeout: 10_000 }).toMatch(heading);
    await expect
      .poll(() => page.evaluate(() => document.querySelectorAll('.loading, [aria-busy="true"]').length), { timeout: 10_000 })
      .toBe(0);
  }
  /** No serious or critical axe violation (WCAG 2.1 A/AA) on the page as it is. */
  async function expectAccessible(page: Page, name: string): Promise<void> {
    if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE_SCRIPT });
    const found = violationsSchema.parse(
      await page.evaluate(async () => {
        const results = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
        return results.violations.map((v) => ({
          id: v.id,
          impact: v.impact ?? null,
          targets: v.nodes.map((n) => n.target.map(String).join(' ')),
        }));
      }),
    );
    const serious = found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious, `${name}: ${JSON.stringify(serious)}`).toEqual([]);
  }

  /** A sandbox person signs in through the demo mini program (S5), and a login with a code WeChat never issued fails; their openid. */
  async function loginsHappen(nickname: string): Promise<string> {
    const sandboxPerson = z.object({ id: z.string() }).parse(await world().sandbox('POST', '/people', { nickname }));
    const openid = await signInThroughApp(world(), sandboxPerson.id, { scenario: 's5', appid: demoApp('miniProgram').appid });
    const refused = await fetch(`${world().url}/api/mp/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'refused-device/1.0' },
      body: JSON.stringify({ appid: demoApp('miniProgram').appid, code: 'never-issued-code' }),
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    return openid;
  }

  it('adds a person, sets a password, refuses a held phone naming its holder, filters, and shows the histories (English)', async () => {
    // wx.login gives no profile: the person is found by their openid.
    const openid = await loginsHappen('Wang Wu');

    const page = await newPage('en-US');
    await signIn(page, world());
    await page.goto(`${world().url}/console/people`);
    await settled(page, 'People');
    await expectAccessible(page, 'people with filters');

    // Add a person with a verified phone.
    const phone = '+8613900001111';
    await page.getByRole('button', { name: 'Add person' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add person' });
    await dialog.getByLabel('Name', { exact: true }).fill('Zhang San');
    await dialog.getByLabel('Phone', { exact: true }).fill(phone);
    await dialog.getByLabel('The phone number is verified').check();
    await expectAccessible(page, 'add person dialog');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await settled(page, 'Zhang San');
    const zhangId = page.url().split('/people/')[1] ?? '';
    expect(zhangId).toMatch(/^usr_/);

    // Set a password.
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('dialog', { name: 'Set password' }).getByLabel('Password', { exact: true }).fill('a good password');
    await page.getByRole('dialog', { name: 'Set password' }).getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByText('Password set.').first().isVisible()).toBe(true);
    await expect.poll(() => page.getByRole('button', { name: 'Reset password' }).isVisible()).toBe(true);
    await expect.poll(() => page.getByRole('table', { name: 'History' }).textContent()).toContain('Password set');

    // The S5 person is found with the scenario filter; their phone cannot be Zhang San's.
    await page.goto(`${world().url}/console/people`);
    await settled(page, 'People');
    await page.getByLabel('Search people').fill(openid);
    await page.getByLabel('Signed in through').selectOption('s5');
    await page.getByLabel('Phone number').selectOption('false');
    await page.getByRole('button', { name: 'Search' }).click();
    const results = page.getByRole('table', { name: 'People' });
    await expect.poll(() => results.getByRole('row').count()).toBe(2);
    expect(await results.textContent()).not.toContain('Zhang San');
    await results.getByRole('link').first().click();
    await settled(page, /^usr_/);

    const logins = page.getByRole('table', { name: 'Login history' });
    await expect.poll(() => logins.textContent()).toContain('S5 · Mini program login');
    expect(await logins.textContent()).toContain('Signed in');

    await page.getByRole('button', { name: 'Edit profile' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit profile' });
    await edit.getByLabel('Phone', { exact: true }).fill(phone);
    await edit.getByLabel('The phone number is verified').check();
    await edit.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => edit.getByRole('alert').textContent()).toContain('already belongs to another person');
    await expect.poll(() => edit.getByRole('link', { name: `Open ${zhangId}` }).isVisible()).toBe(true);
    await expectAccessible(page, 'edit profile dialog with the conflict');
    await consoleSnapshot(page, 'people-manage-conflict');
    await edit.getByRole('button', { name: 'Cancel' }).click();
    await expectAccessible(page, 'person with login history');

    // Every login, the refused one in words, with its device.
    await page.goto(`${world().url}/console/logins?outcome=failed`);
    await settled(page, 'Login history');
    const all = page.getByRole('table', { name: 'Login history' });
    await expect.poll(() => all.textContent()).toContain('refused-device/1.0');
    expect(await all.textContent()).toMatch(/Failed/);
    expect(await all.textContent()).not.toMatch(/wechat_code_invalid|wechat_invalid_argument/);
    await expectAccessible(page, 'login history');

    await page.goto(`${world().url}/console/audit?subject=${zhangId}`);
    await settled(page, 'Audit log');
    await expect.poll(() => page.getByRole('table').textContent()).toContain('Person created');
    expect(await page.getByRole('table').textContent()).toContain('Password set');
  });

  it('the same in Chinese: filters, the add dialog, history and failure reasons in words', async () => {
    await loginsHappen('Zhao Liu');
    const page = await newPage('zh-CN', 390);
    await page.goto(`${world().url}/console/?lang=zh-CN`);
    await page.getByLabel('用户名').fill(world().admin.username);
    await page.getByLabel('密码').fill(world().admin.password);
    await page.getByRole('button', { name: '登录' }).click();
    await expect.poll(() => page.getByRole('button', { name: '退出登录' }).isVisible()).toBe(true);
    await page.goto(`${world().url}/console/people?lang=zh-CN`);
    await settled(page, '用户');
    expect(await page.getByLabel('登录方式').isVisible()).toBe(true);
    await consoleSnapshot(page, 'people-manage-zh-phone');
    await page.getByRole('button', { name: '添加用户' }).click();
    expect(await page.getByRole('dialog', { name: '添加用户' }).getByLabel('手机号已验证').isVisible()).toBe(true);
    await expectAccessible(page, 'zh-CN add dialog');
    await page.getByRole('dialog', { name: '添加用户' }).getByRole('button', { name: '取消' }).click();

    await page.goto(`${world().url}/console/logins?lang=zh-CN`);
    await settled(page, '登录记录');
    const table = page.getByRole('table', { name: '登录记录' });
    await expect.poll(() => table.textContent()).toContain('登录成功');
    expect(await table.textContent()).toContain('失败');
    expect(await table.textContent()).toContain('S5 · 小程序登录');
    await expectAccessible(page, 'zh-CN login history');
    await consoleSnapshot(page, 'people-manage-zh-logins');
    await page.goto(`${world().url}/console/audit?lang=zh-CN`);
    await settled(page, '审计日志');
    await expect.poll(() => page.getByRole('table').textContent()).toContain('管理员登录');
  });

  it('turning on two-step sign-in shows ten recovery codes once; one signs in instead of a code, once', async () => {
    const admin = { username: 'ops-recovery', password: 'recovery passphrase long' };
    await runCli(world().env, ['admins', 'create', admin.username, '--password-stdin'], `${admin.password}\n`);
    const page = await newPage('en-US');
    await signIn(page, world(), admin);
    await page.goto(`${world().url}/console/account`);
    await settled(page, 'My account');
    await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
    const key = (await page.locator('p.mono').first().textContent())?.replaceAll(' ', '') ?? '';
    await page.getByLabel('Code from the app').fill(totpCode(key));
    await page.getByRole('button', { name: 'Confirm and turn on' }).click();
    const list = page.getByRole('list', { name: 'Your recovery codes' });
    await expect.poll(() => list.getByRole('listitem').count()).toBe(10);
    const code = (await list.getByRole('listitem').first().textContent()) ?? '';
    expect(code).toMatch(/^[0-9a-z]{5}-[0-9a-z]{5}$/);
    await expectAccessible(page, 'recovery codes');
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await expect.poll(() => page.getByText('10 recovery codes left.').isVisible()).toBe(true);
    expect(await page.getByRole('list', { name: 'Your recovery codes' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Sign out' }).click();
    const again = async () => {
      await page.getByLabel('Username').fill(admin.username);
      await page.getByLabel('Password').fill(admin.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.getByLabel('Authenticator code').isVisible()).toBe(true);
      await page.getByLabel('Authenticator code').fill(code);
      await page.getByRole('button', { name: 'Sign in' }).click();
    };
    await expect.poll(() => page.getByLabel('Username').isVisible()).toBe(true);
    await again();
    await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.getByLabel('Username').isVisible()).toBe(true);
    await again();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('That code is not right');
  });
});

/**
 * The console against the WCAG 2.1 A/AA rules of axe-core: every page an admin uses (signed out and
 * in, with data in the lists, a confirmation dialog open), at desktop width, a few on a phone and in
 * Chinese. A serious or critical violation fails the test with the rule, the elements and what to
 * fix; lesser ones are printed.
 */
import { createRequire } from 'node:module';
import type { AxeResults, ElementContext, RunOptions } from 'axe-core';
import type { Page } from 'playwright-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { demoApp } from '../../packages/sandbox/src/demo-world.ts';
import { chromiumPath } from './browser.ts';
import { setUpConsoleWorld, signIn, signInThroughApp } from './console.ts';

declare global {
  interface Window {
    axe: { run: (context: ElementContext, options: RunOptions) => Promise<AxeResults> };
  }
}

/** axe-core's browser build, from node_modules: nothing is fetched while testing. */
const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const violationsSchema = z.array(
  z.object({
    id: z.string(),
    impact: z.string().nullable(),
    help: z.string(),
    helpUrl: z.string(),
    nodes: z.array(z.object({ target: z.string(), summary: z.string() })),
  }),
);
type Violation = z.infer<typeof violationsSchema>[number];

const FAILING_IMPACTS = new Set(['serious', 'critical']);

describe.skipIf(chromiumPath === undefined)('console: accessibility (axe-core, WCAG 2.1 A and AA)', () => {
  const world = setUpConsoleWorld();

  /**
   * A page whose context bypasses the console's CSP (`script-src 'self'`): Playwright injects
   * axe.min.js as an inline script, which that policy refuses. Only this audit does so; every other
   * console test runs under the real CSP and fails on any refusal.
   */
  async function auditPage({ width = 1280, height = 900, colorScheme = 'light' as 'light' | 'dark' } = {}): Promise<Page> {
    const context = await world().browser.newContext({
      locale: 'en-US',
      viewport: { width, height },
      colorScheme,
      baseURL: world().url,
      bypassCSP: true,
    });
    const page = await context.newPage();
    page.on('pageerror', (error) => world().pageErrors.push(`${page.url()}: ${error.message}`));
    return page;
  }

  /** Waits until the page named `heading` has loaded its data (no loading state left). */
  async function settled(page: Page, heading: string | RegExp): Promise<void> {
    await expect.poll(() => page.getByRole('heading', { level: 1 }).first().textContent(), { timeout: 10_000 }).toMatch(heading);
    await expect
      .poll(() => page.evaluate(() => document.querySelectorAll('.loading, [aria-busy="true"]').length), { timeout: 10_000 })
      .toBe(0);
  }

  /** Runs axe on the page as it is; the violations, each with the elements it found. */
  async function audit(page: Page): Promise<Violation[]> {
    if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE_SCRIPT });
    const found = await page.evaluate(async () => {
      // The login page preview (application form) is a sandboxed frame of the hosted page: axe
      // cannot enter it here, and the hosted page's own browser test audits that page.
      const results = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
      return results.violations.map((violation) => ({
        id: violation.id,
        impact: violation.impact ?? null,
        help: violation.help,
        helpUrl: violation.helpUrl,
        nodes: violation.nodes.map((node) => ({ target: node.target.map(String).join(' '), summary: node.failureSummary ?? '' })),
      }));
    });
    return violationsSchema.parse(found);
  }

  let failures: string[] = [];
  beforeEach(() => {
    failures = [];
  });
  /** Audits the page and records what it finds under `name`. */
  async function check(page: Page, name: string): Promise<void> {
    for (const violation of await audit(page)) {
      const where = violation.nodes.map((node) => `    ${node.target}\n      ${node.summary.replaceAll('\n', '\n      ')}`).join('\n');
      const line = `${name}: ${violation.id} (${violation.impact}) — ${violation.help} ${violation.helpUrl}\n${where}`;
      if (FAILING_IMPACTS.has(violation.impact ?? '')) failures.push(line);
      else console.warn(line);
    }
  }

  function expectNoFailures(): void {
    expect(failures.length, `serious or critical accessibility violations:\n${failures.join('\n')}`).toBe(0);
  }

  /** A sandbox person who has signed in through the demo mini program and mobile app. */
  async function personWithLogins(nickname: string): Promise<string> {
    const person = z.object({ id: z.string() }).parse(await world().sandbox('POST', '/people', { nickname }));
    await signInThroughApp(world(), person.id, { scenario: 's6', appid: demoApp('mobileApp').appid });
    return signInThroughApp(world(), person.id, { scenario: 's5', appid: demoApp('miniProgram').appid });
  }

  it('every page at desktop width, and the confirm dialog, has no serious or critical violation', async () => {
    const openid = await personWithLogins('Han Meimei');
    await personWithLogins('Li Lei');
    const page = await auditPage();

    await page.goto(`${world().url}/console/`);
    await settled(page, 'Sign in to weunion');
    await check(page, 'sign-in');

    await signIn(page, world());
    await settled(page, 'Overview');
    await check(page, 'overview');

    await page.goto(`${world().url}/console/people`);
    await settled(page, 'People');
    await page.getByLabel('Search people').fill(openid);
    await page.getByRole('button', { name: 'Search' }).click();
    const results = page.getByRole('table', { name: 'People' });
    await expect.poll(() => results.getByRole('row').count()).toBe(2);
    await check(page, 'people search');

    await results.getByRole('link').first().click();
    await settled(page, 'Han Meimei');
    await expect.poll(() => page.getByRole('table', { name: 'WeChat identities' }).textContent()).toContain(openid);
    await check(page, 'person');

    const block = page.getByRole('button', { name: 'Block', exact: true });
    await block.click();
    const confirmation = page.getByRole('alertdialog');
    await expect.poll(() => confirmation.isVisible()).toBe(true);
    await check(page, 'person, block confirmation open');
    // Focus starts on the harmless choice, Tab stays inside the dialog, Esc closes it and returns
    // focus to the button that opened it.
    const focused = () =>
      page.evaluate(() => (document.activeElement?.closest('[role="alertdialog"]') ? document.activeElement.textContent : 'outside'));
    await expect.poll(focused).toBe('Cancel');
    const stops: (string | null)[] = [];
    for (let step = 0; step < 4; step++) {
      await page.keyboard.press('Tab');
      stops.push(await focused());
    }
    expect(stops).not.toContain('outside');
    expect(stops).toContain('Block');
    await page.keyboard.press('Escape');
    await expect.poll(() => confirmation.count()).toBe(0);
    await expect.poll(() => block.evaluate((button) => button === document.activeElement)).toBe(true);

    for (const [path, heading] of [
      ['/merges', 'Merge suggestions'],
      ['/people/import', 'Import and export people'],
      ['/audit', 'Audit log'],
      ['/connections', 'WeChat apps'],
      ['/connections/new', 'Add a WeChat app'],
      ['/applications', 'Applications'],
      ['/applications/new', 'Add an application'],
      ['/api-keys', 'API keys'],
      ['/webhooks', 'Webhooks'],
      ['/sandbox', 'WeChat sandbox'],
      ['/account', 'My account'],
    ] as const) {
      await page.goto(`${world().url}/console${path}`);
      await settled(page, heading);
      await check(page, path);
    }
    expectNoFailures();
  });

  it('on a phone and in Chinese, the same holds', async () => {
    const phone = await auditPage({ width: 390, height: 844 });
    await phone.goto(`${world().url}/console/?lang=en`);
    await settled(phone, 'Sign in to weunion');
    await check(phone, 'sign-in, 390 px');
    await signIn(phone, world());
    await settled(phone, 'Overview');
    await check(phone, 'overview, 390 px');
    await phone.getByRole('button', { name: 'Menu' }).click();
    await expect.poll(() => phone.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(true);
    await check(phone, 'overview, 390 px, menu open');
    await phone.goto(`${world().url}/console/people`);
    await settled(phone, 'People');
    await check(phone, 'people, 390 px');

    const chinese = await auditPage();
    await chinese.goto(`${world().url}/console/?lang=zh-CN`);
    await settled(chinese, '登录 weunion');
    // Screen readers pick their voice from the page's language.
    expect(await chinese.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    await check(chinese, 'sign-in, zh-CN');
    await chinese.getByLabel('用户名').fill(world().admin.username);
    await chinese.getByLabel('密码').fill(world().admin.password);
    await chinese.getByRole('button', { name: '登录', exact: true }).click();
    await settled(chinese, '概览');
    await check(chinese, 'overview, zh-CN');
    for (const [path, heading] of [
      ['/audit', '审计日志'],
      ['/people/import', '导入和导出用户'],
      ['/connections/new', '添加微信应用'],
      ['/webhooks', 'Webhook'],
      ['/account', '我的账号'],
    ] as const) {
      await chinese.goto(`${world().url}/console${path}`);
      await settled(chinese, heading);
      await check(chinese, `${path}, zh-CN`);
    }
    expectNoFailures();
  });

  it('in the dark colour scheme, the same holds', async () => {
    const page = await auditPage({ colorScheme: 'dark' });
    await page.goto(`${world().url}/console/?lang=en`);
    await settled(page, 'Sign in to weunion');
    await check(page, 'sign-in, dark');
    await signIn(page, world());
    await settled(page, 'Overview');
    await check(page, 'overview, dark');
    for (const [path, heading] of [
      ['/people', 'People'],
      ['/audit', 'Audit log'],
      ['/connections/new', 'Add a WeChat app'],
      ['/applications/new', 'Add an application'],
      ['/sandbox', 'WeChat sandbox'],
    ] as const) {
      await page.goto(`${world().url}/console${path}`);
      await settled(page, heading);
      await check(page, `${path}, dark`);
    }
    expectNoFailures();
  });
});

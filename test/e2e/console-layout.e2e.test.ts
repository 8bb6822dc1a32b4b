/**
 * No console page is wider than the window: at 1366 and 1280 px (laptops) and 390 px (a phone),
 * in English and Chinese, every page — lists with data in them, a person, a connection, an
 * application — has `document.scrollingElement.scrollWidth <= innerWidth`, so nothing scrolls
 * sideways into blank space. Wide tables scroll inside their own box instead.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { demoApp } from '../../packages/sandbox/src/demo-world.ts';
import { chromiumPath } from './browser.ts';
import { setUpConsoleWorld, signIn, signInThroughApp } from './console.ts';

const WIDTHS = [1366, 1280, 390] as const;

describe.skipIf(chromiumPath === undefined)('console: no page scrolls sideways', () => {
  const world = setUpConsoleWorld();
  let pages: string[] = [];
  let prepared: Promise<void> | undefined;

  /** Data in every list, and the pages to visit (done in the first test: `signIn` polls with `expect`). */
  async function prepare(): Promise<void> {
    const person = z
      .object({ id: z.string() })
      .parse(await world().sandbox('POST', '/people', { nickname: 'A person with a rather long nickname' }));
    await signInThroughApp(world(), person.id, { scenario: 's5', appid: demoApp('miniProgram').appid });
    const page = await world().newPage();
    await signIn(page, world());
    const get = async (route: string) => (await page.request.get(`${world().url}/api/v1${route}`)).json();
    const userId = z.object({ users: z.array(z.object({ id: z.string() })) }).parse(await get('/users?limit=1')).users[0]?.id ?? '';
    const connectionId =
      z.object({ connections: z.array(z.object({ id: z.string() })) }).parse(await get('/connections')).connections[0]?.id ?? '';
    const csrf = await page.evaluate(async () => {
      const session = await fetch('/console/api/session').then((r) => r.json());
      return String(session.csrfToken);
    });
    const created = await page.request.post(`${world().url}/api/v1/applications`, {
      headers: { 'x-csrf-token': csrf },
      data: {
        id: 'layout-web',
        name: 'Layout check',
        type: 'web',
        redirectUris: ['https://shop.example.com/a/rather/long/callback/path'],
        scenarios: ['s2'],
      },
    });
    expect(created.status()).toBe(201);
    const hook = await page.request.post(`${world().url}/api/v1/webhooks/endpoints`, {
      headers: { 'x-csrf-token': csrf },
      data: { url: 'https://hooks.example.com/a/rather/long/path/for/weunion/events', description: 'Layout check' },
    });
    expect(hook.status()).toBe(201);
    const hookId = z.object({ endpoint: z.object({ id: z.string() }) }).parse(await hook.json()).endpoint.id;
    await page.context().close();
    pages = [
      '/',
      '/people',
      `/people/${userId}`,
      '/merges',
      '/logins',
      '/audit',
      '/connections',
      '/connections/new',
      `/connections/${connectionId}`,
      '/applications',
      '/applications/new',
      '/applications/layout-web',
      '/api-keys',
      '/webhooks',
      `/webhooks/${hookId}`,
      '/sandbox',
      '/account',
    ];
  }

  async function widthOf(page: Page, path: string, language: string) {
    await page.goto(`${world().url}/console${path}${path.includes('?') ? '&' : '?'}lang=${language}`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).first().isVisible(), { timeout: 10_000 }).toBe(true);
    await expect
      .poll(() => page.evaluate(() => document.querySelectorAll('.loading, [aria-busy="true"]').length), { timeout: 10_000 })
      .toBe(0);
    return page.evaluate(() => {
      const inner = window.innerWidth;
      // What sticks out, for the failure message: elements past the right edge that no scrolling box of their own holds.
      const clipped = (element: Element) => {
        for (let parent = element.parentElement; parent !== null; parent = parent.parentElement) {
          const overflow = getComputedStyle(parent).overflowX;
          if (overflow === 'auto' || overflow === 'scroll' || overflow === 'hidden') return true;
        }
        return false;
      };
      const culprits = [...document.querySelectorAll('body *')]
        .filter((element) => element.getBoundingClientRect().right > inner + 1 && !clipped(element))
        .slice(0, 3)
        .map(
          (element) =>
            `${element.tagName.toLowerCase()}.${[...element.classList].join('.')} (${Math.round(element.getBoundingClientRect().right)})`,
        );
      return { scroll: document.scrollingElement?.scrollWidth ?? 0, inner, culprits };
    });
  }

  for (const width of WIDTHS) {
    it(`every page fits ${width} px, in English and Chinese`, async () => {
      prepared ??= prepare();
      await prepared;
      const page = await world().newPage({ width, height: 800 });
      await signIn(page, world());
      const tooWide: string[] = [];
      for (const language of ['en', 'zh-CN']) {
        for (const path of pages) {
          const { scroll, inner, culprits } = await widthOf(page, path, language);
          if (scroll > inner) tooWide.push(`${path} (${language}): ${scroll} > ${inner}: ${culprits.join(', ')}`);
          if (path === '/') {
            // The overview over 90 days: the widest charts (and their tables for screen readers).
            await page.getByRole('radio', { name: /90/ }).check();
            await expect.poll(() => page.evaluate(() => document.querySelectorAll('.loading, [aria-busy="true"]').length)).toBe(0);
            const wide = await page.evaluate(() => document.scrollingElement?.scrollWidth ?? 0);
            if (wide > inner) tooWide.push(`/ over 90 days (${language}): ${wide} > ${inner}`);
          }
        }
      }
      expect(tooWide).toEqual([]);
    });
  }
});

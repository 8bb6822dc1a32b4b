/**
 * Merge suggestions in the console: a mini program not yet bound to the Open Platform account signs
 * people in on the openid alone, so someone who also uses the (bound) mobile app becomes two
 * people. Once the mini program is bound, their next mini program login brings the unionid, which
 * already belongs to the mobile-app account: weunion suggests the merge. The admin merges one
 * suggestion through the preview and dismisses another after confirming.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEMO_OPEN_PLATFORM, demoApp } from '../../packages/sandbox/src/demo-world.ts';
import { chromiumPath } from './browser.ts';
import { consoleSnapshot, setUpConsoleWorld, signIn, signInThroughApp } from './console.ts';

const userPage = z.object({ users: z.array(z.object({ id: z.string() })) });
const userSchema = z.object({ id: z.string(), status: z.string(), identities: z.array(z.object({ appid: z.string() })) });
const suggestionPage = z.object({
  suggestions: z.array(z.object({ id: z.string(), userId: z.string(), otherUserId: z.string(), status: z.string() })),
});

describe.skipIf(chromiumPath === undefined)('console: merge suggestions from a late unionid', () => {
  const world = setUpConsoleWorld();
  let page: Page;

  /** The management API with the page's console session (cookie + CSRF token, as the console sends them). */
  async function management(method: 'GET' | 'POST' | 'PATCH', route: string, body?: unknown): Promise<unknown> {
    const session = z.object({ csrfToken: z.string() }).parse(await (await page.request.get(`${world().url}/console/api/session`)).json());
    const response = await page.request.fetch(`${world().url}/api/v1${route}`, {
      method,
      headers: { 'x-csrf-token': session.csrfToken },
      ...(body === undefined ? {} : { data: body }),
    });
    expect(response.status(), `${method} ${route}: ${await response.text()}`).toBeLessThan(300);
    return response.status() === 204 ? undefined : response.json();
  }

  /** Signs a sandbox person in through a mini program (S5) or the demo mobile app (S6); their user id. */
  async function logsIn(personId: string, via: { scenario: 's5' | 's6'; appid: string }): Promise<string> {
    const openid = await signInThroughApp(world(), personId, via);
    const found = userPage.parse(await management('GET', `/users?openid=${encodeURIComponent(openid)}`)).users;
    expect(found).toHaveLength(1);
    return found[0]?.id ?? '';
  }

  it('a unionid arriving late is suggested as a merge; one is merged through the preview, another dismissed', async () => {
    page = await world().newPage();
    await signIn(page, world());

    // A mini program on no Open Platform account yet, set up in weunion for S5.
    const app = z
      .object({ appid: z.string(), secret: z.string() })
      .parse(await world().sandbox('POST', '/apps', { type: 'mini_program', openPlatformId: null }));
    await management('POST', '/connections', {
      id: 'late-bound-mp',
      name: 'Late-bound Mini Program',
      appType: 'mini_program',
      appid: app.appid,
      secret: app.secret,
      scenarios: ['s5'],
    });
    const miniProgram = { scenario: 's5', appid: app.appid } as const;
    const mobileApp = { scenario: 's6', appid: demoApp('mobileApp').appid } as const;

    // Two people use both: each becomes two users, since the mini program gives no unionid.
    const people: { name: string; personId: string; viaApp: string; viaMiniProgram: string }[] = [];
    for (const nickname of ['Wang Fang', 'Zhao Lei']) {
      const person = z.object({ id: z.string() }).parse(await world().sandbox('POST', '/people', { nickname }));
      const viaApp = await logsIn(person.id, mobileApp);
      const viaMiniProgram = await logsIn(person.id, miniProgram);
      expect(viaMiniProgram).not.toBe(viaApp);
      people.push({ name: nickname, personId: person.id, viaApp, viaMiniProgram });
    }
    const [wang, zhao] = people;
    if (wang === undefined || zhao === undefined) throw new Error('two people expected');

    // The mini program is bound: its logins now carry the unionid, which the app account already has.
    await world().sandbox('POST', `/apps/${app.appid}/bind`, { openPlatformId: DEMO_OPEN_PLATFORM.id });
    await management('PATCH', '/connections/late-bound-mp', { openPlatformId: DEMO_OPEN_PLATFORM.id });
    for (const person of people) {
      // Still the mini program's user (its openid is known); the other account is only suggested.
      expect(await logsIn(person.personId, miniProgram)).toBe(person.viaMiniProgram);
    }
    const open = suggestionPage.parse(await management('GET', '/merge-suggestions?status=open')).suggestions;
    expect(open.map((s) => [s.userId, s.otherUserId].sort())).toEqual(
      expect.arrayContaining([[wang.viaMiniProgram, wang.viaApp].sort(), [zhao.viaMiniProgram, zhao.viaApp].sort()]),
    );
    expect(open).toHaveLength(2);

    // The Merge suggestions page shows both, each naming the person who has the unionid.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Merge suggestions' }).click();
    const suggestions = page.getByRole('article');
    await expect.poll(() => suggestions.count()).toBe(2);
    const wangSuggestion = suggestions.filter({ hasText: 'Wang Fang' });
    expect(await wangSuggestion.textContent()).toContain('unionid');
    await consoleSnapshot(page, 'merges-01-suggestions');

    // Preview & merge: the mini program login moves to Wang Fang's account.
    await wangSuggestion.getByRole('button', { name: /^Preview merging .+ into Wang Fang$/ }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.textContent()).toContain('1 WeChat identity moves.');
    await consoleSnapshot(page, 'merges-02-preview');
    await dialog.getByRole('button', { name: 'Merge', exact: true }).click();
    const confirmation = page.getByRole('alertdialog');
    await expect.poll(() => confirmation.textContent()).toMatch(/into Wang Fang: 1 WeChat identity moves\./);
    await confirmation.getByRole('button', { name: 'Merge', exact: true }).click();
    await expect.poll(() => suggestions.count()).toBe(1);
    expect(await suggestions.textContent()).toContain('Zhao Lei');

    const merged = userSchema.parse(await management('GET', `/users/${wang.viaApp}`));
    expect(merged.identities.map((identity) => identity.appid).sort()).toEqual([app.appid, mobileApp.appid].sort());
    expect(userSchema.parse(await management('GET', `/users/${wang.viaMiniProgram}`)).status).toBe('merged');

    // Dismiss, after reading what it means: the suggestion closes, both people stay.
    await suggestions.getByRole('button', { name: 'Dismiss' }).click();
    const dismissal = page.getByRole('alertdialog');
    await expect.poll(() => dismissal.textContent()).toContain('stay separate people');
    await consoleSnapshot(page, 'merges-03-dismiss-confirm');
    await dismissal.getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => page.getByText('No open suggestions.').isVisible()).toBe(true);

    expect(suggestionPage.parse(await management('GET', '/merge-suggestions?status=open')).suggestions).toEqual([]);
    for (const id of [zhao.viaApp, zhao.viaMiniProgram])
      expect(userSchema.parse(await management('GET', `/users/${id}`)).status).toBe('active');
  }, 60_000);
});

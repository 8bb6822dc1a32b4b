/**
 * Debian's Chromium for the end-to-end tests (see packages/server/src/testing/chromium.ts), and
 * screenshots of their steps.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';

export { chromiumPath, launchChromium } from '../../packages/server/src/testing/chromium.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-results/e2e');

/**
 * Saves a screenshot of a step as a test artifact (test-results/e2e/<name>.png). Headless Chromium
 * now and then cannot capture a page that is still settling (a fresh popup, mostly): it tries once
 * more, then warns — a missing picture is not a failed login.
 */
export async function snapshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  try {
    await page.screenshot({ path: file, fullPage: true });
  } catch {
    await page.waitForTimeout(250);
    await page.screenshot({ path: file }).catch((error: unknown) => console.warn(`screenshot ${name} not taken: ${String(error)}`));
  }
}

/**
 * Debian's Chromium for the end-to-end tests, driven by playwright-core (never a browser
 * download). `.ci/run` installs `chromium-headless-shell` when it is missing; on a machine
 * without it the e2e suites are reported skipped. `WEUNION_CHROMIUM` names another binary.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

const CANDIDATES = [process.env.WEUNION_CHROMIUM, '/usr/lib/chromium/chromium-headless-shell', '/usr/bin/chromium'];

export const chromiumPath = CANDIDATES.find(
  (candidate): candidate is string => candidate !== undefined && candidate !== '' && existsSync(candidate),
);

export async function launchChromium(): Promise<Browser> {
  if (chromiumPath === undefined) throw new Error('no Chromium found');
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

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

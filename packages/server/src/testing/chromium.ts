/**
 * Test helper (not a test file): Debian's Chromium, driven by playwright-core — never a browser
 * download. `.ci/run` installs `chromium-headless-shell` when it is missing; on a machine without
 * it, browser suites are reported skipped. `WEUNION_CHROMIUM` names another binary.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

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

/**
 * In Chromium: a page follows an S1 login while the weunion instance holding its event stream is
 * killed with SIGKILL (two processes on PostgreSQL + Redis behind a round-robin balancer), with
 * `@weunion/sdk-browser` (its sources with types stripped, served as JavaScript). The confirmation
 * reaches the other instance; the page reconnects to it, resumes and ends signed in.
 * (`<weunion-login>`: packages/login-element/test/instance-dies.browser.test.ts.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import path from 'node:path';
import type { Browser as Chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchChromium } from '../../../test/e2e/browser.ts';
import { demo } from '../../server/src/login/test-harness.ts';
import { clusterModeAvailable, killTheWatchedInstance, ProcessCluster, waitUntil } from '../../server/src/testing/process-cluster.ts';

const OA = demo('officialAccount');
const SRC = path.resolve(import.meta.dirname, '../src');
const stripped = new Map(
  readdirSync(SRC)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => [name, stripTypeScriptTypes(readFileSync(path.join(SRC, name), 'utf8'), { mode: 'strip' })]),
);

const SDK_PAGE = `<!doctype html><div id="qr"></div><p id="state">starting</p><p id="log"></p>
<script type="module">
  import { createWeunion } from '/sdk/index.ts';
  const weunion = createWeunion({ baseUrl: location.origin });
  const state = document.getElementById('state');
  const log = document.getElementById('log');
  const login = await weunion.startQrLogin('s1', { returnTo: '/after-kill' });
  login.render(document.getElementById('qr'));
  window.login = { ticketId: login.ticketId, qrContent: login.ticket.qrContent, version: () => login.status.version };
  login.on('reconnecting', (r) => (log.textContent += ' reconnecting:' + r.error.code));
  login.on('error', (e) => (state.textContent = 'error ' + e.code + ' ' + e.message));
  login.on('confirmed', async () => {
    const result = await login.redeem();
    const me = await weunion.session();
    state.dataset.transport = login.transport;
    state.dataset.sub = me.sub;
    state.textContent = 'signed in, back to ' + result.returnTo;
  });
  state.textContent = 'waiting';
</script>`;

describe.skipIf(chromiumPath === undefined || !clusterModeAvailable('scale-out'))(
  'in Chromium, the SDK’s login survives its instance dying',
  () => {
    let cluster: ProcessCluster;
    let chromium: Chromium;
    beforeAll(async () => {
      [cluster, chromium] = await Promise.all([ProcessCluster.start('scale-out', 2), launchChromium()]);
    }, 120_000);
    afterAll(async () => {
      await chromium?.close();
      await cluster?.close();
    });

    it('@weunion/sdk-browser: the watched instance is killed; the page reconnects, hears confirmed and signs in', async () => {
      const page = await chromium.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      const base = cluster.url;
      await page.route(`${base}/sdk/**`, async (route) => {
        const code = stripped.get(new URL(route.request().url()).pathname.slice('/sdk/'.length));
        await (code === undefined
          ? route.fulfill({ status: 404 })
          : route.fulfill({ status: 200, contentType: 'text/javascript', body: code }));
      });
      await page.route(`${base}/sdk-page`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: SDK_PAGE }));
      await page.goto(`${base}/sdk-page`);
      await page.waitForFunction(() => document.getElementById('state')?.textContent === 'waiting');
      const ticketId = await page.evaluate(() => String(Reflect.get(Reflect.get(window, 'login'), 'ticketId')));
      const qrContent = await page.evaluate(() => String(Reflect.get(Reflect.get(window, 'login'), 'qrContent')));
      await waitUntil('the stream delivered', () =>
        page.evaluate(() => (Reflect.get(Reflect.get(window, 'login'), 'version') as () => number)() >= 1),
      );

      const { victim, survivor } = await killTheWatchedInstance(cluster, ticketId, OA.appid);
      await page.waitForFunction(() => document.getElementById('log')?.textContent?.includes('reconnecting:network_error') === true);
      await cluster.sandbox('POST', '/actions/scan', { personId: await cluster.person('Ren'), content: qrContent });

      await page.waitForFunction(() => /^(signed in|error)/.test(document.getElementById('state')?.textContent ?? ''), undefined, {
        timeout: 30_000,
      });
      expect(await page.locator('#state').textContent()).toBe('signed in, back to /after-kill');
      expect(await page.locator('#state').getAttribute('data-transport')).toBe('sse');
      expect(await page.locator('#state').getAttribute('data-sub')).toMatch(/^usr/);
      expect(cluster.balancer.lastUpstreamFor(`/tickets/${ticketId}/events`)).toBe(survivor?.index);
      expect(errors).toEqual([]);
      await page.close();
      await victim.restart();
    }, 120_000);
  },
);

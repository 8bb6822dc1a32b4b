/**
 * `<weunion-login>` in Chromium, on weunion's hosted login page, when the instance holding its
 * event stream is killed with SIGKILL:
 * - scale-out (two processes on PostgreSQL + Redis behind a round-robin balancer): the widget says
 *   it is reconnecting, opens a new event stream on the other instance resuming from the version it
 *   heard, hears the confirmation that reached that instance and lands on `return-to`;
 * - embedded (tickets in the SQLite state file): killed and restarted, the instance still has the
 *   ticket; the widget, reconnecting meanwhile, resumes and lands on `return-to` once it is scanned.
 */
import type { Browser as Chromium, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchChromium } from '../../../test/e2e/browser.ts';
import { demo } from '../../server/src/login/test-harness.ts';
import { clusterModeAvailable, killTheWatchedInstance, ProcessCluster, waitUntil } from '../../server/src/testing/process-cluster.ts';

const OA = demo('officialAccount');

/** Opens the hosted login page; its S1 ticket id (from the widget's event stream) once it follows it. */
async function openLoginPage(page: Page, cluster: ProcessCluster, returnTo: string): Promise<string> {
  const before = cluster.balancer.requests.length;
  await page.goto(`${cluster.url}/login?returnTo=${returnTo}`);
  // The page's other way "follow the official account" (S1) puts the widget with its QR on the page.
  await page.locator('button[data-way="s1"]').click();
  await page.locator('weunion-login img.qr:not(.dim)').waitFor();
  let ticketId = '';
  await waitUntil('the widget opened its event stream', () => {
    const events = cluster.balancer.requests.slice(before).find((r) => r.path.includes('/events'));
    ticketId = /tickets\/([A-Za-z0-9]+)\/events/.exec(events?.path ?? '')?.[1] ?? '';
    return ticketId !== '';
  });
  return ticketId;
}

const statusText = async (page: Page) => (await page.locator('weunion-login .status').textContent()) ?? '';

describe.skipIf(chromiumPath === undefined)('<weunion-login> when its instance dies', () => {
  let chromium: Chromium;
  beforeAll(async () => {
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
  });

  describe.skipIf(!clusterModeAvailable('scale-out'))('scale-out: two processes', () => {
    let cluster: ProcessCluster;
    beforeAll(async () => {
      cluster = await ProcessCluster.start('scale-out', 2);
    }, 120_000);
    afterAll(async () => {
      await cluster?.close();
    });

    it('the watched instance is killed; the widget reconnects to the other over SSE, resumes, and lands on return-to', async () => {
      const page = await chromium.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      const ticketId = await openLoginPage(page, cluster, '/after-widget');
      const src = new URL((await page.locator('weunion-login img.qr').getAttribute('src')) ?? '', cluster.url).href;
      const imageBase64 = Buffer.from(await (await fetch(src)).arrayBuffer()).toString('base64');

      const { survivor } = await killTheWatchedInstance(cluster, ticketId, OA.appid);
      await waitUntil('the widget says it is reconnecting', async () => /reconnecting|重新连接/.test(await statusText(page)));
      const person = await cluster.sandbox('POST', '/people', { nickname: 'Mio', phone: '+8613600000001' });
      await cluster.sandbox('POST', '/actions/scan', { personId: person.id, imageBase64 });

      await page.waitForURL(`${cluster.url}/after-widget`, { timeout: 30_000 });
      const session = await page.evaluate(async () => (await fetch('/api/session')).json());
      expect(session).toMatchObject({ session: { methods: ['s1'], appid: OA.appid } });
      // It went back to an event stream (not a permanent fallback), on the survivor, resuming from version 1.
      const streams = cluster.balancer.requests.filter((r) => r.path.includes(`/tickets/${ticketId}/events`));
      expect(streams.at(-1)).toMatchObject({ upstream: survivor?.index, path: `/api/login/tickets/${ticketId}/events?since=1` });
      expect(errors).toEqual([]);
      await page.close();
    }, 120_000);
  });

  describe('embedded: one process', () => {
    let cluster: ProcessCluster;
    beforeAll(async () => {
      cluster = await ProcessCluster.start('embedded');
    }, 120_000);
    afterAll(async () => {
      await cluster?.close();
    });

    it('killed and restarted: the widget reconnects, the ticket survived, and scanning the QR it shows signs in', async () => {
      const page = await chromium.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await openLoginPage(page, cluster, '/after-restart');
      const image = page.locator('weunion-login img.qr');
      const src = new URL((await image.getAttribute('src')) ?? '', cluster.url).href;
      const only = cluster.instance(0);
      await only.kill();
      await waitUntil('the widget says it is reconnecting', async () => /reconnecting|重新连接/.test(await statusText(page)));
      await only.restart();

      const imageBase64 = Buffer.from(await (await fetch(src)).arrayBuffer()).toString('base64');
      const person = await cluster.sandbox('POST', '/people', { nickname: 'Oda', phone: '+8613600000002' });
      await cluster.sandbox('POST', '/actions/scan', { personId: person.id, imageBase64 });
      await page.waitForURL(`${cluster.url}/after-restart`, { timeout: 30_000 });
      expect(errors).toEqual([]);
      await page.close();
    }, 120_000);
  });
});

/**
 * Two weunion instances on one storage (scale-out: PostgreSQL + Redis; embedded: the same
 * in-process state, as a control). Nothing a login needs may live in one instance's memory: the
 * S1 ticket is created on the first instance, WeChat's event arrives at the second, the first
 * instance's SSE stream sees the confirmation and redeems it; an S2 login started on one instance
 * finishes on the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Browser,
  createS1Ticket,
  type Instance,
  LoginWorld,
  loginWithS2,
  readStatusEvents,
  scan,
  sessionOf,
  storageModes,
} from './test-harness.ts';

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`two instances behind a load balancer: ${mode.name}`, () => {
    let world: LoginWorld;
    let second: Instance;
    beforeAll(async () => {
      world = await LoginWorld.start(mode);
      second = await world.addInstance();
      // WeChat's pushes reach the second instance only.
      await world.pushTo(second);
    });
    afterAll(async () => {
      await world?.close();
    });

    it('S1: ticket on the first, WeChat event on the second, SSE on the first sees it, redemption works', async () => {
      const person = await world.person();
      const browser = new Browser();
      const ticket = await createS1Ticket(browser, world.first);
      const stream = await browser.fetch(`${world.first.url}/api/login/tickets/${ticket.ticketId}/events`);
      expect(stream.headers.get('content-type')).toContain('text/event-stream');
      const reading = readStatusEvents(stream, 10);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await scan(world, person, ticket.qrContent)).toMatchObject({ pushed: { delivered: true } });
      const events = await reading;
      expect(events.map((e) => e.state)).toEqual(['waiting', 'scanned', 'confirmed']);
      const redeemed = await browser.json('POST', `${world.first.url}/api/login/tickets/${ticket.ticketId}/redeem`);
      expect(redeemed.body.status).toBe('signed_in');
      // The session lives in shared state too: either instance knows the person.
      expect((await sessionOf(browser, world.first))?.sub).toEqual(expect.any(String));
      expect((await sessionOf(browser, second))?.sub).toBe((await sessionOf(browser, world.first))?.sub);
    });

    it('S2: started on one instance, WeChat’s redirect lands on the other', async () => {
      const person = await world.person();
      const browser = new Browser();
      const start = await browser.fetch(`${world.first.url}/login/s2?returnTo=/across`);
      const redirect = new URL((await world.approve(person, start.headers.get('location') ?? '')) ?? '');
      // The same browser (same host, so the same cookies), answered by the other instance.
      const back = await browser.fetch(`${second.url}${redirect.pathname}${redirect.search}`);
      expect(back.headers.get('location')).toBe('/across');
      const across = browser;
      expect(await sessionOf(across, second)).not.toBeNull();
      // And a plain login through either instance is the same person.
      const again = new Browser();
      await loginWithS2(world, second, again, person);
      expect((await sessionOf(again, world.first))?.sub).toBe((await sessionOf(across, second))?.sub);
    });
  });
}

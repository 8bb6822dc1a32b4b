/**
 * S3 from a phone browser over real HTTP against the sandbox, on embedded and scale-out storage:
 * the browser opens a ticket and gets a URL Scheme (or URL Link) from WeChat, the virtual phone
 * opens it — the mini program's login page with `ticket=` in its query — the mini program confirms
 * (with the phone number), and the browser redeems the login once. Also: an application that
 * requires the agreement gets no ticket (and no link) without `agreed`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Browser, demo, LoginWorld, sessionOf, storageModes, waitForState } from '../login/test-harness.ts';
import { applicationInputSchema, createApplication } from '../oidc/applications.ts';
import { oidcDb } from '../oidc/tables.ts';

const MP = demo('miniProgram');
const linkTicket = z.object({ ticketId: z.string(), secret: z.string(), openLink: z.string(), events: z.string() });
const opened = z.object({ kind: z.literal('mini_program_link'), appid: z.string(), page: z.string(), query: z.string() });

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`S3 by link from a phone browser: ${mode.name}`, () => {
    let world: LoginWorld;
    beforeAll(async () => {
      world = await LoginWorld.start(mode);
      await createApplication(
        oidcDb(world.database.db),
        world.first.app.ctx.secrets,
        applicationInputSchema.parse({
          id: 'agree-app',
          name: 'Agreeing',
          type: 'web',
          redirectUris: ['https://agree.example/cb'],
          scenarios: ['s1', 's2', 's3'],
          branding: { requireAgreement: true, termsUrl: 'https://agree.example/terms' },
        }),
      );
    });
    afterAll(async () => {
      await world?.close();
    });

    const jsLogin = async (personId: string) =>
      z.string().parse((await world.sandbox('POST', '/actions/js-login', { personId, appid: MP.appid })).code);

    it('scheme → the phone opens the login page with the ticket → confirm with phone → the browser redeems', async () => {
      const person = await world.person('Lin');
      const browser = new Browser();
      const answer = await browser.json('POST', `${world.first.url}/api/login/s3/link`, { returnTo: '/phone-done' });
      expect(answer.status).toBe(200);
      const ticket = linkTicket.parse(answer.body);
      expect(ticket.openLink).toMatch(/^weixin:\/\/dl\/business\/\?t=[A-Za-z0-9]+$/);
      // The virtual phone opens the link: the mini program's login page, the ticket in its query.
      const page = opened.parse(await world.sandbox('POST', '/actions/scan', { personId: person, content: ticket.openLink }));
      expect(page).toMatchObject({ appid: MP.appid, page: 'pages/login/login', query: `ticket=${ticket.ticketId}` });
      const ticketId = new URLSearchParams(page.query).get('ticket') ?? '';
      const mp = new Browser();
      const scanned = await mp.json('POST', `${world.first.url}/api/mp/tickets/${ticketId}/scan`, {
        appid: MP.appid,
        code: await jsLogin(person),
      });
      expect(scanned.status).toBe(200);
      const phoneCode = z.string().parse((await world.sandbox('POST', '/actions/phone-code', { personId: person, appid: MP.appid })).code);
      const confirmed = await mp.json('POST', `${world.first.url}/api/mp/tickets/${ticketId}/confirm`, {
        appid: MP.appid,
        code: await jsLogin(person),
        phoneCode,
      });
      expect(confirmed.status).toBe(200);
      await waitForState(browser, world.first, ticketId, 'confirmed');
      const redeemed = await browser.json('POST', `${world.first.url}/api/login/tickets/${ticketId}/redeem`);
      expect(redeemed.body).toMatchObject({ status: 'signed_in', returnTo: '/phone-done' });
      expect(await sessionOf(browser, world.first)).toMatchObject({ phone_number_verified: true, session: { methods: ['s3'] } });
      // Once: a second redeem finds nothing.
      expect((await browser.json('POST', `${world.first.url}/api/login/tickets/${ticketId}/redeem`)).status).toBe(404);
    });

    it('a URL Link on request, which the phone opens the same way', async () => {
      const person = await world.person();
      const browser = new Browser();
      const answer = await browser.json('POST', `${world.first.url}/api/login/s3/link`, { returnTo: '/x', link: 'url_link' });
      const ticket = linkTicket.parse(answer.body);
      expect(ticket.openLink).toMatch(/^https?:\/\/.+\/wxaurl\/[A-Za-z0-9]+$/);
      const page = opened.parse(await world.sandbox('POST', '/actions/scan', { personId: person, content: ticket.openLink }));
      expect(page.query).toBe(`ticket=${ticket.ticketId}`);
    });

    it('an application that requires the agreement: no ticket, link or redirect without agreed; with it, yes', async () => {
      const browser = new Browser();
      const url = world.first.url;
      for (const path of ['/api/login/s1', '/api/login/s3', '/api/login/s3/link']) {
        const refused = await browser.json('POST', `${url}${path}`, { client: 'agree-app' });
        expect(refused.status, path).toBe(400);
        expect(refused.body.code, path).toBe('agreement_required');
      }
      const embedded = await browser.json('GET', `${url}/api/login/s2/embedded?client=agree-app`);
      expect(embedded.body.code).toBe('agreement_required');
      expect((await browser.json('POST', `${url}/api/login/s3/link`, { client: 'agree-app', agreed: true })).status).toBe(200);
      expect((await browser.json('GET', `${url}/api/login/s2/embedded?client=agree-app&agreed=1`)).status).toBe(200);
      // An application that does not ask needs no agreement.
      expect((await browser.json('POST', `${url}/api/login/s3/link`, {})).status).toBe(200);
    });

    it('WeChat’s daily link quota (45009) is a clear 503 that says so, not a crash', async () => {
      await world.sandbox('PUT', '/faults', { appid: MP.appid, quota: 'daily' });
      try {
        const answer = await new Browser().json('POST', `${world.first.url}/api/login/s3/link`, {});
        expect(answer.status).toBe(503);
        expect(answer.body.code).toBe('wechat_quota_exceeded');
      } finally {
        await world.sandbox('DELETE', '/faults');
      }
    });

    it('bad input is a clear 400, not a ticket', async () => {
      const answer = await new Browser().json('POST', `${world.first.url}/api/login/s3/link`, { link: 'sms' });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('validation_failed');
    });
  });
}

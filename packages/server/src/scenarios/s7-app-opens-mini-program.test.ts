/**
 * S7 end to end over real HTTP against the sandbox, in both storage modes: the app asks for a
 * ticket and launch parameters, the mini program confirms it, and the app gets tokens by waiting
 * on the ticket or through the extMsg result code — only the app holding the ticket's secret, once.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEMO_MINI_PROGRAM, DEMO_MOBILE_APP, storageModes, TestWorld } from '../mp/test-world.ts';
import { TICKET_SECRET_HEADER } from '../tickets/routes.ts';

const mp = DEMO_MINI_PROGRAM.appid;
const ticketSchema = z.object({
  ticket: z.string(),
  secret: z.string(),
  launch: z.object({ userName: z.string(), path: z.string(), miniprogramType: z.number() }),
});

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`S7 app opens the mini program (${mode.name})`, () => {
    let world: TestWorld;
    beforeAll(async () => {
      world = await TestWorld.start(mode);
    });
    afterAll(async () => {
      await world?.close();
    });

    const newTicket = async () => ticketSchema.parse(await world.ok('POST', '/api/app/s7/tickets', { appid: DEMO_MOBILE_APP.appid }));

    /** What the mini program does once opened on `path`: scan, then confirm (with a phone code). */
    async function confirmInMiniProgram(person: string, ticket: string): Promise<string | undefined> {
      await world.sandbox('POST', '/actions/open-mini-program', { personId: person, appid: mp, page: 'pages/login/login' });
      await world.ok('POST', `/api/mp/tickets/${ticket}/scan`, { appid: mp, code: await world.jsLogin(person, mp) });
      const confirm = await world.ok('POST', `/api/mp/tickets/${ticket}/confirm`, {
        appid: mp,
        code: await world.jsLogin(person, mp),
        phoneCode: await world.phoneCode(person, mp),
      });
      expect(confirm.outcome).toBe('signed_in');
      return z.string().optional().parse(confirm.resultCode);
    }

    it('the ticket comes with launch parameters: the original id and the confirm page carrying the ticket', async () => {
      const created = await newTicket();
      expect(created.launch).toEqual({
        userName: DEMO_MINI_PROGRAM.originalId,
        path: `pages/login/confirm?ticket=${created.ticket}`,
        miniprogramType: 0,
      });
    });

    it('waiting on the ticket: the app long-polls with its secret, then redeems it for tokens of the mobile app, once', async () => {
      const person = await world.person();
      const { ticket, secret } = await newTicket();
      const headers = { [TICKET_SECRET_HEADER]: secret };
      const waiting = await world.ok('GET', `/api/login/tickets/${ticket}`, undefined, headers);
      expect(waiting.state).toBe('waiting');
      const poll = world.ok('GET', `/api/login/tickets/${ticket}?wait=10&since=${String(waiting.version)}`, undefined, headers);
      await confirmInMiniProgram(person, ticket);
      expect(['scanned', 'confirmed']).toContain((await poll).state);
      expect((await world.ok('GET', `/api/login/tickets/${ticket}`, undefined, headers)).state).toBe('confirmed');
      const answer = await world.ok('POST', `/api/app/s7/tickets/${ticket}/redeem`, undefined, headers);
      expect(answer.outcome).toBe('signed_in');
      const tokens = z.object({ id_token: z.string() }).parse(answer.tokens);
      const id = await jwtVerify(tokens.id_token, createRemoteJWKSet(new URL(`${world.url}/jwks`)), { audience: DEMO_MOBILE_APP.id });
      expect(id.payload).toMatchObject({ sub: answer.userId, amr: ['s7'] });
      const again = await world.call('POST', `/api/app/s7/tickets/${ticket}/redeem`, undefined, headers);
      expect(again.status).toBe(409);
    });

    it('the extMsg path: the mini program hands the result code back to the app, which exchanges it once', async () => {
      const person = await world.person();
      const { ticket, secret } = await newTicket();
      const resultCode = await confirmInMiniProgram(person, ticket);
      if (resultCode === undefined) throw new Error('no result code');
      const back = await world.sandbox('POST', '/actions/return-to-app', { personId: person, appid: mp, extMsg: resultCode });
      const answer = await world.ok('POST', '/api/app/s7/exchange', { resultCode: back.extMsg, ticketSecret: secret });
      expect(answer.outcome).toBe('signed_in');
      expect(answer.tokens).toBeDefined();
      const again = await world.call('POST', '/api/app/s7/exchange', { resultCode, ticketSecret: secret });
      expect(again.body.code).toBe('login_expired');
    });

    it("another app cannot redeem someone else's ticket, by id or by result code; the rightful app still can", async () => {
      const person = await world.person();
      const mine = await newTicket();
      const theirs = await newTicket();
      const resultCode = await confirmInMiniProgram(person, mine.ticket);
      if (resultCode === undefined) throw new Error('no result code');
      const byId = await world.call('POST', `/api/app/s7/tickets/${mine.ticket}/redeem`, undefined, {
        [TICKET_SECRET_HEADER]: theirs.secret,
      });
      expect(byId.status).toBe(404);
      expect(byId.body).not.toHaveProperty('tokens');
      const byCode = await world.call('POST', '/api/app/s7/exchange', { resultCode, ticketSecret: theirs.secret });
      expect(byCode.status).toBe(404);
      const noSecret = await world.call('POST', `/api/app/s7/tickets/${mine.ticket}/redeem`);
      expect(noSecret.status).toBe(404);
      const rightful = await world.ok('POST', '/api/app/s7/exchange', { resultCode, ticketSecret: mine.secret });
      expect(rightful.outcome).toBe('signed_in');
    });

    it('across instances: created on one, confirmed through another, the long-poll on the first hears it and redeems', async () => {
      const other = await world.sibling();
      const person = await world.person();
      const { ticket, secret } = await newTicket();
      const headers = { [TICKET_SECRET_HEADER]: secret };
      const poll = world.ok('GET', `/api/login/tickets/${ticket}?wait=10&since=2`, undefined, headers);
      const call = async (path: string, body: unknown) => {
        const response = await fetch(`${other.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(response.status).toBe(200);
        return z.record(z.string(), z.unknown()).parse(await response.json());
      };
      await call(`/api/mp/tickets/${ticket}/scan`, { appid: mp, code: await world.jsLogin(person, mp) });
      const confirmed = await call(`/api/mp/tickets/${ticket}/confirm`, { appid: mp, code: await world.jsLogin(person, mp) });
      expect(confirmed.outcome).toBe('signed_in');
      expect((await poll).state).toBe('confirmed');
      const answer = await world.ok('POST', `/api/app/s7/tickets/${ticket}/redeem`, undefined, headers);
      expect(answer.outcome).toBe('signed_in');
    });

    it('a ticket that is not confirmed yet cannot be redeemed; a mini program appid cannot create one', async () => {
      const { ticket, secret } = await newTicket();
      const early = await world.call('POST', `/api/app/s7/tickets/${ticket}/redeem`, undefined, { [TICKET_SECRET_HEADER]: secret });
      expect(early.status).toBe(409);
      expect((await world.call('POST', '/api/app/s7/tickets', { appid: mp })).status).toBe(400);
    });
  });
}

/**
 * The mini program's side of S3/S7 tickets over real HTTP against the sandbox: scan, confirm,
 * cancel, and the result the ticket's holder redeems.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateConnection } from '../connections/store.ts';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import { ticketResultSchema } from '../login/ticket-result.ts';
import { DEMO_MINI_PROGRAM, storageModes, TestWorld } from './test-world.ts';
import { parseTicketLoginResult } from './ticket-result.ts';

const { appid } = DEMO_MINI_PROGRAM;

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`mini program ticket API (${mode.name})`, () => {
    let world: TestWorld;
    beforeAll(async () => {
      world = await TestWorld.start(mode);
    });
    afterAll(async () => {
      await world?.close();
    });

    const newTicket = (kind = 's3', context: Record<string, unknown> = { connectionId: DEMO_MINI_PROGRAM.id, appid }) =>
      world.app.tickets.create({ kind, context });

    it('scan then confirm with a phone code signs the person in; the holder redeems the result once', async () => {
      const person = await world.person();
      const { ticket, secret } = await newTicket();
      const scan = await world.ok('POST', `/api/mp/tickets/${ticket.id}/scan`, { appid, code: await world.jsLogin(person, appid) });
      expect(scan).toMatchObject({ state: 'scanned', scenario: 's3', phoneNumber: 'optional' });
      const confirm = await world.ok('POST', `/api/mp/tickets/${ticket.id}/confirm`, {
        appid,
        code: await world.jsLogin(person, appid),
        phoneCode: await world.phoneCode(person, appid),
      });
      expect(confirm).toMatchObject({ state: 'confirmed', outcome: 'signed_in' });
      expect(confirm).not.toHaveProperty('resultCode');
      expect(JSON.stringify(confirm)).not.toMatch(/session_key|sessionKey/);
      const { result } = await world.app.tickets.redeem(ticket.id, secret);
      expect(ticketResultSchema.parse(result)).toMatchObject({ outcome: 'signed_in', appid, scenario: 's3' });
      const login = parseTicketLoginResult(result);
      expect(login).toMatchObject({ outcome: 'signed_in', scenario: 's3', appid, connectionId: DEMO_MINI_PROGRAM.id });
      if (login.outcome !== 'signed_in') throw new Error('unreachable');
      const user = await world.database.db.selectFrom('users').selectAll().where('id', '=', login.userId).executeTakeFirstOrThrow();
      expect(user.phone_number).toMatch(/^\+86139/);
      await expect(world.app.tickets.redeem(ticket.id, secret)).rejects.toMatchObject({ code: 'conflict' });
    });

    it('the session_key is stored sealed, never in the clear', async () => {
      const person = await world.person();
      const { ticket } = await newTicket();
      await world.ok('POST', `/api/mp/tickets/${ticket.id}/scan`, { appid, code: await world.jsLogin(person, appid) });
      const rows = await world.database.db.selectFrom('mini_program_sessions').selectAll().execute();
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row.session_key_sealed).not.toMatch(/^[A-Za-z0-9+/]{22}==$/);
    });

    it('a ticket is confirmed once; a second confirm is refused', async () => {
      const person = await world.person({ phone: null });
      const { ticket } = await newTicket();
      await world.ok('POST', `/api/mp/tickets/${ticket.id}/scan`, { appid, code: await world.jsLogin(person, appid) });
      await world.ok('POST', `/api/mp/tickets/${ticket.id}/confirm`, { appid, code: await world.jsLogin(person, appid) });
      const again = await world.call('POST', `/api/mp/tickets/${ticket.id}/confirm`, { appid, code: await world.jsLogin(person, appid) });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('conflict');
    });

    it('someone other than the scanner cannot confirm or cancel', async () => {
      const [scanner, other] = [await world.person(), await world.person()];
      const { ticket } = await newTicket();
      await world.ok('POST', `/api/mp/tickets/${ticket.id}/scan`, { appid, code: await world.jsLogin(scanner, appid) });
      const users = await world.userCount();
      const confirm = await world.call('POST', `/api/mp/tickets/${ticket.id}/confirm`, { appid, code: await world.jsLogin(other, appid) });
      expect(confirm.status).toBe(403);
      const cancel = await world.call('POST', `/api/mp/tickets/${ticket.id}/cancel`, { appid, code: await world.jsLogin(other, appid) });
      expect(cancel.status).toBe(403);
      expect(await world.userCount()).toBe(users);
      const rescan = await world.call('POST', `/api/mp/tickets/${ticket.id}/scan`, { appid, code: await world.jsLogin(other, appid) });
      expect(rescan.status).toBe(409);
    });

    it('confirming before scanning is refused; the scanner can cancel', async () => {
      const person = await world.person();
      const { ticket } = await newTicket();
      const early = await world.call('POST', `/api/mp/tickets/${ticket.id}/confirm`, { appid, code: await world.jsLogin(person, appid) });
      expect(early.status).toBe(409);
      await world.ok('POST', `/api/mp/tickets/${ticket.id}/scan`, { appid, code: await world.jsLogin(person, appid) });
      expect(
        await world.ok('POST', `/api/mp/tickets/${ticket.id}/cancel`, { appid, code: await world.jsLogin(person, appid) }),
      ).toMatchObject({
        state: 'cancelled',
      });
    });

    it('a ticket of another connection, another kind, or an unknown one is not found', async () => {
      const person = await world.person();
      const foreign = await newTicket('s3', { connectionId: 'demo-website', appid: 'wxd00000000000c003' });
      const s1 = await newTicket('s1');
      for (const id of [foreign.ticket.id, s1.ticket.id, 'AAAAAAAAAAAAAAAAAAAAAA']) {
        const answer = await world.call('POST', `/api/mp/tickets/${id}/scan`, { appid, code: await world.jsLogin(person, appid) });
        expect(answer.status).toBe(404);
      }
    });

    it('a reused login code, or one issued to another appid, is a clear error', async () => {
      const person = await world.person();
      const { ticket } = await newTicket();
      const code = await world.jsLogin(person, appid);
      await world.ok('POST', `/api/mp/tickets/${ticket.id}/scan`, { appid, code });
      const reused = await world.call('POST', `/api/mp/tickets/${ticket.id}/confirm`, { appid, code });
      expect(reused.status).toBe(400);
      expect(reused.body.code).toBe('wechat_code_invalid');
      const otherApp = await world.sandbox('POST', '/apps', { type: 'mini_program' });
      const foreignCode = await world.jsLogin(person, String(otherApp.appid));
      const wrongApp = await world.call('POST', `/api/mp/tickets/${ticket.id}/confirm`, { appid, code: foreignCode });
      expect(wrongApp.body.code).toBe('wechat_code_invalid');
    });

    it('phone number required: scan says so, confirm without one answers phone_required and the ticket stays open', async () => {
      await updateConnection(
        world.database.db,
        world.app.ctx.secrets,
        DEMO_MINI_PROGRAM.id,
        { settings: { phoneNumber: 'required', reusePhone: true, webAuthScope: 'auto', revealScanner: false } },
        SYSTEM_ACTOR,
      );
      try {
        const person = await world.person();
        const { ticket } = await newTicket();
        const scan = await world.ok('POST', `/api/mp/tickets/${ticket.id}/scan`, { appid, code: await world.jsLogin(person, appid) });
        expect(scan.phoneNumber).toBe('required');
        const users = await world.userCount();
        const refused = await world.call('POST', `/api/mp/tickets/${ticket.id}/confirm`, {
          appid,
          code: await world.jsLogin(person, appid),
        });
        expect(refused.status).toBe(400);
        expect(refused.body.code).toBe('phone_required');
        expect(await world.userCount()).toBe(users);
        const confirmed = await world.ok('POST', `/api/mp/tickets/${ticket.id}/confirm`, {
          appid,
          code: await world.jsLogin(person, appid),
          phoneCode: await world.phoneCode(person, appid),
        });
        expect(confirmed.outcome).toBe('signed_in');
      } finally {
        await updateConnection(
          world.database.db,
          world.app.ctx.secrets,
          DEMO_MINI_PROGRAM.id,
          { settings: { phoneNumber: 'optional', reusePhone: true, webAuthScope: 'auto', revealScanner: false } },
          SYSTEM_ACTOR,
        );
      }
    });
  });
}

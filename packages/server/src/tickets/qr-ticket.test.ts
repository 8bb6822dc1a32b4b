/** The QR-ticket state machine, on the in-process store and (with REDIS_URL) across two Redis-backed instances. */
import { randomUUID } from 'node:crypto';
import { MemorySharedState, RedisSharedState, type SharedState } from '@weunion/state';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QrTickets, type TicketStatus } from './qr-ticket.ts';

const redisUrl = process.env.REDIS_URL;

const backends: { name: string; skip: boolean; open(): Promise<[SharedState, SharedState]> }[] = [
  {
    name: 'memory',
    skip: false,
    async open() {
      const state = new MemorySharedState();
      return [state, state];
    },
  },
  {
    name: 'redis (two instances)',
    skip: redisUrl === undefined,
    async open() {
      const prefix = `test:${randomUUID()}:`;
      const a = new RedisSharedState({ url: redisUrl ?? '', prefix });
      const b = new RedisSharedState({ url: redisUrl ?? '', prefix });
      await Promise.all([a.connect(), b.connect()]);
      return [a, b];
    },
  },
];

for (const backend of backends) {
  describe.skipIf(backend.skip)(`QR tickets on ${backend.name}`, () => {
    let stateA: SharedState;
    let stateB: SharedState;
    let clock = Date.now();
    let one: QrTickets;
    let two: QrTickets;
    beforeAll(async () => {
      [stateA, stateB] = await backend.open();
      const now = () => clock;
      one = new QrTickets(stateA, { qrTtlMs: 120_000, ticketTtlMs: 300_000, now });
      two = new QrTickets(stateB, { qrTtlMs: 120_000, ticketTtlMs: 300_000, now });
    });
    afterAll(async () => {
      await stateA.close();
      if (stateB !== stateA) await stateB.close();
    });

    it('a new ticket is waiting, and its handle fits a mini program scene and a QR scene string', async () => {
      const { ticket, secret } = await one.create({ kind: 's3' });
      expect(ticket.state).toBe('waiting');
      expect(ticket.id).toMatch(/^[A-Za-z0-9]{22}$/);
      expect(secret.length).toBeGreaterThanOrEqual(43);
      expect((await two.status(ticket.id, secret)).state).toBe('waiting');
    });

    it('only the holder of the secret can read the status; others learn nothing', async () => {
      const { ticket } = await one.create({ kind: 's1' });
      await expect(two.status(ticket.id, 'not-the-secret')).rejects.toMatchObject({ code: 'not_found' });
      await expect(two.status('doesNotExist0000000000', 'x')).rejects.toMatchObject({ code: 'not_found' });
      await expect(two.status('../../etc', 'x')).rejects.toMatchObject({ code: 'not_found' });
    });

    it('created on one instance, scanned and confirmed on the other, redeemed once by the holder', async () => {
      const { ticket, secret } = await one.create({ kind: 's1', context: { connectionId: 'c1' } });
      expect((await two.markScanned(ticket.id)).state).toBe('scanned');
      expect((await one.status(ticket.id, secret)).state).toBe('scanned');
      expect((await two.confirm(ticket.id, { userId: 'u1' })).state).toBe('confirmed');
      const { result } = await one.redeem(ticket.id, secret);
      expect(result).toEqual({ userId: 'u1' });
      expect((await two.status(ticket.id, secret)).state).toBe('consumed');
      await expect(one.redeem(ticket.id, secret)).rejects.toMatchObject({ code: 'conflict' });
    });

    it('the second confirm of a ticket is refused and does not change its result', async () => {
      const { ticket, secret } = await one.create({ kind: 's3' });
      await one.confirm(ticket.id, { userId: 'first' });
      await expect(two.confirm(ticket.id, { userId: 'second' })).rejects.toMatchObject({ code: 'conflict' });
      expect((await one.redeem(ticket.id, secret)).result).toEqual({ userId: 'first' });
    });

    it('of 50 concurrent confirmations from two instances exactly one wins', async () => {
      const { ticket, secret } = await one.create({ kind: 's3' });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? one : two).confirm(ticket.id, { userId: `u${i}` })),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const winner = outcomes.find((o) => o.status === 'fulfilled');
      const { result } = await two.redeem(ticket.id, secret);
      expect(winner?.status === 'fulfilled' && winner.value.result).toEqual(result);
    });

    it('a confirmed ticket shown to another browser yields nothing to it (QR-jacking)', async () => {
      const { ticket, secret } = await one.create({ kind: 's1' });
      await two.confirm(ticket.id, { userId: 'victim' });
      await expect(two.redeem(ticket.id, 'attacker-guess')).rejects.toMatchObject({ code: 'not_found' });
      // The attempt changed nothing: the real holder still gets the result.
      expect((await one.redeem(ticket.id, secret)).result).toEqual({ userId: 'victim' });
    });

    it('a QR past its life is expired: scanning or confirming it is refused as gone', async () => {
      const { ticket, secret } = await one.create({ kind: 's1' });
      clock += 121_000;
      try {
        expect((await one.status(ticket.id, secret)).state).toBe('expired');
        await expect(two.markScanned(ticket.id)).rejects.toMatchObject({ code: 'gone' });
        await expect(two.confirm(ticket.id, { userId: 'late' })).rejects.toMatchObject({ code: 'gone' });
        await expect(one.redeem(ticket.id, secret)).rejects.toMatchObject({ code: 'gone' });
      } finally {
        clock -= 121_000;
      }
    });

    it('a confirmed result not redeemed within the ticket life expires', async () => {
      const { ticket, secret } = await one.create({ kind: 's1' });
      await one.confirm(ticket.id, { userId: 'u' });
      clock += 301_000;
      try {
        await expect(one.redeem(ticket.id, secret)).rejects.toMatchObject({ code: 'gone' });
      } finally {
        clock -= 301_000;
      }
    });

    it('a cancelled ticket cannot be confirmed', async () => {
      const { ticket, secret } = await one.create({ kind: 's3' });
      await one.markScanned(ticket.id);
      expect((await two.cancel(ticket.id)).state).toBe('cancelled');
      await expect(one.confirm(ticket.id, { userId: 'u' })).rejects.toMatchObject({ code: 'conflict' });
      expect((await one.status(ticket.id, secret)).state).toBe('cancelled');
    });

    it('the status carries no personal data unless the ticket opted in', async () => {
      const hidden = await one.create({ kind: 's1' });
      await two.markScanned(hidden.ticket.id, { nickname: 'Alice' });
      expect((await one.status(hidden.ticket.id, hidden.secret)).scanner).toBeUndefined();
      const shown = await one.create({ kind: 's1', revealOnScan: true });
      await two.markScanned(shown.ticket.id, { nickname: 'Alice' });
      expect((await one.status(shown.ticket.id, shown.secret)).scanner).toEqual({ nickname: 'Alice' });
    });

    it('a watcher on one instance hears every transition made on the other, in order', async () => {
      const { ticket, secret } = await one.create({ kind: 's1' });
      await one.authorize(ticket.id, secret);
      const heard: TicketStatus[] = [];
      const done = new Promise<void>((resolve) => {
        void one
          .watch(ticket.id, (status) => {
            heard.push(status);
            if (status.state === 'consumed') resolve();
          })
          .then(async (subscription) => {
            await two.markScanned(ticket.id);
            await two.confirm(ticket.id, { userId: 'u' });
            await one.redeem(ticket.id, secret);
            await done;
            await subscription.unsubscribe();
          });
      });
      await done;
      expect(heard.map((s) => s.state)).toEqual(['scanned', 'confirmed', 'consumed']);
      expect(heard.map((s) => s.version)).toEqual([2, 3, 4]);
      expect(JSON.stringify(heard)).not.toContain('userId');
    });
  });
}

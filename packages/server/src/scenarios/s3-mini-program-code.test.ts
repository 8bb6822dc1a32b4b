/**
 * S3 end to end over real HTTP against the sandbox, on embedded and scale-out storage: the PC
 * browser gets a ticket and its mini program code, the person scans the code with the virtual
 * phone, the mini program (its side is mp/ticket-routes.ts) marks the ticket scanned and confirms
 * with `wx.login` and the phone-number code, and the browser redeems the login once.
 * Also here: the same sandbox person through S1, S2, S3 and S4 is one user, and expired tickets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  Browser,
  createS1Ticket,
  demo,
  type Instance,
  LoginWorld,
  loginWithS2,
  scan,
  sessionOf,
  storageModes,
  waitForState,
} from '../login/test-harness.ts';

const MP = demo('miniProgram');

const ticketSchema = z.object({ ticketId: z.string(), secret: z.string(), qrImageUrl: z.string() });
const codeScanSchema = z.object({ kind: z.literal('mini_program_code'), appid: z.string(), page: z.string(), scene: z.string() });

async function createS3Ticket(browser: Browser, instance: Instance) {
  const answer = await browser.json('POST', `${instance.url}/api/login/s3`, { returnTo: '/s3-done' });
  if (answer.status !== 200) throw new Error(`s3 ticket: ${answer.status} ${JSON.stringify(answer.body)}`);
  return ticketSchema.parse(answer.body);
}

/** The person scans the PNG the PC shows; the sandbox decodes it like WeChat would. */
async function scanCode(world: LoginWorld, browser: Browser, instance: Instance, personId: string, qrImageUrl: string) {
  const png = await browser.fetch(`${instance.url}${qrImageUrl}`);
  expect(png.headers.get('content-type')).toBe('image/png');
  const imageBase64 = Buffer.from(await png.arrayBuffer()).toString('base64');
  return codeScanSchema.parse(await world.sandbox('POST', '/actions/scan', { personId, imageBase64 }));
}

const jsLogin = async (world: LoginWorld, personId: string) =>
  z.string().parse((await world.sandbox('POST', '/actions/js-login', { personId, appid: MP.appid })).code);
const phoneCode = async (world: LoginWorld, personId: string) =>
  z.string().parse((await world.sandbox('POST', '/actions/phone-code', { personId, appid: MP.appid })).code);

/** What the mini program's login page does after opening with `scene`. */
async function confirmInMiniProgram(world: LoginWorld, instance: Instance, personId: string, ticketId: string) {
  const mp = new Browser();
  const scanned = await mp.json('POST', `${instance.url}/api/mp/tickets/${ticketId}/scan`, {
    appid: MP.appid,
    code: await jsLogin(world, personId),
  });
  expect(scanned.status).toBe(200);
  const body: Record<string, string> = { appid: MP.appid, code: await jsLogin(world, personId) };
  if (scanned.body.phoneNumber !== 'not_needed') body.phoneCode = await phoneCode(world, personId);
  return mp.json('POST', `${instance.url}/api/mp/tickets/${ticketId}/confirm`, body);
}

async function loginWithS3(world: LoginWorld, instance: Instance, browser: Browser, personId: string) {
  const ticket = await createS3Ticket(browser, instance);
  const scanned = await scanCode(world, browser, instance, personId, ticket.qrImageUrl);
  expect(scanned).toMatchObject({ appid: MP.appid, scene: ticket.ticketId });
  expect((await confirmInMiniProgram(world, instance, personId, ticket.ticketId)).status).toBe(200);
  await waitForState(browser, instance, ticket.ticketId, 'confirmed');
  return browser.json('POST', `${instance.url}/api/login/tickets/${ticket.ticketId}/redeem`);
}

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`S3 scan a mini program code on a PC: ${mode.name}`, () => {
    let world: LoginWorld;
    beforeAll(async () => {
      world = await LoginWorld.start(mode);
    });
    afterAll(async () => {
      await world?.close();
    });

    it('code → scan → confirm in the mini program (with phone) → the browser redeems and is signed in', async () => {
      const person = await world.person('Gina');
      const browser = new Browser();
      const redeemed = await loginWithS3(world, world.first, browser, person);
      expect(redeemed.body).toMatchObject({ status: 'signed_in', returnTo: '/s3-done' });
      const session = await sessionOf(browser, world.first);
      expect(session).toMatchObject({ phone_number_verified: true, session: { methods: ['s3'], appid: MP.appid } });
      expect(session?.phone_number).toMatch(/^\+86139/);
    });

    it('only the holder gets the code image; a second confirm is refused; the result is not for another browser', async () => {
      const person = await world.person();
      const browser = new Browser();
      const stranger = new Browser();
      const ticket = await createS3Ticket(browser, world.first);
      expect((await stranger.fetch(`${world.first.url}${ticket.qrImageUrl}`)).status).toBe(404);
      await scanCode(world, browser, world.first, person, ticket.qrImageUrl);
      expect((await confirmInMiniProgram(world, world.first, person, ticket.ticketId)).status).toBe(200);
      const users = await world.userCount();
      const second = await new Browser().json('POST', `${world.first.url}/api/mp/tickets/${ticket.ticketId}/confirm`, {
        appid: MP.appid,
        code: await jsLogin(world, person),
      });
      expect(second.status).toBe(409);
      expect((await stranger.json('POST', `${world.first.url}/api/login/tickets/${ticket.ticketId}/redeem`)).status).toBe(404);
      expect(await world.userCount()).toBe(users);
      expect((await browser.json('POST', `${world.first.url}/api/login/tickets/${ticket.ticketId}/redeem`)).body.status).toBe('signed_in');
    });

    it('the same person through S1, S2, S3 and S4 (one Open Platform account) is one user', async () => {
      const person = await world.person('Hana');
      const subs: unknown[] = [];

      const viaS1 = new Browser();
      const ticket = await createS1Ticket(viaS1, world.first);
      await scan(world, person, ticket.qrContent);
      await waitForState(viaS1, world.first, ticket.ticketId, 'confirmed');
      await viaS1.json('POST', `${world.first.url}/api/login/tickets/${ticket.ticketId}/redeem`);
      subs.push((await sessionOf(viaS1, world.first))?.sub);

      const viaS2 = new Browser();
      await loginWithS2(world, world.first, viaS2, person);
      subs.push((await sessionOf(viaS2, world.first))?.sub);

      const viaS3 = new Browser();
      await loginWithS3(world, world.first, viaS3, person);
      subs.push((await sessionOf(viaS3, world.first))?.sub);

      const viaS4 = new Browser();
      viaS4.setCookie(world.sandboxUrl, 'sandbox_person', person);
      const landed = await viaS4.navigate(`${world.first.url}/login/s4?returnTo=/s4`);
      if (new URL(landed.url).pathname !== '/s4') await viaS4.navigate((await world.approve(person, landed.url)) ?? '');
      subs.push((await sessionOf(viaS4, world.first))?.sub);

      expect(subs.every((sub) => typeof sub === 'string')).toBe(true);
      expect(new Set(subs).size).toBe(1);
      const identities = await world.database.db
        .selectFrom('wechat_identities')
        .select('appid')
        .where('user_id', '=', String(subs[0]))
        .execute();
      expect(identities.map((i) => i.appid).sort()).toEqual([demo('officialAccount').appid, MP.appid, demo('website').appid].sort());
    });
  });
}

describe.skipIf(storageModes[0]?.skip ?? true)('expired QR tickets (S1, S3)', () => {
  let world: LoginWorld;
  beforeAll(async () => {
    const embedded = storageModes[0];
    if (embedded === undefined) throw new Error('no embedded mode');
    world = await LoginWorld.start(embedded, { QR_TTL_SECONDS: '10', TICKET_TTL_SECONDS: '20' });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('a QR scanned after it expired logs nobody in, and the browser is told it expired', async () => {
    const person = await world.person();
    const s1Browser = new Browser();
    const s1 = await createS1Ticket(s1Browser, world.first);
    const s3Browser = new Browser();
    const s3 = await createS3Ticket(s3Browser, world.first);
    const users = await world.userCount();
    await waitForState(s1Browser, world.first, s1.ticketId, 'expired');
    // The S3 ticket was made a moment later: wait for it as well, and give WeChat's own QR expiry
    // (whole seconds, rounded) a second more, so nothing here races the clock.
    await waitForState(s3Browser, world.first, s3.ticketId, 'expired');
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const late = await new Browser().json('POST', `${world.first.url}/api/mp/tickets/${s3.ticketId}/scan`, {
      appid: MP.appid,
      code: await jsLogin(world, person),
    });
    expect(late.status).toBe(410);
    // The parametric QR was made to expire with the ticket: WeChat itself no longer takes it.
    const scanned = await world
      .sandboxAny('POST', '/actions/scan', { personId: person, content: s1.qrContent })
      .catch((error: unknown) => error);
    expect(String(scanned)).toContain('410');
    expect((await s1Browser.json('POST', `${world.first.url}/api/login/tickets/${s1.ticketId}/redeem`)).status).toBe(410);
    expect((await s3Browser.json('GET', `${world.first.url}/api/login/tickets/${s3.ticketId}`)).body.state).toBe('expired');
    expect(await world.userCount()).toBe(users);
  }, 30_000);
});

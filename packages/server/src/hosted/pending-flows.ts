/**
 * Test helper (not a test file): real logins against the sandbox that leave a browser at the
 * hosted select or bind page, and the binding codes the sandbox-mode log sender "sends".
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SYSTEM_ACTOR } from '../identity/audit.ts';
import type { IdentityPolicy } from '../identity/index.ts';
import { createUser } from '../identity/users.ts';
import { Browser, demo, type LoginWorld, loginWithS2, sessionOf, waitForState } from '../login/test-harness.ts';

const MP = demo('miniProgram');

export const basePolicy: IdentityPolicy = {
  registration: 'allow',
  fieldMatching: [],
  queryBinding: 'off',
  bindingMethods: ['password', 'sms'],
  onMultipleMatches: 'select',
  autoMergeOnUnionid: false,
};

export const randomPhone = () => `+86137${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

const codeLog = z.object({ purpose: z.string(), channel: z.string(), destination: z.string(), code: z.string() });

/**
 * The codes the sandbox-mode log sender "sends" (it logs them, as `revealCodes` allows in the
 * sandbox): the instance's logger is silent in tests, so its `info` is watched instead.
 */
export function watchSentCodes(app: FastifyInstance): { codeFor(destination: string): string } {
  const sent: z.output<typeof codeLog>[] = [];
  const logger = app.log;
  const original = logger.info;
  Object.defineProperty(logger, 'info', {
    configurable: true,
    writable: true,
    value: (...args: unknown[]) => {
      const parsed = codeLog.safeParse(args[0]);
      if (parsed.success) sent.push(parsed.data);
      return Reflect.apply(original, logger, args);
    },
  });
  return {
    codeFor(destination) {
      const last = sent.findLast((message) => message.destination === destination);
      if (last === undefined) throw new Error(`no code was sent to ${destination}`);
      return last.code;
    },
  };
}

/** A browser waiting at /login/bind after an S2 login under `policy` (returning to `returnTo`). */
export async function atBindPage(world: LoginWorld, policy: Partial<IdentityPolicy>, returnTo = '/after-bind'): Promise<Browser> {
  await world.configure('demo-website', { policy: { ...basePolicy, ...policy } });
  const browser = new Browser();
  const landed = await loginWithS2(world, world.first, browser, await world.person(), returnTo);
  if (landed !== '/login/bind') throw new Error(`expected /login/bind, landed on ${landed}`);
  return browser;
}

/**
 * An S3 login whose unionid and phone point at different accounts, so the browser must choose
 * (the mini program connection must match on phone). The account with the phone also has an email.
 */
export async function atSelectPage(world: LoginWorld, returnTo = '/picked') {
  const instance = world.first;
  const phone = randomPhone();
  const email = `ivy.${Math.floor(Math.random() * 1e9)}@example.com`;
  const person = z.string().parse((await world.sandbox('POST', '/people', { nickname: 'Ivy', phone })).id);
  const byPhone = (
    await createUser(
      world.database.db,
      { phoneNumber: phone, phoneNumberVerified: true, email, emailVerified: true, password: 'another secret pw' },
      SYSTEM_ACTOR,
    )
  ).id;
  const web = new Browser();
  await loginWithS2(world, instance, web, person);
  const byUnionid = z.string().parse((await sessionOf(web, instance))?.sub);

  const browser = new Browser();
  const ticket = z.object({ ticketId: z.string() }).parse((await browser.json('POST', `${instance.url}/api/login/s3`, { returnTo })).body);
  const mp = new Browser();
  const jsLogin = async () =>
    z.string().parse((await world.sandbox('POST', '/actions/js-login', { personId: person, appid: MP.appid })).code);
  await mp.json('POST', `${instance.url}/api/mp/tickets/${ticket.ticketId}/scan`, { appid: MP.appid, code: await jsLogin() });
  const phoneCode = z.string().parse((await world.sandbox('POST', '/actions/phone-code', { personId: person, appid: MP.appid })).code);
  await mp.json('POST', `${instance.url}/api/mp/tickets/${ticket.ticketId}/confirm`, { appid: MP.appid, code: await jsLogin(), phoneCode });
  await waitForState(browser, instance, ticket.ticketId, 'confirmed');
  const redeemed = await browser.json('POST', `${instance.url}/api/login/tickets/${ticket.ticketId}/redeem`);
  if (redeemed.body.next !== '/login/select') throw new Error(`expected a selection, got ${JSON.stringify(redeemed.body)}`);
  return { browser, phone, email, byPhone, byUnionid };
}

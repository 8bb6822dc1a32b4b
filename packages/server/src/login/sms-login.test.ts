/**
 * SMS code login over real HTTP, on both storage modes: codes travel through the sandbox's Tencent
 * Cloud SMS emulator (signature-checked) and are read from the number's SMS inbox, as a person
 * would read them; the verified number then goes through the identity rules and ends in a session,
 * for a plain login and for an OIDC application (the interaction completes with a code).
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { applicationInputSchema, createApplication } from '../oidc/applications.ts';
import { oidcDb } from '../oidc/tables.ts';
import { SMS_SEND_PER_BLOCK_DAILY } from './sms-login.ts';
import { Browser, LoginWorld, sessionOf, storageModes } from './test-harness.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const smsList = z.array(z.object({ to: z.string(), text: z.string() }));

let sequence = 0;
/** A fresh mainland number per call (the emulator limits each number like Tencent does). */
const newPhone = () => `+86135${String(process.pid % 1000).padStart(3, '0')}${String(sequence++).padStart(5, '0')}`;

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`SMS code login (${mode.name})`, () => {
    let world: LoginWorld;
    let ip = 0;
    /** Each test its own client address, so per-IP limits of one test do not reach another. */
    const address = () => ({ 'x-forwarded-for': `198.51.100.${++ip}` });
    beforeAll(async () => {
      world = await LoginWorld.start(mode, { TRUST_PROXY: 'loopback', SMS_LOGIN_COUNTRY_CODES: '86,852' });
      for (const [id, policy] of [
        ['sms-members', { registration: 'deny' }],
        ['sms-no-phone-match', { fieldMatching: [] }],
        ['sms-open', {}],
      ] as const) {
        await createApplication(
          oidcDb(world.database.db),
          world.first.app.ctx.secrets,
          applicationInputSchema.parse({ id, name: id, type: 'web', redirectUris: [REDIRECT], scenarios: ['s2'], policy }),
        );
      }
    });
    afterAll(async () => {
      await world?.close();
    });

    async function inbox(phone: string): Promise<z.output<typeof smsList>> {
      return smsList.parse(await world.sandboxAny('GET', `/sms?to=${encodeURIComponent(phone)}`));
    }

    /** The code in the latest SMS to `phone`, read as the person reads it. */
    async function codeFrom(phone: string): Promise<string> {
      const last = (await inbox(phone)).at(-1);
      const code = /(\d{6})/.exec(last?.text ?? '')?.[1];
      if (code === undefined) throw new Error(`no code in the inbox of ${phone}`);
      return code;
    }

    async function login(browser: Browser, phone: string, extra: Record<string, string> = {}, headers = address()) {
      const sent = await browser.json('POST', `${world.first.url}/api/login/sms/send`, { phone, ...extra }, headers);
      expect(sent.status).toBe(200);
      return browser.json('POST', `${world.first.url}/api/login/sms/verify`, { phone, code: await codeFrom(phone), ...extra }, headers);
    }

    it('a new number gets a new account with the verified phone, and a session; the SMS is in zh-CN', async () => {
      const phone = newPhone();
      const before = await world.userCount();
      const browser = new Browser();
      const answer = await login(browser, phone, { returnTo: '/welcome' });
      expect(answer).toMatchObject({ status: 200, body: { status: 'signed_in', created: true, returnTo: '/welcome' } });
      expect(await world.userCount()).toBe(before + 1);
      const session = await sessionOf(browser, world.first);
      expect(session).toMatchObject({ sub: answer.body.userId, phone_number: phone, session: { methods: ['sms'] } });
      const user = await world.database.db
        .selectFrom('users')
        .selectAll()
        .where('id', '=', String(answer.body.userId))
        .executeTakeFirstOrThrow();
      expect(user).toMatchObject({ phone_number: phone, phone_number_verified: 1 });
      expect((await inbox(phone))[0]?.text).toMatch(/^【weunion沙箱】您的验证码为\d{6}，10分钟内有效/);
    });

    it('a number an account holds as verified signs in to that account; English SMS when asked', async () => {
      const phone = newPhone();
      const existing = await world.existingUser(phone, 'a long password 1');
      const sent = await new Browser().json('POST', `${world.first.url}/api/login/sms/send`, { phone, language: 'en' }, address());
      expect(sent.status).toBe(200);
      expect((await inbox(phone)).at(-1)?.text).toMatch(/Your verification code is \d{6}\. It expires in 10 minutes\./);
      const browser = new Browser();
      const answer = await browser.json(
        'POST',
        `${world.first.url}/api/login/sms/verify`,
        { phone, code: await codeFrom(phone) },
        address(),
      );
      expect(answer.body).toMatchObject({ status: 'signed_in', userId: existing, created: false });
    });

    it('eleven digits are a mainland number; the answer to sending is the same with or without an account', async () => {
      const known = newPhone();
      await world.existingUser(known, 'a long password 2');
      const unknown = newPhone();
      const a = await new Browser().json('POST', `${world.first.url}/api/login/sms/send`, { phone: known.slice(3) }, address());
      const b = await new Browser().json('POST', `${world.first.url}/api/login/sms/send`, { phone: unknown.slice(3) }, address());
      expect(a.status).toBe(b.status);
      expect({ ...a.body, phone: 'x' }).toEqual({ ...b.body, phone: 'x' });
      expect(a.body.phone).toBe(known);
      // A wrong code is refused alike too.
      const wrongA = await new Browser().json(
        'POST',
        `${world.first.url}/api/login/sms/verify`,
        { phone: known, code: '000000' },
        address(),
      );
      const wrongB = await new Browser().json(
        'POST',
        `${world.first.url}/api/login/sms/verify`,
        { phone: unknown, code: '000000' },
        address(),
      );
      expect([wrongA.status, wrongA.body.code]).toEqual([400, 'verification_failed']);
      expect([wrongB.status, wrongB.body.code]).toEqual([400, 'verification_failed']);
    });

    it('an application that closes registration refuses a new number, and one not matching by phone refuses a known one', async () => {
      const before = await world.userCount();
      const refused = await login(new Browser(), newPhone(), { client: 'sms-members' });
      expect(refused).toMatchObject({ status: 403, body: { code: 'login_refused', reason: 'registration_closed' } });
      expect(await world.userCount()).toBe(before);

      const phone = newPhone();
      await world.existingUser(phone, 'a long password 3');
      const unmatched = await login(new Browser(), phone, { client: 'sms-no-phone-match' });
      expect(unmatched).toMatchObject({ status: 403, body: { code: 'login_refused', reason: 'phone_not_matched' } });
    });

    it('a code works once; the same number cannot have another sent within the resend wait', async () => {
      const phone = newPhone();
      const headers = address();
      const browser = new Browser();
      const first = await login(browser, phone, {}, headers);
      expect(first.status).toBe(200);
      const code = await codeFrom(phone);
      const again = await browser.json('POST', `${world.first.url}/api/login/sms/verify`, { phone, code }, headers);
      expect([again.status, again.body.code]).toEqual([400, 'verification_failed']);
      const resend = await browser.json('POST', `${world.first.url}/api/login/sms/send`, { phone }, headers);
      expect([resend.status, resend.body.code]).toEqual([429, 'rate_limited']);
      expect(await inbox(phone)).toHaveLength(1);
    });

    it('one client address gets five sends per ten minutes, then 429 with Retry-After, and nothing more is sent', async () => {
      const headers = address();
      const calls = async () => z.object({ tencent: z.number() }).parse(await world.sandbox('GET', '/sms-calls')).tencent;
      for (let i = 0; i < 5; i++) {
        const sent = await new Browser().json('POST', `${world.first.url}/api/login/sms/send`, { phone: newPhone() }, headers);
        expect(sent.status).toBe(200);
      }
      const before = await calls();
      const response = await fetch(`${world.first.url}/api/login/sms/send`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ phone: newPhone() }),
      });
      expect(response.status).toBe(429);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await calls()).toBe(before);
    });

    it('sends are capped per block of numbers and per country code a day, whatever the client address', async () => {
      const day = 24 * 3600_000;
      // As if 200 sends had gone to one block today (a pumping run over consecutive numbers)…
      await world.state.increment(`rate:${SMS_SEND_PER_BLOCK_DAILY.name}:+8613977`, { by: SMS_SEND_PER_BLOCK_DAILY.limit, ttlMs: day });
      const pumped = await new Browser().json('POST', `${world.first.url}/api/login/sms/send`, { phone: '+8613977000123' }, address());
      expect([pumped.status, pumped.body.code]).toEqual([429, 'rate_limited']);
      // Another block of the same country still works.
      const other = await new Browser().json('POST', `${world.first.url}/api/login/sms/send`, { phone: newPhone() }, address());
      expect(other.status).toBe(200);
      // …and as if the day's budget of +852 (SMS_DAILY_LIMIT_PER_COUNTRY, default 5000) were spent.
      await world.state.increment('rate:sms-login-send-country-day:852', { by: 5000, ttlMs: day });
      const hongKong = await new Browser().json('POST', `${world.first.url}/api/login/sms/send`, { phone: '+85251234567' }, address());
      expect([hongKong.status, hongKong.body.code]).toEqual([429, 'rate_limited']);
    });

    it('numbers outside the allowed country codes are refused before anything is sent', async () => {
      const before = z.object({ tencent: z.number() }).parse(await world.sandbox('GET', '/sms-calls')).tencent;
      const us = await new Browser().json('POST', `${world.first.url}/api/login/sms/send`, { phone: '+12025550123' }, address());
      expect([us.status, us.body.code]).toEqual([400, 'phone_country_not_allowed']);
      const bad = await new Browser().json('POST', `${world.first.url}/api/login/sms/send`, { phone: '12345' }, address());
      expect([bad.status, bad.body.code]).toEqual([400, 'validation_failed']);
      expect(z.object({ tencent: z.number() }).parse(await world.sandbox('GET', '/sms-calls')).tencent).toBe(before);
    });

    it('CORS: a registered web origin may call the SMS login APIs with credentials; any other origin is refused before a code is sent', async () => {
      const before = z.object({ tencent: z.number() }).parse(await world.sandbox('GET', '/sms-calls')).tencent;
      const phone = newPhone();
      const call = (origin: string) =>
        fetch(`${world.first.url}/api/login/sms/send`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin, ...address() },
          body: JSON.stringify({ phone }),
        });
      const foreign = await call('https://evil.example');
      expect(foreign.status).toBe(403);
      expect(z.object({ tencent: z.number() }).parse(await world.sandbox('GET', '/sms-calls')).tencent).toBe(before);
      // The applications' redirect URIs are on http://127.0.0.1:9: that origin is registered.
      const registered = await call('http://127.0.0.1:9');
      expect(registered.status).toBe(200);
      expect(registered.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:9');
      expect(registered.headers.get('access-control-allow-credentials')).toBe('true');
      const preflight = await fetch(`${world.first.url}/api/login/sms/verify`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://127.0.0.1:9',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    });

    it('an OIDC login completes through SMS: the interaction ends at the application with a code', async () => {
      const id = `sms-oidc-${sequence}`;
      const { clientSecret } = await createApplication(
        oidcDb(world.database.db),
        world.first.app.ctx.secrets,
        applicationInputSchema.parse({ id, name: 'SMS OIDC', type: 'web', redirectUris: [REDIRECT], scenarios: ['s2'] }),
      );
      const config = await client.discovery(new URL(world.first.url), id, clientSecret ?? '', undefined, {
        execute: [client.allowInsecureRequests],
      });
      const browser = new Browser();
      const verifier = client.randomPKCECodeVerifier();
      const authorize = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid phone',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const loginPage = await browser.navigate(authorize.href);
      const page = new URL(loginPage.url);
      expect(page.pathname).toBe('/login');
      const returnTo = page.searchParams.get('returnTo') ?? '';
      const clientId = page.searchParams.get('client') ?? undefined;
      expect(returnTo).toMatch(/^\/interaction\//);
      const phone = newPhone();
      const answer = await login(browser, phone, { returnTo, ...(clientId === undefined ? {} : { client: clientId }) });
      expect(answer.body).toMatchObject({ status: 'signed_in', returnTo });
      let current = new URL(returnTo, world.first.url).href;
      for (let hop = 0; hop < 8 && !current.startsWith(REDIRECT); hop++) {
        const response = await browser.fetch(current);
        await response.body?.cancel();
        const next = response.headers.get('location');
        if (next === null) break;
        current = new URL(next, current).href;
      }
      expect(current.startsWith(REDIRECT)).toBe(true);
      const tokens = await client.authorizationCodeGrant(config, new URL(current), {
        pkceCodeVerifier: verifier,
        expectedState: client.skipStateCheck,
      });
      expect(tokens.claims()?.sub).toBe(answer.body.userId);
    });
  });
}

/**
 * The mini program SDK run in Node against a real weunion and the WeChat sandbox: the `wx` shim's
 * `wx.login` yields real sandbox codes, `wx.request` is real HTTP. S5 (with and without a phone,
 * legacy encrypted data, the person refusing the phone), S3 and S7 confirmed in the "mini program",
 * token refresh and logout, and weunion's refusals as `WeunionError`s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { watchSentCodes } from '../../server/src/hosted/pending-flows.ts';
import { SYSTEM_ACTOR } from '../../server/src/identity/audit.ts';
import { DEFAULT_POLICY } from '../../server/src/identity/policy.ts';
import { createUser } from '../../server/src/identity/users.ts';
import { Browser, demo, LoginWorld, loginWithS2, sessionOf, storageModes } from '../../server/src/login/test-harness.ts';
import { createWeunion, ticketFromLaunchOptions, WeunionError } from '../src/index.ts';
import { WxShim } from './wx-shim.ts';

const MP = demo('miniProgram');
const APP = demo('mobileApp');
const PHONE_CALL = 'wxa/business/getuserphonenumber';
const embedded = storageModes.find((m) => m.name === 'embedded');

describe.skipIf(embedded === undefined || embedded.skip)('@weunion/sdk-miniprogram against weunion and the sandbox', () => {
  let world: LoginWorld;
  let base: string;
  beforeAll(async () => {
    if (embedded === undefined) throw new Error('no embedded storage');
    world = await LoginWorld.start(embedded);
    base = world.first.url;
  });
  afterAll(async () => {
    await world?.close();
  });

  /** A person with a phone, their "phone" running the mini program, and the SDK in it. */
  async function miniProgram(nickname: string, clock?: { now: number }) {
    const wx = new WxShim(world, MP.appid, await world.person(nickname));
    const weunion = createWeunion({ baseUrl: base, appid: MP.appid, wx, ...(clock === undefined ? {} : { now: () => clock.now }) });
    return { wx, weunion };
  }

  async function billedPhoneCalls(): Promise<number> {
    const stats = z
      .object({ billable: z.record(z.string(), z.record(z.string(), z.number())) })
      .parse(await world.sandbox('GET', '/stats'));
    return stats.billable[PHONE_CALL]?.[MP.appid] ?? 0;
  }

  async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: z.looseObject({}).parse(await response.json()) };
  }

  it('S5: login() signs a new person in, stores tokens, and the same person is the same user next time', async () => {
    const { wx, weunion } = await miniProgram('Ann');
    const users = await world.userCount();
    const first = await weunion.login();
    if (first.status !== 'signed_in') throw new Error(`not signed in: ${first.status}`);
    expect(first.claims.sub).toBe(first.userId);
    expect(first.phoneSource).toBe('none');
    expect(weunion.isLoggedIn()).toBe(true);
    expect(weunion.user()?.sub).toBe(first.userId);
    expect(await world.userCount()).toBe(users + 1);

    const again = await createWeunion({ baseUrl: base, appid: MP.appid, wx }).login();
    expect(again).toMatchObject({ status: 'signed_in', userId: first.userId });
    expect(await world.userCount()).toBe(users + 1);
    expect(wx.logins).toBe(2);
  });

  it('S5 with the phone button: the phone is on the account; a second login reuses it without a second paid call', async () => {
    const { wx, weunion } = await miniProgram('Ben');
    const billed = await billedPhoneCalls();
    const first = await weunion.loginWithPhone(await wx.phoneEvent());
    if (first.status !== 'signed_in') throw new Error(`not signed in: ${first.status}`);
    expect(first.phoneSource).toBe('wechat_code');
    expect(first.claims).toMatchObject({ phone_number_verified: true, phone_number: expect.stringMatching(/^\+86139\d{8}$/) });
    expect(await billedPhoneCalls()).toBe(billed + 1);

    const second = await weunion.loginWithPhone(await wx.phoneEvent());
    expect(second).toMatchObject({ status: 'signed_in', userId: first.userId, phoneSource: 'on_file' });
    expect(await billedPhoneCalls()).toBe(billed + 1);
  });

  it('S5 with legacy encrypted data: the code prepared before the tap decrypts it (no wx.login after the tap)', async () => {
    const { wx, weunion } = await miniProgram('Cleo');
    await weunion.prepareLogin();
    const event = await wx.encryptedPhoneEvent();
    const answer = await weunion.loginWithPhone(event);
    expect(answer).toMatchObject({ status: 'signed_in', phoneSource: 'encrypted_data', claims: { phone_number_verified: true } });
    expect(wx.logins).toBe(1);
  });

  it('the person refuses the phone: phone_denied, weunion is not called and no account is created', async () => {
    const { wx, weunion } = await miniProgram('Dora');
    const users = await world.userCount();
    const error = await weunion.loginWithPhone({ detail: { errMsg: 'getPhoneNumber:fail user deny' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeunionError);
    expect(error).toMatchObject({ code: 'phone_denied', status: 0 });
    expect(wx.logins).toBe(0);
    expect(await world.userCount()).toBe(users);
    expect(weunion.isLoggedIn()).toBe(false);
  });

  it('a phone added later with the access token lands on the account', async () => {
    const { wx, weunion } = await miniProgram('Eli');
    const signed = await weunion.login();
    expect(signed).toMatchObject({ status: 'signed_in', phoneSource: 'none' });
    const added = await weunion.addPhone(await wx.phoneEvent());
    expect(added).toMatchObject({ phoneNumber: expect.stringMatching(/^\+86139\d{8}$/), attached: true });
    const again = await weunion.login();
    expect(again).toMatchObject({ status: 'signed_in', phoneSource: 'on_file', claims: { phone_number: added.phoneNumber } });
  });

  it('a phone added later from legacy encrypted data uses the login prepared before the tap', async () => {
    const { wx, weunion } = await miniProgram('Eve');
    await weunion.login();
    await weunion.prepareLogin();
    const added = await weunion.addPhone(await wx.encryptedPhoneEvent());
    expect(added).toMatchObject({ phoneNumber: expect.stringMatching(/^\+86139\d{8}$/), attached: true });
    expect(wx.logins).toBe(2);
  });

  it('S3: a PC ticket scanned and confirmed in the mini program becomes confirmed for the PC page', async () => {
    const pc = await post('/api/login/s3', {});
    expect(pc.status).toBe(200);
    const { ticketId, secret } = z.object({ ticketId: z.string(), secret: z.string() }).parse(pc.body);
    // The mini program code opens the login page with the ticket as its scene, URL-encoded.
    const ticket = ticketFromLaunchOptions({ scene: encodeURIComponent(ticketId) });
    expect(ticket).toBe(ticketId);
    if (ticket === null) throw new Error('no ticket');

    const { wx, weunion } = await miniProgram('Finn');
    const scanned = await weunion.scanQrLogin(ticket);
    expect(scanned).toEqual({ ticket, scenario: 's3', phoneNumber: 'optional' });
    const confirmed = await weunion.confirmQrLogin(ticket, await wx.phoneEvent());
    expect(confirmed).toEqual({ ticket, outcome: 'signed_in' });

    const status = await fetch(`${base}/api/login/tickets/${ticketId}`, { headers: { 'x-ticket-secret': secret } });
    expect(z.looseObject({ state: z.string() }).parse(await status.json()).state).toBe('confirmed');
    // The mini program itself is not signed in by confirming someone else's login.
    expect(weunion.isLoggedIn()).toBe(false);
  });

  it('S3 cancelled in the mini program: the PC ticket is cancelled and cannot be confirmed', async () => {
    const pc = await post('/api/login/s3', {});
    const { ticketId, secret } = z.object({ ticketId: z.string(), secret: z.string() }).parse(pc.body);
    const { weunion } = await miniProgram('Gus');
    await weunion.scanQrLogin(ticketId);
    await weunion.cancelQrLogin(ticketId);
    const status = await fetch(`${base}/api/login/tickets/${ticketId}`, { headers: { 'x-ticket-secret': secret } });
    expect(z.looseObject({ state: z.string() }).parse(await status.json()).state).toBe('cancelled');
    const error = await weunion.confirmQrLogin(ticketId).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'conflict', status: 409, details: { state: 'cancelled' } });
  });

  it('S7: the app’s ticket, confirmed in the mini program, gives a resultCode the app exchanges for tokens', async () => {
    const created = await post('/api/app/s7/tickets', { appid: APP.appid });
    expect(created.status).toBe(200);
    const app = z
      .object({ ticket: z.string(), secret: z.string(), launch: z.object({ path: z.string(), userName: z.string() }) })
      .parse(created.body);
    // WXLaunchMiniProgram opens `launch.path`; the page's onLoad gets its query as options.
    const [page, query = ''] = app.launch.path.split('?');
    expect(page).toBe('pages/login/confirm');
    const ticket = ticketFromLaunchOptions(Object.fromEntries(new URLSearchParams(query)));
    expect(ticket).toBe(app.ticket);
    if (ticket === null) throw new Error('no ticket');

    const { weunion } = await miniProgram('Hana');
    expect(await weunion.scanQrLogin(ticket)).toMatchObject({ scenario: 's7', phoneNumber: 'optional' });
    const confirmed = await weunion.confirmQrLogin(ticket);
    expect(confirmed).toMatchObject({ ticket, outcome: 'signed_in', resultCode: expect.any(String) });
    const resultCode = confirmed.resultCode ?? '';

    // launchApp's app-parameter reaches the app as extMsg.
    const back = await world.sandbox('POST', '/actions/return-to-app', { personId: 'p_alice', appid: MP.appid, extMsg: resultCode });
    expect(back.extMsg).toBe(resultCode);
    const exchanged = await post('/api/app/s7/exchange', { resultCode, ticketSecret: app.secret });
    expect(exchanged.status).toBe(200);
    expect(exchanged.body).toMatchObject({ outcome: 'signed_in', userId: expect.any(String), tokens: { token_type: 'Bearer' } });
    // Once only.
    expect((await post('/api/app/s7/exchange', { resultCode, ticketSecret: app.secret })).status).toBeGreaterThanOrEqual(400);
  });

  it('accessToken() refreshes a minute before expiry and stores the rotated refresh token', async () => {
    const clock = { now: Date.now() };
    const { wx, weunion } = await miniProgram('Ivy', clock);
    await weunion.login();
    const key = `weunion:${MP.appid}:tokens`;
    const before = z.object({ accessToken: z.string(), refreshToken: z.string() }).parse(wx.storage.get(key));
    expect(await weunion.accessToken()).toBe(before.accessToken);

    clock.now += 3600_000 - 30_000;
    const [one, two] = await Promise.all([weunion.accessToken(), weunion.accessToken()]);
    expect(one).toBe(two);
    const after = z.object({ accessToken: z.string(), refreshToken: z.string() }).parse(wx.storage.get(key));
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(one).toBe(after.accessToken);
    expect(weunion.expiresIn()).toBeGreaterThan(3000);
    // The spent refresh token is worthless to anyone who copied it.
    const replay = await post('/api/token/refresh', { refresh_token: before.refreshToken });
    expect(replay.body.code).toBe('refresh_token_reused');
  });

  it('logout() revokes the session: the stored refresh token no longer works and the SDK forgets it', async () => {
    const clock = { now: Date.now() };
    const { wx, weunion } = await miniProgram('Jo', clock);
    await weunion.login();
    const { refreshToken } = z.object({ refreshToken: z.string() }).parse(wx.storage.get(`weunion:${MP.appid}:tokens`));
    await weunion.logout();
    expect(weunion.isLoggedIn()).toBe(false);
    expect(weunion.user()).toBeNull();
    const refused = await post('/api/token/refresh', { refresh_token: refreshToken });
    expect(refused).toMatchObject({ status: 401, body: { code: 'token_invalid' } });
    expect(await weunion.accessToken().catch((e: unknown) => e)).toMatchObject({ code: 'not_logged_in' });
  });

  it('a refresh weunion refuses surfaces its code and leaves the SDK signed out', async () => {
    const clock = { now: Date.now() };
    const { wx, weunion } = await miniProgram('Kai', clock);
    await weunion.login();
    const { refreshToken } = z.object({ refreshToken: z.string() }).parse(wx.storage.get(`weunion:${MP.appid}:tokens`));
    await post('/api/token/revoke', { token: refreshToken });
    clock.now += 3600_000;
    const error = await weunion.accessToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeunionError);
    expect(error).toMatchObject({ code: 'token_invalid', status: 401 });
    expect(weunion.isLoggedIn()).toBe(false);
  });

  it('WeChat’s refusals arrive as WeunionError with weunion’s code: a used code, a high-risk person', async () => {
    const { wx, weunion } = await miniProgram('Lu');
    wx.nextCode = 'not-a-real-code';
    const invalid = await weunion.login().catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(WeunionError);
    expect(invalid).toMatchObject({ code: 'wechat_code_invalid', status: 400 });

    await world.sandbox('PUT', '/faults', { appid: MP.appid, highRiskPersonIds: [wx.personId] });
    try {
      const risky = await weunion.login().catch((e: unknown) => e);
      expect(risky).toMatchObject({ code: 'wechat_high_risk_user', status: 403 });
    } finally {
      await world.sandbox('DELETE', `/faults?appid=${MP.appid}`);
    }
    expect(weunion.isLoggedIn()).toBe(false);
  });

  it('a pending bind is completed from the page: a wrong password is refused, the right one signs in to that account', async () => {
    await world.configure('demo-mini-program', { policy: { ...DEFAULT_POLICY, queryBinding: 'offer', bindingMethods: ['password'] } });
    try {
      const phone = `+86137${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
      const existing = await world.existingUser(phone, 'correct horse battery');
      const { weunion } = await miniProgram('Max');
      const pending = await weunion.login();
      if (pending.status !== 'bind') throw new Error(`expected bind, got ${pending.status}`);
      expect(pending).toMatchObject({ methods: ['password'], mayCreateInstead: true });
      expect(weunion.isLoggedIn()).toBe(false);

      const wrong = await weunion.bindWithPassword(pending.pendingId, { login: phone, password: 'nope' }).catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(WeunionError);
      expect(wrong).toMatchObject({ code: 'binding_failed', status: 400 });
      const right = await weunion.bindWithPassword(pending.pendingId, { login: phone, password: 'correct horse battery' });
      expect(right).toMatchObject({ status: 'signed_in', userId: existing, claims: { sub: existing } });
      expect(weunion.isLoggedIn()).toBe(true);
    } finally {
      await world.configure('demo-mini-program', { policy: DEFAULT_POLICY });
    }
  });

  it('a pending bind by SMS code: the code is sent to the account’s phone, a wrong one is refused, the right one signs in', async () => {
    const codes = watchSentCodes(world.first.app);
    await world.configure('demo-mini-program', {
      policy: { ...DEFAULT_POLICY, queryBinding: 'require', bindingMethods: ['sms', 'email'] },
    });
    try {
      const phone = `+86137${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
      const existing = await world.existingUser(phone, 'unused password');
      const { weunion } = await miniProgram('Sue');
      const pending = await weunion.login();
      if (pending.status !== 'bind') throw new Error(`expected bind, got ${pending.status}`);
      expect(pending).toMatchObject({ methods: ['sms', 'email'], mayCreateInstead: false });
      expect(await weunion.sendBindingCode(pending.pendingId, { channel: 'sms', destination: phone })).toEqual({
        expiresInMs: expect.any(Number),
      });
      const code = codes.codeFor(phone);
      const wrong = await weunion
        .bindWithCode(pending.pendingId, { channel: 'sms', destination: phone, code: code === '000000' ? '111111' : '000000' })
        .catch((e: unknown) => e);
      expect(wrong).toMatchObject({ code: 'verification_failed', status: 400, details: { attemptsLeft: 4 } });
      const right = await weunion.bindWithCode(pending.pendingId, { channel: 'sms', destination: phone, code });
      expect(right).toMatchObject({ status: 'signed_in', userId: existing, claims: { sub: existing } });
      expect(weunion.isLoggedIn()).toBe(true);
    } finally {
      await world.configure('demo-mini-program', { policy: DEFAULT_POLICY });
    }
  });

  it('cancelPending ends a pending bind: nothing is created and the pending id is dead', async () => {
    await world.configure('demo-mini-program', { policy: { ...DEFAULT_POLICY, queryBinding: 'offer' } });
    try {
      const { weunion } = await miniProgram('Cal');
      const pending = await weunion.login();
      if (pending.status !== 'bind') throw new Error(`expected bind, got ${pending.status}`);
      const users = await world.userCount();
      await weunion.cancelPending(pending.pendingId);
      const after = await weunion.createAccount(pending.pendingId).catch((e: unknown) => e);
      expect(after).toMatchObject({ code: 'login_expired', status: 410 });
      expect(await world.userCount()).toBe(users);
      expect(weunion.isLoggedIn()).toBe(false);
    } finally {
      await world.configure('demo-mini-program', { policy: DEFAULT_POLICY });
    }
  });

  it('a pending selection lists recognisable, masked candidates; the chosen one is signed in', async () => {
    const phone = `+86137${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const person = z.string().parse((await world.sandbox('POST', '/people', { nickname: 'Ivy', phone })).id);
    const web = new Browser();
    await loginWithS2(world, world.first, web, person);
    const byUnionid = z.string().parse((await sessionOf(web, world.first))?.sub);
    const byPhone = (
      await createUser(world.database.db, { phoneNumber: phone, phoneNumberVerified: true, nickname: 'Ivy at work' }, SYSTEM_ACTOR)
    ).id;
    await world.configure('demo-mini-program', { policy: { ...DEFAULT_POLICY, fieldMatching: ['phone'] } });
    try {
      const wx = new WxShim(world, MP.appid, person);
      const weunion = createWeunion({ baseUrl: base, appid: MP.appid, wx });
      const pending = await weunion.loginWithPhone(await wx.phoneEvent());
      if (pending.status !== 'select') throw new Error(`expected select, got ${pending.status}`);
      expect(pending.candidates).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            userId: byUnionid,
            via: ['unionid'],
            lastLoginAt: expect.any(Number),
            lastLoginApp: expect.any(String),
          }),
          expect.objectContaining({
            userId: byPhone,
            via: ['phone'],
            nickname: 'Ivy at work',
            maskedPhone: `${phone.slice(0, -8)}****${phone.slice(-4)}`,
          }),
        ]),
      );
      expect(JSON.stringify(pending)).not.toContain(phone);
      const chosen = await weunion.selectAccount(pending.pendingId, byPhone);
      expect(chosen).toMatchObject({ status: 'signed_in', userId: byPhone });
    } finally {
      await world.configure('demo-mini-program', { policy: DEFAULT_POLICY });
    }
  });

  it('ticketFromLaunchOptions: page scene (URL-encoded, or t=…), S7 ticket, the app’s query; nothing else', () => {
    expect(ticketFromLaunchOptions({ scene: 'AbCdEf0123456789xyzQRS' })).toBe('AbCdEf0123456789xyzQRS');
    expect(ticketFromLaunchOptions({ scene: encodeURIComponent('t=AbCdEf0123456789') })).toBe('AbCdEf0123456789');
    expect(ticketFromLaunchOptions({ scene: 1047, query: { scene: 'AbCdEf0123456789' } })).toBe('AbCdEf0123456789');
    expect(ticketFromLaunchOptions({ scene: 1069, query: { ticket: 'AbCdEf0123456789' } })).toBe('AbCdEf0123456789');
    expect(ticketFromLaunchOptions({ scene: 1001, query: {} })).toBeNull();
    expect(ticketFromLaunchOptions({ scene: '<script>' })).toBeNull();
    expect(ticketFromLaunchOptions(undefined)).toBeNull();
  });
});

/**
 * The browser SDK's QR logins, run in Node against a real weunion and the WeChat sandbox: the
 * virtual phone scans and confirms, the SDK hears it (SSE, or long poll when a proxy refuses event
 * streams), redeems, and `/api/session` shows the person. Also S3 with the mini program's confirm,
 * QR expiry with automatic refresh, and the redirect helpers (S2, S4) and the session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Browser, demo, LoginWorld, scan, storageModes } from '../../server/src/login/test-harness.ts';
import { createWeunion, type QrLogin, type QrLoginEvents, WeunionError } from '../src/index.ts';
import { browserFetch, proxyWithoutEventStreams } from './shims.ts';

const OA = demo('officialAccount');
const MP = demo('miniProgram');
const embedded = storageModes.find((m) => m.name === 'embedded');

/** The next `event` of `login`, or a failure after `ms`. */
function next<E extends keyof QrLoginEvents>(login: QrLogin, event: E, ms = 15_000): Promise<QrLoginEvents[E]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    const off = login.on(event, (payload) => {
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

/** The mini program's side of S3: scan then confirm with fresh `wx.login` codes (and the phone button). */
async function confirmInMiniProgram(world: LoginWorld, base: string, person: string, ticketId: string): Promise<void> {
  const jsLogin = async () =>
    z.string().parse((await world.sandbox('POST', '/actions/js-login', { personId: person, appid: MP.appid })).code);
  const call = async (path: string, body: Record<string, string>) => {
    const response = await fetch(`${base}/api/mp/tickets/${ticketId}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer: unknown = await response.json();
    if (response.status !== 200) throw new Error(`mp ${path}: ${response.status} ${JSON.stringify(answer)}`);
    return z.looseObject({}).parse(answer);
  };
  const scanned = await call('scan', { appid: MP.appid, code: await jsLogin() });
  const body: Record<string, string> = { appid: MP.appid, code: await jsLogin() };
  if (scanned.phoneNumber !== 'not_needed') {
    body.phoneCode = z.string().parse((await world.sandbox('POST', '/actions/phone-code', { personId: person, appid: MP.appid })).code);
  }
  await call('confirm', body);
}

describe.skipIf(embedded === undefined || embedded.skip)('sdk-browser QR logins against weunion and the sandbox', () => {
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

  it('S1 over SSE: start → the phone scans → scanned, confirmed → redeem → the session is the person’s', async () => {
    const browser = new Browser();
    const weunion = createWeunion({ baseUrl: base, fetch: browserFetch(browser) });
    expect(await weunion.session()).toBeNull();
    const person = await world.person('Lena');

    const login = await weunion.startQrLogin('s1', { returnTo: '/after-s1' });
    expect(login.transport).toBe('sse');
    expect(login.qrImageUrl).toContain('/cgi-bin/showqrcode?ticket=');
    const seen: string[] = [];
    login.on('scanned', (s) => seen.push(s.state));
    login.on('confirmed', (s) => seen.push(s.state));
    const confirmed = next(login, 'confirmed');
    const loggedIn = next(login, 'login');

    await scan(world, person, login.ticket.qrContent ?? '');
    expect((await confirmed).id).toBe(login.ticketId);
    expect(seen).toContain('confirmed');
    expect(login.transport).toBe('sse');
    expect((await login.done()).state).toBe('confirmed');

    const result = await login.redeem();
    expect(result).toMatchObject({ status: 'signed_in', returnTo: '/after-s1' });
    expect(await loggedIn).toEqual(result);
    const session = await weunion.session();
    expect(session).toMatchObject({ session: { methods: ['s1'], appid: OA.appid } });
    // S1 learns no nickname (WeChat stopped giving one); the session is the account the person's openid is on.
    expect(result.status === 'signed_in' ? result.userId : undefined).toBe(session?.sub);
    const identity = await world.database.db
      .selectFrom('wechat_identities')
      .select('appid')
      .where('user_id', '=', session?.sub ?? '')
      .executeTakeFirst();
    expect(identity?.appid).toBe(OA.appid);

    // Once only: the ticket is spent.
    const again = await login.redeem().catch((e: unknown) => e);
    expect(again).toBeInstanceOf(WeunionError);
    expect(again).toMatchObject({ status: 409 });

    await weunion.logout();
    expect(await weunion.session()).toBeNull();
  });

  it('S1 when a proxy refuses event streams: falls back to long poll and still signs in (autoRedeem)', async () => {
    const proxy = await proxyWithoutEventStreams(base);
    try {
      const browser = new Browser();
      const weunion = createWeunion({ baseUrl: proxy.url, fetch: browserFetch(browser) });
      const person = await world.person('Mia');
      const login = await weunion.startQrLogin('s1', { autoRedeem: true });
      const loggedIn = next(login, 'login');
      // Let the SDK try the stream and fall back before the scan.
      for (let i = 0; i < 50 && login.transport === 'sse'; i++) await new Promise((r) => setTimeout(r, 20));
      expect(login.transport).toBe('long-poll');
      expect(proxy.refused).toEqual([`/api/login/tickets/${login.ticketId}/events`]);

      await scan(world, person, login.ticket.qrContent ?? '');
      const result = await loggedIn;
      expect(result).toMatchObject({ status: 'signed_in', returnTo: '/' });
      const session = await weunion.session();
      expect(session).toMatchObject({ session: { methods: ['s1'] } });
      expect(result.status === 'signed_in' ? result.userId : undefined).toBe(session?.sub);
    } finally {
      await proxy.close();
    }
  });

  it('when long polls are refused too: plain polling still signs in', async () => {
    const proxy = await proxyWithoutEventStreams(base, { longPolls: false });
    try {
      const weunion = createWeunion({ baseUrl: proxy.url, fetch: browserFetch(new Browser()) });
      const login = await weunion.startQrLogin('s1', { autoRedeem: true });
      const loggedIn = next(login, 'login');
      for (let i = 0; i < 100 && login.transport !== 'poll'; i++) await new Promise((r) => setTimeout(r, 20));
      expect(login.transport).toBe('poll');
      expect(proxy.refused).toEqual([
        `/api/login/tickets/${login.ticketId}/events`,
        `/api/login/tickets/${login.ticketId}?since=0&wait=25`,
      ]);
      await scan(world, await world.person(), login.ticket.qrContent ?? '');
      expect(await loggedIn).toMatchObject({ status: 'signed_in' });
      expect((await weunion.session())?.session.methods).toEqual(['s1']);
    } finally {
      await proxy.close();
    }
  });

  it('S3 cancelled in the mini program: the page hears cancelled and the login ends there', async () => {
    const browser = new Browser();
    const weunion = createWeunion({ baseUrl: base, fetch: browserFetch(browser) });
    const person = await world.person();
    const login = await weunion.startQrLogin('s3');
    const jsLogin = async () =>
      z.string().parse((await world.sandbox('POST', '/actions/js-login', { personId: person, appid: MP.appid })).code);
    const mp = new Browser();
    const path = `${base}/api/mp/tickets/${login.ticketId}`;
    expect((await mp.json('POST', `${path}/scan`, { appid: MP.appid, code: await jsLogin() })).status).toBe(200);
    const cancelled = next(login, 'cancelled');
    expect((await mp.json('POST', `${path}/cancel`, { appid: MP.appid, code: await jsLogin() })).status).toBe(200);
    expect((await cancelled).state).toBe('cancelled');
    expect((await login.done()).state).toBe('cancelled');
    expect(await login.redeem().catch((e: unknown) => e)).toBeInstanceOf(WeunionError);
    expect(await weunion.session()).toBeNull();
  });

  it('S3: the phone scans the mini program code, the mini program confirms, the page redeems', async () => {
    const browser = new Browser();
    const weunion = createWeunion({ baseUrl: base, fetch: browserFetch(browser) });
    const person = await world.person('Nora');
    const login = await weunion.startQrLogin('s3', { returnTo: '/after-s3' });
    expect(login.qrImageUrl).toBe(`${base}/api/login/tickets/${login.ticketId}/qr.png`);

    // The page shows the code (the ticket cookie lets this browser load it); the phone scans the image.
    const png = await browser.fetch(login.qrImageUrl);
    expect(png.headers.get('content-type')).toBe('image/png');
    const scanned = await world.sandbox('POST', '/actions/scan', {
      personId: person,
      imageBase64: Buffer.from(await png.arrayBuffer()).toString('base64'),
    });
    expect(scanned).toMatchObject({ kind: 'mini_program_code', appid: MP.appid, scene: login.ticketId });

    const wasScanned = next(login, 'scanned');
    const confirmed = next(login, 'confirmed');
    await confirmInMiniProgram(world, base, person, login.ticketId);
    expect((await wasScanned).state).toBe('scanned');
    await confirmed;
    expect(await login.redeem()).toMatchObject({ status: 'signed_in', returnTo: '/after-s3' });
    expect(await weunion.session()).toMatchObject({ phone_number_verified: true, session: { methods: ['s3'], appid: MP.appid } });
  });

  it('weunion’s refusals arrive as WeunionError with the problem code; stop() ends following', async () => {
    const weunion = createWeunion({ baseUrl: base, fetch: browserFetch(new Browser()) });
    const offSite = await weunion.startQrLogin('s1', { returnTo: 'https://evil.example/' }).catch((e: unknown) => e);
    expect(offSite).toBeInstanceOf(WeunionError);
    expect(offSite).toMatchObject({ code: 'validation_failed', status: 400 });
    const unknown = await weunion.startQrLogin('s3', { connection: 'no-such-connection' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(WeunionError);
    expect(unknown).toMatchObject({ status: 404 });

    const login = await weunion.startQrLogin('s1');
    login.stop();
    expect((await login.done()).state).toBe('waiting');
    // Another browser cannot take the ticket: the result is only for its holder.
    expect((await new Browser().json('POST', `${base}/api/login/tickets/${login.ticketId}/redeem`)).status).toBe(404);
  });

  it('S2 and S4 helpers: the URLs weunion starts them at, and the embedded QR parameters', async () => {
    const browser = new Browser();
    const weunion = createWeunion({ baseUrl: `${base}/`, fetch: browserFetch(browser) });
    expect(weunion.s2Url({ returnTo: '/after s2' })).toBe(`${base}/login/s2?returnTo=%2Fafter+s2`);
    expect(weunion.s4Url({ returnTo: '/x', connection: 'demo-official-account' })).toBe(
      `${base}/login/s4?returnTo=%2Fx&connection=demo-official-account`,
    );

    const embeddedParams = await weunion.s2Embedded({ returnTo: '/after-s2' });
    expect(embeddedParams).toMatchObject({ appid: demo('website').appid, scope: 'snsapi_login', self_redirect: false });
    expect(embeddedParams.redirect_uri).toContain('/login/s2/callback');

    // A full S2 through the helper's URL: WeChat's page, the phone approves, back to returnTo.
    const person = await world.person('Olga');
    const qrconnect = (await browser.fetch(weunion.s2Url({ returnTo: '/after-s2' }))).headers.get('location') ?? '';
    const callback = await world.approve(person, qrconnect);
    const landed = await browser.fetch(callback ?? '');
    expect(landed.headers.get('location')).toBe('/after-s2');
    expect(await weunion.session()).toMatchObject({ nickname: 'Olga', session: { methods: ['s2'] } });

    expect(
      weunion.isWechatBrowser('Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50(0x1800323d) NetType/WIFI'),
    ).toBe(true);
    expect(weunion.isWechatBrowser('Mozilla/5.0 (Windows NT 10.0) Chrome/120 MicroMessenger/7.0.20 WindowsWechat(0x63090a13)')).toBe(true);
    expect(weunion.isWechatBrowser('Mozilla/5.0 (Windows NT 10.0) wxwork/4.1.22 MicroMessenger/7.0.1')).toBe(false);
    expect(weunion.isWechatBrowser('Mozilla/5.0 (X11; Linux x86_64) Chrome/120 Safari/537.36')).toBe(false);
  });
});

describe.skipIf(embedded === undefined || embedded.skip)('sdk-browser QR expiry', () => {
  let world: LoginWorld;
  beforeAll(async () => {
    if (embedded === undefined) throw new Error('no embedded storage');
    // 10 s is the shortest QR life weunion accepts.
    world = await LoginWorld.start(embedded, { QR_TTL_SECONDS: '10', TICKET_TTL_SECONDS: '20' });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('the QR expires → expired; autoRefresh gives a new ticket and QR that still logs in', async () => {
    const browser = new Browser();
    const weunion = createWeunion({ baseUrl: world.first.url, fetch: browserFetch(browser) });
    const login = await weunion.startQrLogin('s1', { autoRefresh: 1 });
    const first = login.ticket;
    const expired = next(login, 'expired', 20_000);
    const refreshed = next(login, 'refresh', 25_000);
    expect((await expired).id).toBe(first.ticketId);
    const fresh = await refreshed;
    expect(fresh.ticketId).not.toBe(first.ticketId);
    expect(login.ticketId).toBe(fresh.ticketId);
    expect(login.qrImageUrl).toBe(fresh.qrImageUrl);
    expect(fresh.qrImageUrl).not.toBe(first.qrImageUrl);

    const confirmed = next(login, 'confirmed');
    await scan(world, await world.person('Pia'), fresh.qrContent ?? '');
    await confirmed;
    const result = await login.redeem();
    expect(result).toMatchObject({ status: 'signed_in' });
    expect((await weunion.session())?.sub).toBe(result.status === 'signed_in' ? result.userId : 'none');
  }, 40_000);

  it('without autoRefresh the login ends at expired', async () => {
    const weunion = createWeunion({ baseUrl: world.first.url, fetch: browserFetch(new Browser()) });
    const login = await weunion.startQrLogin('s3', { transport: 'poll' });
    const refreshes: unknown[] = [];
    login.on('refresh', (t) => refreshes.push(t));
    expect((await login.done()).state).toBe('expired');
    expect(login.status.state).toBe('expired');
    expect(refreshes).toEqual([]);
  }, 30_000);
});

/**
 * S1 over real HTTP against the sandbox, on embedded and scale-out storage: the browser creates a
 * ticket and shows the official account's QR, the person scans it on the (virtual) phone, the
 * sandbox pushes the event to the callback, and the browser — told by its long poll — redeems the
 * login once. Forged, replayed and misdirected pushes change nothing.
 */
import { callbackSignature, encryptMessage, messageSignature } from '@weunion/wechat';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  Browser,
  createS1Ticket,
  demo,
  LoginWorld,
  loginWithS2,
  scan,
  sessionOf,
  storageModes,
  waitForState,
} from '../login/test-harness.ts';

const OA = demo('officialAccount');
const TOKEN = OA.token ?? '';

function signedQuery(timestamp = String(Math.floor(Date.now() / 1000)), nonce = String(Math.floor(Math.random() * 1e9))) {
  return new URLSearchParams({ signature: callbackSignature(TOKEN, timestamp, nonce), timestamp, nonce });
}

/** A push as WeChat sends it in safe mode (the demo accounts' mode): `message` encrypted for `app`, signed with msg_signature. */
function safeModePush(
  message: string,
  app: { appid: string; encodingAesKey?: string; originalId?: string } = OA,
  timestamp = String(Math.floor(Date.now() / 1000)),
  nonce = String(Math.floor(Math.random() * 1e9)),
) {
  const encrypt = encryptMessage({ encodingAesKey: app.encodingAesKey ?? '', appid: app.appid, message });
  const query = signedQuery(timestamp, nonce);
  query.set('encrypt_type', 'aes');
  query.set('msg_signature', messageSignature(TOKEN, timestamp, nonce, encrypt));
  return { query, body: `<xml><ToUserName><![CDATA[${app.originalId}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>` };
}

function scanEvent(openid: string, scene: string, createTime = Math.floor(Date.now() / 1000)): string {
  return `<xml><ToUserName><![CDATA[${OA.originalId}]]></ToUserName><FromUserName><![CDATA[${openid}]]></FromUserName><CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[${scene}]]></EventKey></xml>`;
}

const pushLogSchema = z.array(
  z.object({ appid: z.string(), delivered: z.boolean(), request: z.object({ url: z.string(), body: z.string() }) }),
);

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`S1 follow-the-official-account QR login: ${mode.name}`, () => {
    let world: LoginWorld;
    beforeAll(async () => {
      world = await LoginWorld.start(mode);
    });
    afterAll(async () => {
      await world?.close();
    });

    it('scan → subscribe event → the browser redeems once and is signed in; a later SCAN (already following) is the same user', async () => {
      const person = await world.person('Erin');
      const browser = new Browser();
      const ticket = await createS1Ticket(browser, world.first);
      expect(ticket.qrImageUrl).toContain('/cgi-bin/showqrcode?ticket=');
      expect(browser.cookie(world.first.url, `wu_ticket_${ticket.ticketId}`)).toBe(ticket.secret);

      const scanned = await scan(world, person, ticket.qrContent);
      expect(scanned).toMatchObject({ kind: 'official_account_qr', event: 'subscribe', pushed: { delivered: true } });
      await waitForState(browser, world.first, ticket.ticketId, 'confirmed');
      const redeemed = await browser.json('POST', `${world.first.url}/api/login/tickets/${ticket.ticketId}/redeem`);
      expect(redeemed).toMatchObject({ status: 200, body: { status: 'signed_in', returnTo: '/s1-done' } });
      const session = await sessionOf(browser, world.first);
      expect(session).toMatchObject({ session: { methods: ['s1'], appid: OA.appid } });

      // The ticket cookie is gone after redeeming; even with the secret, a second redeem is refused.
      const again = await browser.json('POST', `${world.first.url}/api/login/tickets/${ticket.ticketId}/redeem`, undefined, {
        'x-ticket-secret': ticket.secret,
      });
      expect(again.status).toBe(409);

      const laterBrowser = new Browser();
      const later = await createS1Ticket(laterBrowser, world.first);
      expect(await scan(world, person, later.qrContent)).toMatchObject({ event: 'SCAN' });
      await waitForState(laterBrowser, world.first, later.ticketId, 'confirmed');
      await laterBrowser.json('POST', `${world.first.url}/api/login/tickets/${later.ticketId}/redeem`);
      expect((await sessionOf(laterBrowser, world.first))?.sub).toBe(session?.sub);
    });

    it('safe mode: the encrypted, msg_signature-signed push logs the person in; WeChat switched to plaintext is refused', async () => {
      const browser = new Browser();
      const ticket = await createS1Ticket(browser, world.first);
      await scan(world, await world.person(), ticket.qrContent);
      await waitForState(browser, world.first, ticket.ticketId, 'confirmed');
      expect((await browser.json('POST', `${world.first.url}/api/login/tickets/${ticket.ticketId}/redeem`)).body.status).toBe('signed_in');
      const log = pushLogSchema.parse(await world.sandboxAny('GET', `/events?appid=${OA.appid}`));
      expect(log.at(-1)?.request.url).toContain('encrypt_type=aes');
      // The connection holds the EncodingAESKey: a plain push (whose signature leaves the body out) is not taken.
      await world.sandbox('PATCH', `/apps/${OA.appid}`, { safeMode: false });
      try {
        const plainBrowser = new Browser();
        const plain = await createS1Ticket(plainBrowser, world.first);
        expect(await scan(world, await world.person(), plain.qrContent)).toMatchObject({ pushed: { delivered: false } });
        expect((await plainBrowser.json('GET', `${world.first.url}/api/login/tickets/${plain.ticketId}`)).body.state).toBe('waiting');
      } finally {
        await world.sandbox('PATCH', `/apps/${OA.appid}`, { safeMode: true });
      }
    });

    it('WeChat’s URL check is answered with echostr only when signed', async () => {
      const query = signedQuery();
      query.set('echostr', 'hello123');
      const ok = await fetch(`${world.first.url}/wechat/callback/${OA.appid}?${query}`);
      expect(await ok.text()).toBe('hello123');
      // WeChat asking again with the same signed query gets the same answer.
      expect(await (await fetch(`${world.first.url}/wechat/callback/${OA.appid}?${query}`)).text()).toBe('hello123');
      const stale = signedQuery(String(Math.floor(Date.now() / 1000) - 30 * 86_400));
      stale.set('echostr', 'hello123');
      expect((await fetch(`${world.first.url}/wechat/callback/${OA.appid}?${stale}`)).status).toBe(401);
      query.set('signature', '0'.repeat(40));
      expect((await fetch(`${world.first.url}/wechat/callback/${OA.appid}?${query}`)).status).toBe(401);
    });

    it('the signed query of a URL check cannot carry a push', async () => {
      const browser = new Browser();
      const ticket = await createS1Ticket(browser, world.first);
      const timestamp = String(Math.floor(Date.now() / 1000));
      const nonce = String(Math.floor(Math.random() * 1e9));
      const check = signedQuery(timestamp, nonce);
      check.set('echostr', 'e1');
      expect(await (await fetch(`${world.first.url}/wechat/callback/${OA.appid}?${check}`)).text()).toBe('e1');
      const push = safeModePush(scanEvent('oForgedOpenid000000000000000', ticket.ticketId), OA, timestamp, nonce);
      const forged = await fetch(`${world.first.url}/wechat/callback/${OA.appid}?${push.query}`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: push.body,
      });
      expect(forged.status).toBe(401);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await browser.json('GET', `${world.first.url}/api/login/tickets/${ticket.ticketId}`)).body.state).toBe('waiting');
    });

    it('the confirmed result is only for the browser holding the ticket: another browser gets nothing', async () => {
      const person = await world.person();
      const holder = new Browser();
      const stranger = new Browser();
      const ticket = await createS1Ticket(holder, world.first);
      await scan(world, person, ticket.qrContent);
      await waitForState(holder, world.first, ticket.ticketId, 'confirmed');
      const base = `${world.first.url}/api/login/tickets/${ticket.ticketId}`;
      expect((await stranger.json('GET', base)).status).toBe(404);
      expect((await stranger.json('POST', `${base}/redeem`)).status).toBe(404);
      expect((await stranger.json('POST', `${base}/redeem`, undefined, { 'x-ticket-secret': 'guessed-secret' })).status).toBe(404);
      expect(await sessionOf(stranger, world.first)).toBeNull();
      expect((await holder.json('POST', `${base}/redeem`)).body.status).toBe('signed_in');
    });

    it('a second person scanning a confirmed QR changes nothing: the login stays the first person’s', async () => {
      const first = await world.person();
      const second = await world.person();
      const browser = new Browser();
      const ticket = await createS1Ticket(browser, world.first);
      await scan(world, first, ticket.qrContent);
      await waitForState(browser, world.first, ticket.ticketId, 'confirmed');
      const users = await world.userCount();
      await scan(world, second, ticket.qrContent);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await world.userCount()).toBe(users);
      await browser.json('POST', `${world.first.url}/api/login/tickets/${ticket.ticketId}/redeem`);
      const viaFirst = new Browser();
      const check = await createS1Ticket(viaFirst, world.first);
      await scan(world, first, check.qrContent);
      await waitForState(viaFirst, world.first, check.ticketId, 'confirmed');
      await viaFirst.json('POST', `${world.first.url}/api/login/tickets/${check.ticketId}/redeem`);
      expect((await sessionOf(browser, world.first))?.sub).toBe((await sessionOf(viaFirst, world.first))?.sub);
    });

    it('forged pushes (no or wrong signature, stale timestamp) are refused and log nobody in', async () => {
      const browser = new Browser();
      const ticket = await createS1Ticket(browser, world.first);
      const users = await world.userCount();
      const body = scanEvent('oForgedOpenid000000000000000', ticket.ticketId);
      const post = (query: URLSearchParams) =>
        fetch(`${world.first.url}/wechat/callback/${OA.appid}?${query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
      expect((await post(new URLSearchParams())).status).toBe(400);
      const wrong = signedQuery();
      wrong.set('signature', 'f'.repeat(40));
      const refused = await post(wrong);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ code: 'wechat_signature_invalid' });
      expect((await post(signedQuery(String(Math.floor(Date.now() / 1000) - 3600)))).status).toBe(401);
      // Rightly signed, but plain for an app in safe mode: the signature does not cover this body.
      const downgraded = await post(signedQuery());
      expect(downgraded.status).toBe(401);
      expect(await downgraded.json()).toMatchObject({ code: 'wechat_signature_invalid' });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await browser.json('GET', `${world.first.url}/api/login/tickets/${ticket.ticketId}`)).body.state).toBe('waiting');
      expect(await world.userCount()).toBe(users);
    });

    it('a replayed push is taken once; its signature with another body is refused', async () => {
      const person = await world.person();
      const browser = new Browser();
      const ticket = await createS1Ticket(browser, world.first);
      await scan(world, person, ticket.qrContent);
      await waitForState(browser, world.first, ticket.ticketId, 'confirmed');
      const log = pushLogSchema.parse(await world.sandboxAny('GET', `/events?appid=${OA.appid}`));
      const original = log.filter((entry) => entry.delivered).at(-1);
      if (original === undefined) throw new Error('no push logged');
      const users = await world.userCount();
      const identities = await world.identityCount();

      const replay = await fetch(original.request.url, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: original.request.body,
      });
      expect(await replay.text()).toBe('success');

      const victimBrowser = new Browser();
      const victim = await createS1Ticket(victimBrowser, world.first);
      // The same signed query with another (rightly encrypted) event in its body.
      const swapped = safeModePush(scanEvent('oForgedOpenid000000000000000', victim.ticketId)).body;
      expect(swapped).not.toBe(original.request.body);
      const forged = await fetch(original.request.url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: swapped });
      expect(forged.status).toBe(401);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await victimBrowser.json('GET', `${world.first.url}/api/login/tickets/${victim.ticketId}`)).body.state).toBe('waiting');
      expect(await world.userCount()).toBe(users);
      expect(await world.identityCount()).toBe(identities);
    });

    it('an event pushed to another app’s callback (wrong appid) does not touch the ticket', async () => {
      const browser = new Browser();
      const ticket = await createS1Ticket(browser, world.first);
      const miniProgram = demo('miniProgram');
      const push = safeModePush(scanEvent('oSomeoneElse0000000000000000', ticket.ticketId), miniProgram);
      const response = await fetch(`${world.first.url}/wechat/callback/${miniProgram.appid}?${push.query}`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: push.body,
      });
      expect(await response.text()).toBe('success');
      const unknownApp = await fetch(`${world.first.url}/wechat/callback/wx0000000000000000?${signedQuery()}`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: scanEvent('oSomeoneElse0000000000000000', ticket.ticketId),
      });
      expect(unknownApp.status).toBe(404);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await browser.json('GET', `${world.first.url}/api/login/tickets/${ticket.ticketId}`)).body.state).toBe('waiting');
    });

    it('with revealScanner, the waiting page sees the nickname of a person seen before; without it, nothing personal', async () => {
      const person = await world.person('Jules');
      await loginWithS2(world, world.first, new Browser(), person);
      const settings = { phoneNumber: 'optional', reusePhone: true, webAuthScope: 'auto', revealScanner: false } as const;
      const statusAfterScan = async () => {
        const browser = new Browser();
        const ticket = await createS1Ticket(browser, world.first);
        await scan(world, person, ticket.qrContent);
        await waitForState(browser, world.first, ticket.ticketId, 'confirmed');
        return (await browser.json('GET', `${world.first.url}/api/login/tickets/${ticket.ticketId}`)).body;
      };
      // The first S1 login links the official account's openid to Jules (via the unionid).
      expect(await statusAfterScan()).not.toHaveProperty('scanner');
      await world.configure('demo-official-account', { settings: { ...settings, revealScanner: true } });
      try {
        expect(await statusAfterScan()).toMatchObject({ scanner: { nickname: 'Jules' } });
      } finally {
        await world.configure('demo-official-account', { settings });
      }
    });

    it('a safe-mode push encrypted for another appid is refused', async () => {
      const browser = new Browser();
      const ticket = await createS1Ticket(browser, world.first);
      const timestamp = String(Math.floor(Date.now() / 1000));
      const nonce = String(Math.floor(Math.random() * 1e9));
      const encrypt = encryptMessage({
        encodingAesKey: OA.encodingAesKey ?? '',
        appid: demo('miniProgram').appid,
        message: scanEvent('oOtherApp0000000000000000000', ticket.ticketId),
      });
      const query = new URLSearchParams({
        signature: callbackSignature(TOKEN, timestamp, nonce),
        timestamp,
        nonce,
        encrypt_type: 'aes',
        msg_signature: messageSignature(TOKEN, timestamp, nonce, encrypt),
      });
      const response = await fetch(`${world.first.url}/wechat/callback/${OA.appid}?${query}`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: `<xml><ToUserName><![CDATA[${OA.originalId}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`,
      });
      expect(response.status).toBe(401);
      expect((await browser.json('GET', `${world.first.url}/api/login/tickets/${ticket.ticketId}`)).body.state).toBe('waiting');
    });

    it('a mini program pushing in JSON (its other data format) is answered success; broken JSON is refused', async () => {
      const miniProgram = demo('miniProgram');
      await world.sandbox('PATCH', `/apps/${miniProgram.appid}`, { dataFormat: 'json' });
      try {
        const pushed = await world.sandbox('POST', '/actions/mp-message', {
          personId: await world.person(),
          appid: miniProgram.appid,
          message: { type: 'text', content: 'hello {json}' },
        });
        expect(pushed).toMatchObject({ pushed: { delivered: true, lastStatus: 200 } });
        const log = pushLogSchema.parse(await world.sandboxAny('GET', `/events?appid=${miniProgram.appid}`));
        expect(log.at(-1)?.request.url).toContain('encrypt_type=aes');
        expect(log.at(-1)?.request.body.trimStart().startsWith('{')).toBe(true);
      } finally {
        await world.sandbox('PATCH', `/apps/${miniProgram.appid}`, { dataFormat: 'xml' });
      }
      const broken = safeModePush('{"ToUserName": ', miniProgram);
      const refused = await fetch(`${world.first.url}/wechat/callback/${miniProgram.appid}?${broken.query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: broken.body,
      });
      expect(refused.status).toBe(401);
    });

    it('unrelated messages and plain follows are answered success and ignored', async () => {
      const users = await world.userCount();
      const text = `<xml><ToUserName><![CDATA[${OA.originalId}]]></ToUserName><FromUserName><![CDATA[oText]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content><MsgId>1234567890123456</MsgId></xml>`;
      const push = safeModePush(text);
      const response = await fetch(`${world.first.url}/wechat/callback/${OA.appid}?${push.query}`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: push.body,
      });
      expect(await response.text()).toBe('success');
      await world.sandbox('POST', '/actions/follow', { personId: await world.person(), appid: OA.appid });
      expect(await world.userCount()).toBe(users);
    });
  });
}

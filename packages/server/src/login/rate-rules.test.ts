/**
 * The browser logins' rate limits, over HTTP: QR tickets (each one a paid-for WeChat call) per
 * client, and forged WeChat callbacks per address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK_FORGED_PER_IP, QR_TICKET_PER_IP } from './rate-rules.ts';
import { Browser, demo, LoginWorld, storageModes } from './test-harness.ts';

const embedded = storageModes.find((m) => m.name === 'embedded');

describe.skipIf(embedded === undefined)('browser login rate limits', () => {
  let world: LoginWorld;
  beforeAll(async () => {
    if (embedded === undefined) throw new Error('no embedded mode');
    world = await LoginWorld.start(embedded);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('one client gets a limited number of S1 tickets a minute, then 429 with Retry-After', async () => {
    const browser = new Browser();
    const statuses: number[] = [];
    for (let i = 0; i <= QR_TICKET_PER_IP.limit; i++) statuses.push((await browser.json('POST', `${world.first.url}/api/login/s1`)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(QR_TICKET_PER_IP.limit);
    const refused = await browser.fetch(`${world.first.url}/api/login/s3`, { method: 'POST' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('a flood of forged callbacks from one address is cut off', async () => {
    const query = new URLSearchParams({ signature: 'a'.repeat(40), timestamp: String(Math.floor(Date.now() / 1000)), nonce: '1' });
    const statuses: number[] = [];
    for (let i = 0; i <= CALLBACK_FORGED_PER_IP.limit; i++) {
      const response = await fetch(`${world.first.url}/wechat/callback/${demo('officialAccount').appid}?${query}`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: '<xml></xml>',
      });
      statuses.push(response.status);
    }
    expect(statuses.slice(0, CALLBACK_FORGED_PER_IP.limit).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });
});

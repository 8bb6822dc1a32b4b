import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { QR_TICKET_PER_IP } from '../login/rate-rules.ts';
import { demo, type Instance, LoginWorld, storageModes } from '../login/test-harness.ts';

describe('TRUST_PROXY', () => {
  it('takes false, a hop count or proxy addresses and CIDRs', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,loopback,fd00::/8' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      'loopback',
      'fd00::/8',
    ]);
  });

  it.each([
    ['true', /must not be true.*number of proxies.*addresses/],
    ['yes', /must not be true/],
    ['proxy.internal', /not an IP address, a CIDR/],
    ['10.0.0.0/33', /not an IP address, a CIDR/],
    ['11', /at most 10/],
  ])('refuses %j with a reason', (value, reason) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrowError(reason);
  });
});

/**
 * A reverse proxy as nginx is usually set up (`proxy_set_header X-Forwarded-For
 * $proxy_add_x_forwarded_for`): it appends the address it saw to whatever the client sent.
 */
async function startAppendingProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server = http.createServer((request, response) => {
    const given = request.headers['x-forwarded-for'];
    const forwarded = [given, request.socket.remoteAddress].filter((part) => part !== undefined && part !== '').join(', ');
    const outgoing = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: request.url,
        method: request.method,
        headers: { ...request.headers, host: upstream.host, 'x-forwarded-for': forwarded },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    outgoing.on('error', () => response.destroy());
    request.pipe(outgoing);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** POST /api/login/s1 from the local address `from`, with an X-Forwarded-For the client made up. */
function openS1Ticket(base: string, from: string, invented: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${base}/api/login/s1`,
      { method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', 'x-forwarded-for': invented } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end('{}');
  });
}

const qrAppidKey = `rate:login-qr-appid:${demo('officialAccount').appid}`;

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`per-IP limits behind an appending proxy: ${mode.name}`, () => {
    let world: LoginWorld;
    const proxies: { url: string; close(): Promise<void> }[] = [];

    beforeAll(async () => {
      world = await LoginWorld.start(mode);
    });
    afterAll(async () => {
      for (const proxy of proxies) await proxy.close();
      await world?.close();
    });

    const behindProxy = async (trustProxy: string): Promise<{ instance: Instance; proxyUrl: string }> => {
      const instance = await world.addInstance({ TRUST_PROXY: trustProxy });
      const proxy = await startAppendingProxy(instance.url);
      proxies.push(proxy);
      return { instance, proxyUrl: proxy.url };
    };

    const appBudgetUsed = async () => Number((await world.state.get(qrAppidKey)) ?? 0);

    // Each client a loopback address of its own, so the counters of one case do not meet another's.
    it.each([
      ['1', '127.0.0.2', '127.0.0.3'],
      ['127.0.0.1', '127.0.0.4', '127.0.0.5'],
      ['127.0.0.1/32,10.0.0.0/8', '127.0.0.6', '127.0.0.7'],
    ])('TRUST_PROXY=%s: a client inventing X-Forwarded-For still gets its own limit, no more', async (trust, client, other) => {
      const { proxyUrl } = await behindProxy(trust);
      const attempts = QR_TICKET_PER_IP.limit + 10;
      const before = await appBudgetUsed();
      const statuses: number[] = [];
      for (let i = 0; i < attempts; i++) statuses.push(await openS1Ticket(proxyUrl, client, `203.0.113.${i % 250}, 198.51.100.${i}`));
      expect(statuses.filter((s) => s === 200)).toHaveLength(QR_TICKET_PER_IP.limit);
      expect(statuses.filter((s) => s === 429)).toHaveLength(10);
      // The refused calls spent none of the app's paid QR budget.
      expect((await appBudgetUsed()) - before).toBe(QR_TICKET_PER_IP.limit);
      // Another client behind the same proxy is a different address: its own allowance.
      expect(await openS1Ticket(proxyUrl, other, '203.0.113.1')).toBe(200);
    });

    it('without TRUST_PROXY the proxy is the client: everyone behind it shares one allowance', async () => {
      const { proxyUrl } = await behindProxy('false');
      const key = `rate:${QR_TICKET_PER_IP.name}:127.0.0.1`;
      const before = Number((await world.state.get(key)) ?? 0);
      expect(await openS1Ticket(proxyUrl, '127.0.0.8', '203.0.113.9')).toBe(200);
      expect(Number(await world.state.get(key))).toBe(before + 1);
    });
  });
}

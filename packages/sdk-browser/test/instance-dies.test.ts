/**
 * The QR watcher when the instance it watches dies: two weunion processes (PostgreSQL + Redis
 * shared) behind a round-robin balancer, the one holding the watcher's event stream killed with
 * SIGKILL mid-login. The confirmation reaches the other instance; the SDK — in Node here, in
 * Chromium in `instance-dies.browser.test.ts` — reconnects to it, resumes, hears `confirmed` and
 * signs in. Embedded mode keeps tickets in its SQLite state file: killed and restarted, it still
 * has the ticket, and the watcher, which kept trying meanwhile, resumes and signs in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Browser, demo } from '../../server/src/login/test-harness.ts';
import { clusterModeAvailable, ProcessCluster, waitUntil } from '../../server/src/testing/process-cluster.ts';
import { createWeunion, type QrLogin, type QrLoginEvents } from '../src/index.ts';
import { browserFetch } from './shims.ts';

const OA = demo('officialAccount');

function collect(login: QrLogin) {
  const seen: { event: keyof QrLoginEvents; detail: string }[] = [];
  login.on('scanned', () => seen.push({ event: 'scanned', detail: '' }));
  login.on('confirmed', () => seen.push({ event: 'confirmed', detail: '' }));
  login.on('reconnecting', (r) => seen.push({ event: 'reconnecting', detail: r.error.code }));
  login.on('error', (e) => seen.push({ event: 'error', detail: `${e.code} ${e.message}` }));
  return seen;
}

describe.skipIf(!clusterModeAvailable('scale-out'))('the QR watcher survives its instance dying (scale-out, two processes)', () => {
  let cluster: ProcessCluster;
  beforeAll(async () => {
    cluster = await ProcessCluster.start('scale-out', 2);
  }, 120_000);
  afterAll(async () => {
    await cluster?.close();
  });

  it('SSE: the watched instance is killed (SIGKILL) mid-login; the confirmation reaches the other; the SDK signs in', async () => {
    const browser = new Browser();
    const weunion = createWeunion({ baseUrl: cluster.url, fetch: browserFetch(browser) });
    const person = await cluster.person('Kai');
    const login = await weunion.startQrLogin('s1', { returnTo: '/after-kill' });
    const seen = collect(login);
    await waitUntil('the stream delivered the first status', () => login.status.version >= 1);
    expect(login.transport).toBe('sse');

    const watched = cluster.balancer.lastUpstreamFor(`/tickets/${login.ticketId}/events`);
    expect(watched).toBeDefined();
    const victim = cluster.instance(watched ?? 0);
    const survivor = cluster.instance(watched === 0 ? 1 : 0);
    await victim.kill();
    expect(victim.running).toBe(false);
    // The stream was cut: the watcher notices and retries, and has not given up.
    await waitUntil('the watcher noticed the cut', () => seen.some((s) => s.event === 'reconnecting'));
    expect(seen.filter((s) => s.event === 'error')).toEqual([]);

    // WeChat pushes the follow to the instance still alive.
    await cluster.pushTo(survivor, OA.appid);
    const scanned = await cluster.sandbox('POST', '/actions/scan', { personId: person, content: login.ticket.qrContent });
    expect(z.object({ pushed: z.object({ delivered: z.boolean() }) }).parse(scanned).pushed.delivered).toBe(true);

    const final = await login.done();
    expect(final.state).toBe('confirmed');
    expect(login.transport).toBe('sse');
    expect(seen.map((s) => s.event)).toContain('confirmed');
    expect(seen.filter((s) => s.event === 'error')).toEqual([]);
    // Every events request after the kill went to the survivor (the balancer took the dead one out).
    const streams = cluster.balancer.requests.filter((r) => r.path.includes(`/tickets/${login.ticketId}/events`));
    expect(streams.length).toBeGreaterThanOrEqual(2);
    expect(streams.at(-1)?.upstream).toBe(survivor.index);

    const result = await login.redeem();
    expect(result).toMatchObject({ status: 'signed_in', returnTo: '/after-kill' });
    const session = await browser.json('GET', `${survivor.url}/api/session`);
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ session: { methods: ['s1'], appid: OA.appid } });

    await victim.restart();
  }, 120_000);

  it('long poll: the instance holding the poll is killed; the next poll reaches the other and the login completes', async () => {
    const browser = new Browser();
    const weunion = createWeunion({ baseUrl: cluster.url, fetch: browserFetch(browser) });
    const person = await cluster.person('Noor');
    const login = await weunion.startQrLogin('s1', { returnTo: '/after-kill', transport: 'long-poll', autoRedeem: true });
    const seen = collect(login);
    const polls = () => cluster.balancer.requests.filter((r) => r.path.includes(`/tickets/${login.ticketId}?since=`));
    await waitUntil('a long poll is waiting', () => login.status.version >= 1 && polls().length >= 2);
    const watched = polls().at(-1)?.upstream ?? 0;
    const victim = cluster.instance(watched);
    const survivor = cluster.instance(watched === 0 ? 1 : 0);
    await victim.kill();
    await waitUntil('the watcher noticed the cut', () => seen.some((s) => s.event === 'reconnecting'));

    await cluster.pushTo(survivor, OA.appid);
    await cluster.sandbox('POST', '/actions/scan', { personId: person, content: login.ticket.qrContent });
    expect((await login.done()).state).toBe('confirmed');
    expect(login.transport).toBe('long-poll');
    await waitUntil('signed in', () => browser.cookie(cluster.url, 'wu_session') !== undefined);
    expect(seen.filter((s) => s.event === 'error')).toEqual([]);
    expect((await browser.json('GET', `${survivor.url}/api/session`)).status).toBe(200);

    await victim.restart();
  }, 120_000);
});

describe('the QR watcher when its only instance dies (embedded mode, one process)', () => {
  let cluster: ProcessCluster;
  beforeAll(async () => {
    cluster = await ProcessCluster.start('embedded');
  }, 120_000);
  afterAll(async () => {
    await cluster?.close();
  });

  it('killed and restarted: the watcher keeps trying, resumes on the restarted instance (the ticket survived) and signs in', async () => {
    const weunion = createWeunion({ baseUrl: cluster.url, fetch: browserFetch(new Browser()) });
    const login = await weunion.startQrLogin('s1', { returnTo: '/after-restart' });
    const seen = collect(login);
    await waitUntil('the stream delivered the first status', () => login.status.version >= 1);
    const only = cluster.instance(0);
    await only.kill();
    // While nothing answers, the watcher keeps trying.
    await waitUntil('two reconnect attempts', () => seen.filter((s) => s.event === 'reconnecting').length >= 2);
    expect(seen.filter((s) => s.event === 'error')).toEqual([]);

    await only.restart();
    // The ticket is in the durable state file: the person scans the QR the page still shows.
    const person = await cluster.person('Ola');
    await cluster.sandbox('POST', '/actions/scan', { personId: person, content: login.ticket.qrContent });
    expect((await login.done()).state).toBe('confirmed');
    expect(seen.filter((s) => s.event === 'error')).toEqual([]);
  }, 120_000);
});

/**
 * The seven login scenarios as a person and their devices perform them, over real HTTP against the
 * WeChat sandbox and weunion — nothing of weunion is called in-process. Each answers one normalised
 * outcome, so the model can compare what happened with what the rules say:
 *
 * - `signed_in` with the account (browser flows: the session's `sub`; app flows: the answer's userId);
 * - `select` with the candidates and a `choose(userId)` that completes the login in the same channel
 *   (hosted `/api/login/pending/select` for the browser, `/api/app/pending/:id/select` for apps);
 * - `bind`; `refused` with the problem code (and reason when given).
 *
 * S1 and S4 go through the official account, S2 the website, S3/S5/S7 the mini program (S7 started
 * by the mobile app), S6 the mobile app; `s5-late` and `s5-other` are S5 in the late-bound and the
 * other Open Platform account's mini programs.
 */
import { z } from 'zod';
import { Browser, type Json, scan, waitForState } from '../../packages/server/src/login/test-harness.ts';
import type { AppKey, ModelWorld, Universe } from './universe.ts';

export const SCENARIOS = ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's5-late', 's5-other'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** The app whose openid the scenario identifies the person by. */
export const SCENARIO_APP: Record<Scenario, AppKey> = {
  s1: 'oa',
  s2: 'web',
  s3: 'mp',
  s4: 'oa',
  s5: 'mp',
  s6: 'app',
  s7: 'mp',
  's5-late': 'late',
  's5-other': 'other',
};

/** Scenarios in which a mini program may share the phone number (a paid WeChat call). */
export const PHONE_SCENARIOS: ReadonlySet<Scenario> = new Set(['s3', 's5', 's7', 's5-late', 's5-other']);

export interface Candidate {
  userId: string;
  via: string[];
}

export type Outcome =
  | { kind: 'signed_in'; userId: string }
  | { kind: 'select'; candidates: Candidate[]; choose(userId: string): Promise<Outcome> }
  | { kind: 'bind'; methods: string[]; mayCreateInstead: boolean; binding: Binding }
  | { kind: 'refused'; code: string; reason: string | null; status: number };

/** The follow-ups of a `bind` outcome, in the channel it came from (hosted pages or the app pending API). */
export interface Binding {
  password(login: string, password: string): Promise<Outcome>;
  createInstead(): Promise<Outcome>;
  /** Asks for a binding code by SMS: the status (404 = the channel offers a method it cannot complete, item 7). */
  sendSmsCode(destination: string): Promise<number>;
}

const candidatesSchema = z.array(z.object({ userId: z.string(), via: z.array(z.string()) }).loose());
const problemSchema = z
  .object({ code: z.string().optional(), details: z.object({ reason: z.string().optional() }).loose().optional() })
  .loose();

function refused(status: number, body: unknown): Outcome {
  const problem = problemSchema.safeParse(body);
  return {
    kind: 'refused',
    status,
    code: (problem.success ? problem.data.code : undefined) ?? `http_${status}`,
    reason: (problem.success ? problem.data.details?.reason : undefined) ?? null,
  };
}

const rand = () => Math.floor(Math.random() * 254) + 1;

/**
 * A browser or phone on its own network address: the service trusts X-Forwarded-For here (as behind
 * a proxy), so the per-IP limits meant for one device do not turn a long sequence into 429s.
 */
class Device extends Browser {
  readonly #ip = `10.${rand()}.${rand()}.${rand()}`;

  override fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('x-forwarded-for', this.#ip);
    return super.fetch(url, { ...init, headers });
  }
}

export class ScenarioDriver {
  readonly #model: ModelWorld;
  readonly #universe: Universe;

  constructor(model: ModelWorld, universe: Universe) {
    this.#model = model;
    this.#universe = universe;
  }

  get #url(): string {
    return this.#model.url;
  }

  #sandbox(method: string, path: string, body?: unknown): Promise<Json> {
    return this.#model.world.sandbox(method, path, body);
  }

  /** One login of `personId` through `scenario`, sharing the phone number when `withPhone` and asked. */
  async login(scenario: Scenario, personId: string, withPhone: boolean): Promise<Outcome> {
    switch (scenario) {
      case 's1':
        return this.#s1(personId);
      case 's2':
        return this.#s2(personId);
      case 's3':
        return this.#s3(personId, withPhone);
      case 's4':
        return this.#s4(personId);
      case 's5':
        return this.#s5(personId, 'mp', withPhone);
      case 's5-late':
        return this.#s5(personId, 'late', withPhone);
      case 's5-other':
        return this.#s5(personId, 'other', withPhone);
      case 's6':
        return this.#s6(personId);
      case 's7':
        return this.#s7(personId, withPhone);
    }
  }

  // ── Browser flows: the end of every one is the browser's session, or the select page ──────────

  async #browserEnd(browser: Browser, status: number, body: Json): Promise<Outcome> {
    if (status >= 400) return refused(status, body);
    const session = await browser.json('GET', `${this.#url}/api/session`);
    if (session.status === 200) return { kind: 'signed_in', userId: z.string().parse(session.body.sub) };
    const pending = await browser.json('GET', `${this.#url}/api/login/pending`);
    if (pending.status !== 200) throw new Error(`neither signed in nor pending: ${JSON.stringify(body)} / ${JSON.stringify(pending.body)}`);
    if (pending.body.kind === 'bind') {
      return {
        kind: 'bind',
        methods: z.array(z.string()).parse(pending.body.methods),
        mayCreateInstead: pending.body.mayCreateInstead === true,
        binding: {
          password: async (login, password) => {
            const answer = await browser.json('POST', `${this.#url}/api/login/pending/bind/password`, { login, password });
            return this.#browserEnd(browser, answer.status, answer.body);
          },
          createInstead: async () => {
            const answer = await browser.json('POST', `${this.#url}/api/login/pending/create`);
            return this.#browserEnd(browser, answer.status, answer.body);
          },
          sendSmsCode: async (destination) =>
            (await browser.json('POST', `${this.#url}/api/login/pending/bind/code/send`, { channel: 'sms', destination })).status,
        },
      };
    }
    return {
      kind: 'select',
      candidates: candidatesSchema.parse(pending.body.candidates),
      choose: async (userId) => {
        const chosen = await browser.json('POST', `${this.#url}/api/login/pending/select`, { userId });
        return this.#browserEnd(browser, chosen.status, chosen.body);
      },
    };
  }

  /** A redirect flow ended at `url`: the error page's code, or wherever the browser is now. */
  async #redirectEnd(browser: Browser, url: string): Promise<Outcome> {
    const landed = new URL(url, this.#url);
    if (landed.pathname === '/login/error') {
      return { kind: 'refused', status: 0, code: landed.searchParams.get('code') ?? 'unknown', reason: landed.searchParams.get('reason') };
    }
    return this.#browserEnd(browser, 200, {});
  }

  async #s1(personId: string): Promise<Outcome> {
    const browser = new Device();
    const created = await browser.json('POST', `${this.#url}/api/login/s1`, {
      returnTo: '/done',
      connection: this.#universe.apps.oa.connectionId,
    });
    if (created.status !== 200) throw new Error(`S1 ticket: ${created.status} ${JSON.stringify(created.body)}`);
    const ticket = z.object({ ticketId: z.string(), qrContent: z.string() }).parse(created.body);
    const scanned = await scan(this.#model.world, personId, ticket.qrContent);
    if (scanned.pushed?.delivered !== true) throw new Error(`S1 push not delivered: ${JSON.stringify(scanned)}`);
    await waitForState(browser, this.#model.world.first, ticket.ticketId, 'confirmed');
    const redeemed = await browser.json('POST', `${this.#url}/api/login/tickets/${ticket.ticketId}/redeem`);
    return this.#browserEnd(browser, redeemed.status, redeemed.body);
  }

  async #s2(personId: string): Promise<Outcome> {
    const browser = new Device();
    const start = await browser.fetch(`${this.#url}/login/s2?returnTo=/done&connection=${this.#universe.apps.web.connectionId}`);
    const qrconnect = start.headers.get('location');
    if (qrconnect === null) throw new Error(`S2 did not redirect (${start.status})`);
    const redirect = await this.#model.world.approve(personId, qrconnect);
    if (redirect === null) throw new Error('S2: WeChat sent nobody back');
    const back = await browser.fetch(redirect);
    return this.#redirectEnd(browser, back.headers.get('location') ?? '/');
  }

  async #s4(personId: string): Promise<Outcome> {
    const browser = new Device();
    browser.setCookie(this.#model.world.sandboxUrl, 'sandbox_person', personId);
    let landed = await browser.navigate(`${this.#url}/login/s4?returnTo=/done&connection=${this.#universe.apps.oa.connectionId}`);
    if (new URL(landed.url).pathname === '/connect/oauth2/authorize') {
      // A new person: WeChat asks for consent (snsapi_userinfo); they allow it.
      const redirect = await this.#model.world.approve(personId, landed.url);
      if (redirect === null) throw new Error('S4: consent sent nobody back');
      landed = await browser.navigate(redirect);
    }
    return this.#redirectEnd(browser, landed.url);
  }

  async #s3(personId: string, withPhone: boolean): Promise<Outcome> {
    const browser = new Device();
    const mp = this.#universe.apps.mp;
    const created = await browser.json('POST', `${this.#url}/api/login/s3`, { returnTo: '/done', connection: mp.connectionId });
    if (created.status !== 200) throw new Error(`S3 ticket: ${created.status} ${JSON.stringify(created.body)}`);
    const ticketId = z.string().parse(created.body.ticketId);
    await this.#sandbox('POST', '/actions/open-mini-program', { personId, appid: mp.appid, page: 'pages/login/login', scene: ticketId });
    const confirm = await this.#confirmInMiniProgram(personId, ticketId, withPhone);
    if (confirm.status >= 400) return refused(confirm.status, confirm.body);
    await waitForState(browser, this.#model.world.first, ticketId, 'confirmed');
    const redeemed = await browser.json('POST', `${this.#url}/api/login/tickets/${ticketId}/redeem`);
    return this.#browserEnd(browser, redeemed.status, redeemed.body);
  }

  // ── Mini program and app flows: JSON answers ────────────────────────────────────────────────

  async #jsLogin(personId: string, appid: string): Promise<string> {
    return z.string().parse((await this.#sandbox('POST', '/actions/js-login', { personId, appid })).code);
  }

  async #phoneCode(personId: string, appid: string): Promise<string | undefined> {
    const person = await this.#sandbox('GET', `/people/${personId}`);
    if (person.phone === null || person.phone === undefined) return undefined;
    return z.string().parse((await this.#sandbox('POST', '/actions/phone-code', { personId, appid })).code);
  }

  async #post(path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
    return new Device().json('POST', `${this.#url}${path}`, body, headers);
  }

  /** The mini program's login page on a ticket: scan with wx.login, confirm (with the phone when asked and willing). */
  async #confirmInMiniProgram(personId: string, ticketId: string, withPhone: boolean) {
    const appid = this.#universe.apps.mp.appid;
    const scanned = await this.#post(`/api/mp/tickets/${ticketId}/scan`, { appid, code: await this.#jsLogin(personId, appid) });
    if (scanned.status >= 400) return scanned;
    const body: Record<string, string> = { appid, code: await this.#jsLogin(personId, appid) };
    if (withPhone && scanned.body.phoneNumber !== 'not_needed') {
      const phoneCode = await this.#phoneCode(personId, appid);
      if (phoneCode !== undefined) body.phoneCode = phoneCode;
    }
    return this.#post(`/api/mp/tickets/${ticketId}/confirm`, body);
  }

  /** An app-login answer (S5, S6, S7 redeem) as an outcome; `select` completes through the app pending API. */
  #appAnswer(status: number, body: Json): Outcome {
    if (status >= 400) return refused(status, body);
    switch (body.outcome) {
      case 'signed_in':
        return { kind: 'signed_in', userId: z.string().parse(body.userId) };
      case 'bind': {
        const pendingId = z.string().parse(body.pendingId);
        return {
          kind: 'bind',
          methods: z.array(z.string()).parse(body.methods),
          mayCreateInstead: body.mayCreateInstead === true,
          binding: {
            password: async (login, password) => {
              const answer = await this.#post(`/api/app/pending/${pendingId}/bind/password`, { login, password });
              return this.#appAnswer(answer.status, answer.body);
            },
            createInstead: async () => {
              const answer = await this.#post(`/api/app/pending/${pendingId}/create`);
              return this.#appAnswer(answer.status, answer.body);
            },
            sendSmsCode: async (destination) =>
              (await this.#post(`/api/app/pending/${pendingId}/bind/code/send`, { channel: 'sms', destination })).status,
          },
        };
      }
      case 'select': {
        const pendingId = z.string().parse(body.pendingId);
        return {
          kind: 'select',
          candidates: candidatesSchema.parse(body.candidates),
          choose: async (userId) => {
            const chosen = await this.#post(`/api/app/pending/${pendingId}/select`, { userId });
            return this.#appAnswer(chosen.status, chosen.body);
          },
        };
      }
      default:
        throw new Error(`unexpected app answer ${status} ${JSON.stringify(body)}`);
    }
  }

  async #s5(personId: string, key: 'mp' | 'late' | 'other', withPhone: boolean): Promise<Outcome> {
    const appid = this.#universe.apps[key].appid;
    const body: Record<string, string> = { appid, code: await this.#jsLogin(personId, appid) };
    if (withPhone) {
      const phoneCode = await this.#phoneCode(personId, appid);
      if (phoneCode !== undefined) body.phoneCode = phoneCode;
    }
    const answer = await this.#post('/api/mp/login', body);
    return this.#appAnswer(answer.status, answer.body);
  }

  async #s6(personId: string): Promise<Outcome> {
    const appid = this.#universe.apps.app.appid;
    const { code } = await this.#sandbox('POST', '/actions/app-login', { personId, appid });
    const answer = await this.#post('/api/app/login', { appid, code });
    return this.#appAnswer(answer.status, answer.body);
  }

  async #s7(personId: string, withPhone: boolean): Promise<Outcome> {
    const { app, mp } = this.#universe.apps;
    const created = await this.#post('/api/app/s7/tickets', { appid: app.appid, miniProgramAppid: mp.appid });
    if (created.status >= 400) throw new Error(`S7 ticket: ${created.status} ${JSON.stringify(created.body)}`);
    const ticket = z.string().parse(created.body.ticket);
    const secret = z.string().parse(created.body.secret);
    await this.#sandbox('POST', '/actions/open-mini-program', { personId, appid: mp.appid, page: 'pages/login/confirm' });
    const confirm = await this.#confirmInMiniProgram(personId, ticket, withPhone);
    if (confirm.status >= 400) return refused(confirm.status, confirm.body);
    const redeemed = await this.#post(`/api/app/s7/tickets/${ticket}/redeem`, undefined, { 'x-ticket-secret': secret });
    return this.#appAnswer(redeemed.status, redeemed.body);
  }
}

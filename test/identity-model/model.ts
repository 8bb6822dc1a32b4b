/**
 * The reference model of issue #13's identity rules, and the runner that plays one random sequence
 * against the real service and checks every invariant after every step.
 *
 * The rules (issue #13, "The reference behaviour" and items 1–11), as this model states them for a
 * login of person p through app a (connection Open Platform account O, unionid u when WeChat sends
 * one), before the login:
 *
 * - row owner R: the account holding (a, openid). Claimants: accounts holding a row with u in an
 *   app whose connection is under O, or owning (O, u). Phone match: with `fieldMatching: [phone]`
 *   and a shared verified phone, the account holding that phone — **unless it holds a different
 *   openid in a or a different unionid under O** (item 1: a number that changed hands matches nobody).
 * - R known, no other claimant → R. R known and another claimant (late binding, item 3) → quadrant 3.
 * - R unknown → matches = claimants ∪ phone match: none → a new account (registration allow), one →
 *   it, several → quadrant 3. A blocked account among them refuses.
 * - Quadrant 3: `select` offers every match; `refuse` refuses; `autoMergeOnUnionid` (unionid-only
 *   conflicts) signs in and leaves one account.
 * - After any login that ends signed in to X under O: every row of p carrying u and (O, u) belong
 *   to X (items 3, 4: the choice is the person's, every scenario agrees afterwards).
 * - Structure (item 2): an account holds at most one openid per app and one unionid per O.
 * - Merge (item 6) carries the verified phone; undo restores both sides exactly.
 * - Phone (item 10): bought at most once per person per identity group (an Open Platform account, or
 *   an unbound app on its own), never when the account reached by openid/unionid has a verified
 *   phone, never for a login refused because the account is blocked.
 *
 * Where the issue is silent (an unbound connection of an app WeChat already bound, item 5), the
 * outcome is not predicted; the invariants still hold.
 */
import { z } from 'zod';
import type { Database } from '../../packages/server/src/storage/index.ts';
import { type Observation, observe, phoneHolder } from './observe.ts';
import { type Outcome, PHONE_SCENARIOS, SCENARIO_APP, type Scenario, ScenarioDriver } from './scenarios.ts';
import { APP_KEYS, type AppKey, type ModelWorld, type Universe } from './universe.ts';

export const GROUPS = ['structure', 'stranger', 'agree', 'quadrant3', 'binding', 'merge', 'billing'] as const;
export type Group = (typeof GROUPS)[number];

export interface Violation {
  group: Group;
  item: string;
  step: number;
  message: string;
}

/** A violation of the group under test: fast-check shrinks the sequence to the smallest that throws it. */
export class RuleViolation extends Error {
  readonly violation: Violation;
  constructor(violation: Violation, trail: string[]) {
    super(
      `[${violation.group}] issue #13 item ${violation.item}, at step ${violation.step}: ${violation.message}\n  steps:\n    ${trail.join('\n    ')}`,
    );
    this.violation = violation;
  }
}

export interface Person {
  key: string;
  id: string;
  phone: string | null;
  openid: Record<AppKey, string>;
  /** Open Platform account → this person's unionid there. */
  unionid: Map<string, string>;
}

type Expected =
  | { kind: 'signed_in'; account: string | 'new' }
  | { kind: 'quadrant3'; matches: Set<string>; unionOnly: boolean }
  | { kind: 'refused'; why: string }
  | { kind: 'bind' }
  | { kind: 'unpredicted'; why: string };

const identitiesSchema = z.array(z.object({ appid: z.string(), openid: z.string(), unionid: z.string().nullable() }));
const statsSchema = z.object({ billableByPerson: z.record(z.string(), z.record(z.string(), z.number())).default({}) }).loose();
const userDetail = z.object({ id: z.string(), status: z.string() }).loose();

let phoneSerial = Math.floor(Math.random() * 1e6);
const freshPhone = () => `+86137${String(++phoneSerial % 1e8).padStart(8, '0')}`;

interface MergeRecord {
  mergeId: string;
  target: string;
  source: string;
  before: { target: Record<string, unknown>; source: Record<string, unknown> };
  clean: boolean;
  undone: boolean;
}

export class Runner {
  readonly persons: Person[] = [];
  readonly trail: string[] = [];
  readonly violations: Violation[] = [];
  readonly #model: ModelWorld;
  readonly #universe: Universe;
  readonly #driver: ScenarioDriver;
  readonly #group: Group;
  /** Accounts made by an admin (pre-provisioned with a phone), with the person whose phone it was. */
  /** Accounts an admin made with a person's phone and a password (what query binding proves). */
  readonly #adminAccounts = new Map<string, { person: string; password: string }>();
  readonly #merges: MergeRecord[] = [];
  /** Connections whose policy an admin changed from the universe's (item 9). */
  readonly #policyOverrides = new Map<AppKey, Universe['policy']>();
  /** person id → identity group → phone purchases. */
  readonly #purchases = new Map<string, Map<string, number>>();
  #billedSoFar = new Map<string, number>();
  #step = 0;
  lateBoundInWechat = false;
  lateBoundConnection = false;

  private constructor(model: ModelWorld, universe: Universe, group: Group) {
    this.#model = model;
    this.#universe = universe;
    this.#driver = new ScenarioDriver(model, universe);
    this.#group = group;
  }

  static async create(model: ModelWorld, policy: Universe['policy'] | Partial<Universe['policy']>, group: Group): Promise<Runner> {
    return new Runner(model, await model.universe(policy), group);
  }

  get policy(): Universe['policy'] {
    return this.#universe.policy;
  }

  /**
   * The policy a login through `scenario` is held to. S7 signs the person in to the mobile app through
   * the mini program: whichever of the two reads it, the stricter registration holds (item 9) — the
   * mobile app's own refusal can never be side-stepped by opening the mini program.
   */
  #policyFor(scenario: Scenario): Universe['policy'] {
    const own = this.#policyOverrides.get(SCENARIO_APP[scenario]) ?? this.policy;
    if (scenario !== 's7') return own;
    const client = this.#policyOverrides.get('app') ?? this.policy;
    return client.registration === 'deny' ? { ...own, registration: 'deny' } : own;
  }

  /** An admin changes one connection's policy through the management API. */
  async setPolicy(app: AppKey, patch: Partial<Universe['policy']>): Promise<void> {
    this.#step++;
    const policy = { ...this.policy, ...patch };
    this.trail.push(`${this.#step}. the admin sets ${app}'s policy to ${JSON.stringify(patch)}`);
    const answer = await this.#model.admin('PATCH', `/connections/${this.#universe.apps[app].connectionId}`, { policy });
    if (answer.status !== 200) throw new Error(`setting the policy answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    this.#policyOverrides.set(app, policy);
  }

  get #db(): Database {
    return this.#model.world.database;
  }

  #violate(group: Group, item: string, message: string): void {
    const violation = { group, item, step: this.#step, message };
    this.violations.push(violation);
    if (group === this.#group) throw new RuleViolation(violation, this.trail);
  }

  async #observe(): Promise<Observation> {
    const appids = APP_KEYS.map((k) => this.#universe.apps[k].appid);
    return observe(this.#db, appids, [this.#universe.opA, this.#universe.opB], this.#adminAccounts.keys());
  }

  #appByAppid(appid: string): AppKey | undefined {
    return APP_KEYS.find((k) => this.#universe.apps[k].appid === appid);
  }

  /** Whose WeChat identity a row is (every openid of a universe belongs to one of its people). */
  #personOfRow(appid: string, openid: string): Person | undefined {
    const key = this.#appByAppid(appid);
    return key === undefined ? undefined : this.persons.find((p) => p.openid[key] === openid);
  }

  #active(observation: Observation, userId: string): boolean {
    const status = observation.users.get(userId)?.status;
    return status === 'active' || status === 'blocked';
  }

  #blocked(observation: Observation, userId: string): boolean {
    return observation.users.get(userId)?.status === 'blocked';
  }

  /** The identity group a phone purchase counts in: the connection's Open Platform account, or the unbound app alone. */
  #groupOf(app: AppKey): string {
    return this.#universe.apps[app].connectionOpenPlatform ?? `app:${app}`;
  }

  // ── Steps ───────────────────────────────────────────────────────────────────────────────────

  async addPerson(withPhone: boolean): Promise<void> {
    this.#step++;
    const key = `P${this.persons.length}`;
    const phone = withPhone ? freshPhone() : null;
    this.trail.push(`${this.#step}. new person ${key}${phone === null ? ' (no phone)' : ` (phone ${phone})`}`);
    const created = await this.#model.world.sandbox('POST', '/people', { nickname: key, ...(phone === null ? {} : { phone }) });
    const id = z.string().parse(created.id);
    const identities = identitiesSchema.parse(await this.#model.world.sandboxAny('GET', `/people/${id}/identities`));
    const openid = {} as Record<AppKey, string>;
    const unionid = new Map<string, string>();
    for (const app of APP_KEYS) {
      const found = identities.find((i) => i.appid === this.#universe.apps[app].appid);
      if (found === undefined) throw new Error(`sandbox has no identity of ${id} in ${app}`);
      openid[app] = found.openid;
      const op = this.#universe.apps[app].wechatOpenPlatform;
      if (op !== null && found.unionid !== null) unionid.set(op, found.unionid);
    }
    this.persons.push({ key, id, phone, openid, unionid });
  }

  person(index: number): Person {
    const person = this.persons[index % this.persons.length];
    if (person === undefined) throw new Error('no person');
    return person;
  }

  async #purchasesNow(): Promise<Map<string, number>> {
    const stats = statsSchema.parse(await this.#model.world.sandbox('GET', '/stats'));
    return new Map(Object.entries(stats.billableByPerson['wxa/business/getuserphonenumber'] ?? {}));
  }

  /** What the rules say a login of `person` through `scenario` must give, from what is stored now. */
  #expect(before: Observation, person: Person, scenario: Scenario, withPhone: boolean): { expected: Expected; reached: string | null } {
    const appKey = SCENARIO_APP[scenario];
    const app = this.#universe.apps[appKey];
    const op = app.connectionOpenPlatform;
    const unionid = app.wechatOpenPlatform === null ? null : (person.unionid.get(app.wechatOpenPlatform) ?? null);
    const rowOwner = before.rows.find((r) => r.appid === app.appid && r.openid === person.openid[appKey])?.userId ?? null;
    if (op === null && app.wechatOpenPlatform !== null) {
      return { expected: { kind: 'unpredicted', why: 'connection unbound while WeChat sends unionids (item 5)' }, reached: rowOwner };
    }
    const claimants = new Set<string>();
    if (op !== null && unionid !== null) {
      for (const row of before.rows) {
        const rowApp = this.#appByAppid(row.appid);
        if (rowApp === undefined || this.#universe.apps[rowApp].connectionOpenPlatform !== op) continue;
        if (row.unionid === unionid && this.#active(before, row.userId)) claimants.add(row.userId);
      }
      const owner = before.unionOwner.get(`${op}|${unionid}`);
      if (owner !== undefined && this.#active(before, owner)) claimants.add(owner);
    }
    if (rowOwner !== null) {
      const matches = new Set([rowOwner, ...claimants]);
      if (matches.size === 1) {
        return {
          expected: this.#blocked(before, rowOwner)
            ? { kind: 'refused', why: 'account blocked' }
            : { kind: 'signed_in', account: rowOwner },
          reached: rowOwner,
        };
      }
      if ([...matches].some((m) => this.#blocked(before, m)))
        return { expected: { kind: 'refused', why: 'a match is blocked' }, reached: null };
      return { expected: { kind: 'quadrant3', matches, unionOnly: true }, reached: null };
    }
    const byUnion = [...claimants];
    const reachedWithoutPhone = byUnion.length === 1 ? (byUnion[0] ?? null) : null;
    // Item 10: the phone is not bought (so cannot match) when the account reached already has a verified phone.
    const phoneShared =
      withPhone &&
      person.phone !== null &&
      PHONE_SCENARIOS.has(scenario) &&
      !(reachedWithoutPhone !== null && before.users.get(reachedWithoutPhone)?.phoneVerified === true);
    let byPhone: string | null = null;
    const policy = this.#policyFor(scenario);
    if (phoneShared && person.phone !== null && (policy.fieldMatching as string[]).includes('phone')) {
      const holder = before.phoneOwner.get(person.phone) ?? null;
      if (holder !== null && this.#active(before, holder) && !this.#isStrangerFor(before, holder, person, appKey, op, unionid))
        byPhone = holder;
    }
    const matches = new Set([...byUnion, ...(byPhone === null ? [] : [byPhone])]);
    if (matches.size === 0) {
      if (policy.queryBinding !== 'off') return { expected: { kind: 'bind' }, reached: null };
      // The reference: when matching and binding fail and registration is closed, the person cannot log in.
      if (policy.registration === 'deny') return { expected: { kind: 'refused', why: 'registration closed' }, reached: null };
      return { expected: { kind: 'signed_in', account: 'new' }, reached: null };
    }
    if ([...matches].some((m) => this.#blocked(before, m))) {
      return { expected: { kind: 'refused', why: 'a match is blocked' }, reached: reachedWithoutPhone };
    }
    if (matches.size === 1) {
      const only = [...matches][0] ?? null;
      // `reached` is who the login reaches without the phone: only then is buying it needless (item 10).
      return { expected: { kind: 'signed_in', account: only ?? 'new' }, reached: reachedWithoutPhone };
    }
    return { expected: { kind: 'quadrant3', matches, unionOnly: byPhone === null || byUnion.includes(byPhone) }, reached: null };
  }

  /** Item 1: the account already holds another openid in this app, or another unionid under this Open Platform account. */
  #isStrangerFor(
    observation: Observation,
    userId: string,
    person: Person,
    app: AppKey,
    op: string | null,
    unionid: string | null,
  ): boolean {
    for (const row of observation.rows) {
      if (row.userId !== userId) continue;
      if (row.appid === this.#universe.apps[app].appid && row.openid !== person.openid[app]) return true;
      const rowApp = this.#appByAppid(row.appid);
      if (op !== null && unionid !== null && row.unionid !== null && row.unionid !== unionid && rowApp !== undefined) {
        if (this.#universe.apps[rowApp].connectionOpenPlatform === op) return true;
      }
    }
    if (op !== null && unionid !== null) {
      for (const [key, owner] of observation.unionOwner) {
        if (owner === userId && key.startsWith(`${op}|`) && key !== `${op}|${unionid}`) return true;
      }
    }
    return false;
  }

  async login(personIndex: number, scenario: Scenario, withPhone: boolean, choice: number): Promise<Outcome> {
    this.#step++;
    const person = this.person(personIndex);
    this.trail.push(
      `${this.#step}. ${person.key} logs in via ${scenario}${withPhone && PHONE_SCENARIOS.has(scenario) ? ' sharing the phone' : ''}`,
    );
    const before = await this.#observe();
    const { expected, reached } = this.#expect(before, person, scenario, withPhone);
    let outcome = await this.#driver.login(scenario, person.id, withPhone);
    const appKey = SCENARIO_APP[scenario];
    let selected: string | null = null;
    const describe = (o: Outcome) =>
      o.kind === 'signed_in'
        ? `signed in to ${o.userId}`
        : o.kind === 'refused'
          ? `refused (${o.code}${o.reason ? `/${o.reason}` : ''})`
          : o.kind;
    this.trail[this.trail.length - 1] += ` → ${describe(outcome)}`;

    if (outcome.kind === 'select') {
      const candidates = new Set(outcome.candidates.map((c) => c.userId));
      this.#checkCandidates(before, person, scenario, outcome.candidates);
      if (expected.kind === 'quadrant3') {
        for (const match of expected.matches) {
          if (!candidates.has(match))
            this.#violate('quadrant3', '3/4', `selection offered ${[...candidates].join(', ')} but not ${match}, which the rules match`);
        }
      }
      // Selecting an account that is not a candidate stays impossible (item 11).
      const outsider = [...before.users.keys()].find((u) => !candidates.has(u));
      if (outsider !== undefined) {
        const wrong = await outcome.choose(outsider);
        if (wrong.kind === 'signed_in') this.#violate('stranger', '11', `selecting non-candidate ${outsider} signed in to ${wrong.userId}`);
      }
      const ordered = [...candidates].sort((a, b) => this.#age(before, a) - this.#age(before, b));
      selected = ordered[choice % ordered.length] ?? null;
      if (selected === null) throw new Error('a selection without candidates');
      outcome = await outcome.choose(selected);
      this.trail[this.trail.length - 1] += `, chooses ${selected} → ${describe(outcome)}`;
      if (outcome.kind === 'signed_in' && outcome.userId !== selected) {
        this.#violate('agree', '3/4', `chose ${selected} but was signed in to ${outcome.userId}`);
      }
    }
    const first = outcome;
    if (outcome.kind === 'bind') outcome = await this.#bind(before, person, scenario, outcome, choice);
    // A per-person limit (e.g. phone codes per openid) is not an identity rule: nothing to compare.
    const limited = outcome.kind === 'refused' && outcome.code === 'rate_limited';
    if (!limited) await this.#checkOutcome(before, person, scenario, expected, first, outcome, selected !== null);
    await this.#checkBilling(person, appKey, expected, reached, before, outcome);
    const after = await this.#observe();
    this.#checkState(after);
    if (outcome.kind === 'signed_in') this.#checkAgreement(after, person, appKey, outcome.userId);
    // A login may move identities between any accounts (a selection takes the unionid along): undo is exact only before it.
    for (const merge of this.#merges) merge.clean = false;
    return outcome;
  }

  /**
   * The person signs in through every scenario of Open Platform account A, one after the other
   * (S1–S7, and the late mini program once its connection is bound): once a login has signed them in
   * without asking, every later one must reach that same account (items 3, 4: all scenarios agree).
   */
  async probeEveryScenario(personIndex: number, choice: number): Promise<void> {
    const scenarios: Scenario[] = ['s1', 's2', 's3', 's4', 's5', 's6', 's7', ...(this.lateBoundConnection ? (['s5-late'] as const) : [])];
    let settled: { userId: string; scenario: Scenario } | null = null;
    for (const scenario of scenarios) {
      const outcome = await this.login(personIndex, scenario, false, choice);
      if (outcome.kind !== 'signed_in') {
        settled = null;
        continue;
      }
      if (settled !== null && outcome.userId !== settled.userId) {
        this.#violate(
          'agree',
          '3/4',
          `${this.person(personIndex).key} reached ${settled.userId} via ${settled.scenario} but ${outcome.userId} via ${scenario} right after`,
        );
      }
      settled = { userId: outcome.userId, scenario };
    }
  }

  /**
   * The person answers a `bind` outcome: choice 0 proves their own admin-made account by password
   * (or creates a new one when allowed), choice 1 tries the password of another person's account.
   * Every method offered must work in the channel (item 7); binding never makes an account hold a
   * second openid of the app or unionid of the Open Platform account (item 2).
   */
  async #bind(
    before: Observation,
    person: Person,
    scenario: Scenario,
    outcome: Extract<Outcome, { kind: 'bind' }>,
    choice: number,
  ): Promise<Outcome> {
    if (outcome.methods.includes('sms')) {
      const status = await outcome.binding.sendSmsCode(person.phone ?? '+8613700000000');
      if (status === 404) this.#violate('binding', '7', `${scenario} offered binding by sms but sending the code answered 404`);
    }
    const own = [...this.#adminAccounts].find(([, a]) => a.person === person.key);
    const foreign = [...this.#adminAccounts].find(([, a]) => a.person !== person.key);
    const target = choice === 0 ? own : foreign;
    if (target !== undefined && outcome.methods.includes('password')) {
      const [userId, account] = target;
      const phone = String((await this.#detail(userId)).phoneNumber ?? '');
      if (phone === '') return outcome;
      const result = await outcome.binding.password(phone, account.password);
      const said =
        result.kind === 'signed_in'
          ? `signed in to ${result.userId}`
          : result.kind === 'refused'
            ? `refused (${result.code})`
            : result.kind;
      this.trail[this.trail.length - 1] += `, binds ${userId} (${account.person}'s) by password → ${said}`;
      const appKey = SCENARIO_APP[scenario];
      const app = this.#universe.apps[appKey];
      const unionid = app.wechatOpenPlatform === null ? null : (person.unionid.get(app.wechatOpenPlatform) ?? null);
      const stranger = this.#isStrangerFor(before, userId, person, appKey, app.connectionOpenPlatform, unionid);
      if (stranger && result.kind === 'signed_in') {
        this.#violate(
          'binding',
          '2',
          `${person.key} bound ${userId} by password although it holds another person's openid in ${appKey} or unionid there`,
        );
      }
      if (!stranger && result.kind === 'signed_in' && result.userId !== userId) {
        this.#violate('binding', 'ref', `${person.key} proved ${userId} by password but was signed in to ${result.userId}`);
      }
      if (!stranger && result.kind === 'refused' && result.code !== 'rate_limited' && !this.#blocked(before, userId)) {
        this.#violate(
          'binding',
          'ref',
          `${person.key} proved ${userId} (holding nobody else's WeChat identity) by password but was refused: ${result.code}`,
        );
      }
      return result;
    }
    if (outcome.mayCreateInstead) {
      const result = await outcome.binding.createInstead();
      this.trail[this.trail.length - 1] +=
        `, creates a new account → ${result.kind === 'signed_in' ? `signed in to ${result.userId}` : result.kind}`;
      if (result.kind === 'signed_in' && before.users.has(result.userId)) {
        this.#violate('binding', 'ref', `${person.key} chose to create an account but was signed in to existing ${result.userId}`);
      }
      return result;
    }
    return outcome;
  }

  /** Creation order of known accounts (for a reproducible choice among candidates). */
  #age(observation: Observation, userId: string): number {
    const index = [...observation.users.keys()].indexOf(userId);
    return index < 0 ? Number.MAX_SAFE_INTEGER : index;
  }

  /** Item 1: no candidate may be an account a recycled number would reach (nothing of A is exposed). */
  #checkCandidates(before: Observation, person: Person, scenario: Scenario, candidates: { userId: string; via: string[] }[]): void {
    const appKey = SCENARIO_APP[scenario];
    const app = this.#universe.apps[appKey];
    const unionid = app.wechatOpenPlatform === null ? null : (person.unionid.get(app.wechatOpenPlatform) ?? null);
    for (const candidate of candidates) {
      // Item 11: a candidate shows masked values only — never a whole phone number.
      const shown = JSON.stringify(candidate);
      for (const phone of before.phoneOwner.keys()) {
        if (shown.includes(phone.replace(/^\+86/, '')))
          this.#violate('stranger', '11', `a selection candidate shows the whole phone number ${phone}`);
      }
      if (this.#isStrangerFor(before, candidate.userId, person, appKey, app.connectionOpenPlatform, unionid)) {
        this.#violate(
          'stranger',
          '1',
          `${person.key} was offered ${candidate.userId} (via ${candidate.via.join('+')}), an account holding another person's WeChat identity`,
        );
      }
    }
  }

  async #checkOutcome(
    before: Observation,
    person: Person,
    scenario: Scenario,
    expected: Expected,
    first: Outcome,
    outcome: Outcome,
    selected: boolean,
  ): Promise<void> {
    const appKey = SCENARIO_APP[scenario];
    const app = this.#universe.apps[appKey];
    const unionid = app.wechatOpenPlatform === null ? null : (person.unionid.get(app.wechatOpenPlatform) ?? null);
    if (outcome.kind === 'signed_in' && before.users.has(outcome.userId)) {
      if (this.#isStrangerFor(before, outcome.userId, person, appKey, app.connectionOpenPlatform, unionid)) {
        this.#violate(
          'stranger',
          '1',
          `${person.key} via ${scenario} was signed in to ${outcome.userId}, which holds another person's openid in that app or unionid under that Open Platform account`,
        );
      }
    }
    const policy = this.#policyFor(scenario);
    if (first.kind === 'bind' && policy.queryBinding === 'off') {
      this.#violate('quadrant3', 'ref', `asked to bind (${first.methods.join(', ')}) with queryBinding off`);
    }
    switch (expected.kind) {
      case 'unpredicted':
        return;
      case 'bind':
        if (first.kind !== 'bind') {
          this.#violate(
            'binding',
            'ref',
            `${person.key} matched nobody with queryBinding ${policy.queryBinding}: expected to be asked to bind, got ${first.kind}`,
          );
        }
        return;
      case 'signed_in':
        if (outcome.kind !== 'signed_in') {
          this.#violate(
            expected.account === 'new' ? 'quadrant3' : 'agree',
            expected.account === 'new' ? 'ref' : '3',
            `expected signed in to ${expected.account}, got ${outcome.kind}${outcome.kind === 'refused' ? ` ${outcome.code}/${outcome.reason}` : ''}`,
          );
        } else if (expected.account === 'new' && before.users.has(outcome.userId)) {
          this.#violate('stranger', '1', `${person.key} matched nobody by the rules but was signed in to existing ${outcome.userId}`);
        } else if (expected.account !== 'new' && outcome.userId !== expected.account) {
          this.#violate(
            'agree',
            '3/4',
            `${person.key} via ${scenario}: expected ${expected.account} (their account), reached ${outcome.userId}`,
          );
        }
        return;
      case 'refused':
        if (outcome.kind === 'signed_in') {
          const item = expected.why === 'registration closed' && scenario === 's7' ? '9' : 'ref';
          this.#violate(
            'quadrant3',
            item,
            `${person.key} via ${scenario}: expected refusal (${expected.why}), signed in to ${outcome.userId}`,
          );
        }
        return;
      case 'quadrant3': {
        const matches = [...expected.matches].join(' and ');
        if (policy.autoMergeOnUnionid && expected.unionOnly) {
          if (outcome.kind !== 'signed_in')
            this.#violate('quadrant3', '3', `autoMergeOnUnionid with ${matches}: expected a merge and a sign-in, got ${outcome.kind}`);
          else {
            const after = await this.#observe();
            const survivors = [...expected.matches].filter(
              (m) => after.users.get(m)?.status === 'active' || after.users.get(m)?.status === 'blocked',
            );
            if (survivors.length !== 1)
              this.#violate('quadrant3', '3', `autoMergeOnUnionid with ${matches}: ${survivors.length} accounts remain active`);
          }
        } else if (policy.onMultipleMatches === 'refuse') {
          if (outcome.kind !== 'refused')
            this.#violate('quadrant3', '3', `onMultipleMatches refuse with ${matches}: expected a refusal, got ${outcome.kind}`);
        } else if (!selected) {
          this.#violate(
            'quadrant3',
            expected.unionOnly ? '3' : '4',
            `onMultipleMatches select with ${matches}: expected the selection, got ${outcome.kind === 'signed_in' ? `signed in to ${outcome.userId}` : outcome.kind}`,
          );
        }
        return;
      }
    }
  }

  async #checkBilling(
    person: Person,
    app: AppKey,
    expected: Expected,
    reached: string | null,
    before: Observation,
    outcome: Outcome,
  ): Promise<void> {
    const now = await this.#purchasesNow();
    const delta = (now.get(person.id) ?? 0) - (this.#billedSoFar.get(person.id) ?? 0);
    this.#billedSoFar = now;
    if (delta <= 0) return;
    const group = this.#groupOf(app);
    const byGroup = this.#purchases.get(person.id) ?? new Map<string, number>();
    const total = (byGroup.get(group) ?? 0) + delta;
    byGroup.set(group, total);
    this.#purchases.set(person.id, byGroup);
    if (total > 1) this.#violate('billing', '10', `${person.key}'s phone was bought ${total} times in ${group}`);
    if (reached !== null && before.users.get(reached)?.phoneVerified === true) {
      this.#violate('billing', '10', `${person.key}'s phone was bought although their account ${reached} already has a verified phone`);
    }
    if (expected.kind === 'refused' && expected.why === 'account blocked' && outcome.kind === 'refused') {
      this.#violate('billing', '10', `${person.key}'s phone was bought for a login refused because the account is blocked`);
    }
  }

  /** Structure (item 2) and strangers (item 1) over everything stored, after every step. */
  #checkState(observation: Observation): void {
    const perApp = new Map<string, Set<string>>();
    const perOp = new Map<string, Set<string>>();
    for (const row of observation.rows) {
      const key = `${row.userId}|${row.appid}`;
      const openids = perApp.get(key) ?? new Set<string>();
      openids.add(row.openid);
      perApp.set(key, openids);
      const app = this.#appByAppid(row.appid);
      const op = app === undefined ? null : this.#universe.apps[app].connectionOpenPlatform;
      if (op !== null && row.unionid !== null) {
        const unionids = perOp.get(`${row.userId}|${op}`) ?? new Set<string>();
        unionids.add(row.unionid);
        perOp.set(`${row.userId}|${op}`, unionids);
      }
    }
    for (const [key, owner] of observation.unionOwner) {
      const op = key.slice(0, key.indexOf('|'));
      const unionids = perOp.get(`${owner}|${op}`) ?? new Set<string>();
      unionids.add(key.slice(key.indexOf('|') + 1));
      perOp.set(`${owner}|${op}`, unionids);
    }
    for (const [key, openids] of perApp) {
      if (openids.size > 1)
        this.#violate(
          'structure',
          '2',
          `account ${key.split('|')[0]} holds ${openids.size} openids of app ${this.#appByAppid(key.split('|')[1] ?? '')}`,
        );
    }
    for (const [key, unionids] of perOp) {
      if (unionids.size > 1)
        this.#violate(
          'structure',
          '2',
          `account ${key.split('|')[0]} holds ${unionids.size} unionids under Open Platform account ${key.split('|')[1]}`,
        );
    }
  }

  /** Items 3/4: after a sign-in to `userId`, every identity of the person under that unionid is with that account. */
  #checkAgreement(observation: Observation, person: Person, app: AppKey, userId: string): void {
    const op = this.#universe.apps[app].connectionOpenPlatform;
    const own = observation.rows.find((r) => r.appid === this.#universe.apps[app].appid && r.openid === person.openid[app]);
    if (own !== undefined && own.userId !== userId)
      this.#violate('agree', '3', `${person.key} signed in to ${userId} but their ${app} identity stays with ${own.userId}`);
    if (op === null) return;
    const unionid = person.unionid.get(op);
    if (unionid === undefined) return;
    for (const row of observation.rows) {
      const rowApp = this.#appByAppid(row.appid);
      if (rowApp === undefined || this.#universe.apps[rowApp].connectionOpenPlatform !== op || row.unionid !== unionid) continue;
      if (row.userId !== userId) {
        this.#violate(
          'agree',
          '3/4',
          `${person.key} signed in to ${userId} via ${app}, but their ${rowApp} identity (same unionid) stays with ${row.userId}: the scenarios through ${rowApp} reach another account`,
        );
      }
    }
    const owner = observation.unionOwner.get(`${op}|${unionid}`);
    if (owner !== undefined && owner !== userId)
      this.#violate('agree', '3/4', `${person.key} signed in to ${userId}, but their unionid under ${op} is owned by ${owner}`);
  }

  // ── Concurrency (item 10: ten concurrent first logins bought the phone five times) ─────────────

  async concurrentFirstLogins(personIndex: number, count: number): Promise<void> {
    this.#step++;
    const person = this.person(personIndex);
    const before = await this.#observe();
    const known = before.rows.some((r) => r.appid === this.#universe.apps.mp.appid && r.openid === person.openid.mp);
    this.trail.push(`${this.#step}. ${person.key} starts ${count} S5 logins at once, sharing the phone${known ? ' (already known)' : ''}`);
    const outcomes = await Promise.all(Array.from({ length: count }, () => this.#driver.login('s5', person.id, true)));
    const accounts = new Set(outcomes.map((o) => (o.kind === 'signed_in' ? o.userId : o.kind)));
    const mp = this.#universe.apps.mp;
    const unionid = person.unionid.get(this.#universe.opA) ?? null;
    for (const outcome of outcomes) {
      if (outcome.kind === 'select') this.#checkCandidates(before, person, 's5', outcome.candidates);
      if (outcome.kind === 'signed_in' && this.#isStrangerFor(before, outcome.userId, person, 'mp', mp.connectionOpenPlatform, unionid)) {
        this.#violate(
          'stranger',
          '1',
          `${person.key} (S5, concurrent) was signed in to ${outcome.userId}, which holds another person's WeChat identity`,
        );
      }
    }
    for (const merge of this.#merges) merge.clean = false;
    this.trail[this.trail.length - 1] += ` → ${[...accounts].join(', ')}`;
    if (accounts.size > 1 && outcomes.every((o) => o.kind === 'signed_in')) {
      this.#violate('agree', 'ref', `concurrent logins of ${person.key} reached ${accounts.size} accounts`);
    }
    await this.#checkBilling(
      person,
      'mp',
      { kind: 'unpredicted', why: 'concurrent' },
      null,
      before,
      outcomes[0] ?? { kind: 'refused', code: '', reason: null, status: 0 },
    );
    this.#checkState(await this.#observe());
  }

  // ── Apps bound later ───────────────────────────────────────────────────────────────────────

  async bindLateInWechat(): Promise<void> {
    this.#step++;
    this.trail.push(`${this.#step}. WeChat binds the late mini program to Open Platform account A`);
    await this.#model.bindLateInWechat(this.#universe);
    this.lateBoundInWechat = true;
    for (const person of this.persons) {
      const unionid = person.unionid.get(this.#universe.opA);
      if (unionid === undefined) throw new Error('person without a unionid under A');
    }
  }

  async bindLateConnection(): Promise<void> {
    this.#step++;
    this.trail.push(`${this.#step}. the admin binds the late mini program's connection to A`);
    await this.#model.bindLateConnection(this.#universe);
    this.lateBoundConnection = true;
    this.#checkState(await this.#observe());
  }

  // ── Phones that change hands ─────────────────────────────────────────────────────────────────

  async recyclePhone(fromIndex: number, toIndex: number, fromGetsNew: boolean): Promise<void> {
    const from = this.person(fromIndex);
    const to = this.person(toIndex);
    if (from === to || from.phone === null) return;
    this.#step++;
    const phone = from.phone;
    const replacement = fromGetsNew ? freshPhone() : null;
    this.trail.push(
      `${this.#step}. ${from.key}'s number ${phone} goes to ${to.key}; ${from.key} ${replacement === null ? 'has no phone now' : `gets ${replacement}`}`,
    );
    await this.#model.world.sandbox('PATCH', `/people/${from.id}`, { phone: replacement });
    await this.#model.world.sandbox('PATCH', `/people/${to.id}`, { phone });
    from.phone = replacement;
    to.phone = phone;
  }

  // ── Admin actions through /api/v1 ─────────────────────────────────────────────────────────

  async adminAccount(personIndex: number): Promise<void> {
    const person = this.person(personIndex);
    if (person.phone === null || (await phoneHolder(this.#db, person.phone)) !== null) return;
    this.#step++;
    const password = `pw-${person.key}-${person.id}`;
    const answer = await this.#model.admin('POST', '/users', {
      name: `admin-made ${person.key}`,
      phoneNumber: person.phone,
      phoneNumberVerified: true,
      password,
    });
    if (answer.status !== 201) throw new Error(`creating a user answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    const id = z.string().parse(answer.body.id);
    this.#adminAccounts.set(id, { person: person.key, password });
    this.trail.push(`${this.#step}. the admin creates account ${id} with ${person.key}'s verified phone ${person.phone}`);
  }

  /** The accounts that are (by what they hold) this person's: their WeChat rows, or an admin account with their phone and no one's rows. */
  #accountsOf(observation: Observation, person: Person): string[] {
    const accounts = new Set<string>();
    for (const row of observation.rows) {
      if (this.#personOfRow(row.appid, row.openid) === person && this.#active(observation, row.userId)) accounts.add(row.userId);
    }
    for (const id of this.#adminAccounts.keys()) {
      const user = observation.users.get(id);
      const holdsRows = observation.rows.some((r) => r.userId === id);
      if (user !== undefined && this.#active(observation, id) && !holdsRows && user.phone === person.phone && person.phone !== null)
        accounts.add(id);
    }
    return [...accounts].filter((id) =>
      observation.rows.filter((r) => r.userId === id).every((r) => this.#personOfRow(r.appid, r.openid) === person),
    );
  }

  async merge(personIndex: number, pick: number): Promise<void> {
    const person = this.person(personIndex);
    const before = await this.#observe();
    // Blocked accounts are unblocked before merging (the service says so): merge active ones.
    const accounts = this.#accountsOf(before, person)
      .filter((id) => before.users.get(id)?.status === 'active')
      .sort((a, b) => this.#age(before, a) - this.#age(before, b));
    if (accounts.length < 2) return;
    const target = accounts[pick % accounts.length] ?? '';
    const source = accounts.find((a) => a !== target) ?? '';
    this.#step++;
    this.trail.push(`${this.#step}. the admin merges ${source} into ${target} (both ${person.key}'s)`);
    const detailBefore = { target: await this.#detail(target), source: await this.#detail(source) };
    const answer = await this.#model.admin('POST', `/users/${target}/merge`, { sourceUserId: source });
    if (answer.status !== 201) {
      this.trail[this.trail.length - 1] += ` → ${answer.status} ${String(answer.body.code)}`;
      this.#violate('merge', '2/6', `merging two accounts of one person was refused: ${answer.status} ${JSON.stringify(answer.body)}`);
      return;
    }
    const mergeId = z.string().parse(answer.body.mergeId);
    for (const merge of this.#merges)
      if (merge.target === target || merge.source === target || merge.target === source || merge.source === source) merge.clean = false;
    this.#merges.push({ mergeId, target, source, before: detailBefore, clean: true, undone: false });
    const after = await this.#detail(target);
    const verifiedBefore = [detailBefore.target, detailBefore.source].find((d) => d.phoneNumberVerified === true);
    if (verifiedBefore !== undefined && (after.phoneNumberVerified !== true || after.phoneNumber === null)) {
      this.#violate(
        'merge',
        '6',
        `after merging, ${target} shows phone ${String(after.phoneNumber)} verified=${String(after.phoneNumberVerified)}; before, ${verifiedBefore.id} had ${String(verifiedBefore.phoneNumber)} verified`,
      );
    }
    this.#checkState(await this.#observe());
  }

  async undoLastMerge(): Promise<void> {
    const merge = [...this.#merges].reverse().find((m) => !m.undone);
    if (merge === undefined) return;
    this.#step++;
    this.trail.push(
      `${this.#step}. the admin undoes the merge of ${merge.source} into ${merge.target}${merge.clean ? '' : ' (after later changes)'}`,
    );
    const answer = await this.#model.admin('POST', `/merges/${merge.mergeId}/undo`);
    merge.undone = true;
    if (answer.status !== 200) {
      this.trail[this.trail.length - 1] += ` → ${answer.status} ${String(answer.body.code)}`;
      if (merge.clean) this.#violate('merge', '6', `undo of an untouched merge answered ${answer.status} ${JSON.stringify(answer.body)}`);
      return;
    }
    const target = await this.#detail(merge.target);
    const source = await this.#detail(merge.source);
    const differences = merge.clean
      ? [...diff('target', merge.before.target, target), ...diff('source', merge.before.source, source)]
      : diff('source', pick(merge.before.source), pick(source));
    if (differences.length > 0) this.#violate('merge', '6', `undo did not restore exactly: ${differences.join('; ')}`);
    this.#checkState(await this.#observe());
  }

  /** An admin merges two accounts of one person and, seeing the result, undoes it at once. */
  async mergeAndUndo(personIndex: number, pick: number): Promise<void> {
    const merges = this.#merges.length;
    await this.merge(personIndex, pick);
    if (this.#merges.length > merges) await this.undoLastMerge();
  }

  async block(pickIndex: number, blocked: boolean): Promise<void> {
    const observation = await this.#observe();
    const candidates = [...observation.users.values()]
      .filter((u) => u.status === (blocked ? 'active' : 'blocked'))
      .sort((a, b) => this.#age(observation, a.id) - this.#age(observation, b.id));
    const user = candidates[pickIndex % Math.max(candidates.length, 1)];
    if (user === undefined) return;
    this.#step++;
    this.trail.push(`${this.#step}. the admin ${blocked ? 'blocks' : 'unblocks'} ${user.id}`);
    const answer = await this.#model.admin('POST', `/users/${user.id}/${blocked ? 'block' : 'unblock'}`);
    if (answer.status !== 200) throw new Error(`block answered ${answer.status}`);
    for (const merge of this.#merges) if (merge.target === user.id || merge.source === user.id) merge.clean = false;
  }

  async #detail(userId: string): Promise<Record<string, unknown> & { id: string }> {
    const answer = await this.#model.admin('GET', `/users/${userId}`);
    if (answer.status !== 200) throw new Error(`user ${userId}: ${answer.status}`);
    return { ...answer.body, id: userDetail.parse(answer.body).id };
  }
}

/** The parts of a user that an undo must give back even after later logins: identities, identifiers, phone, status. */
function pick(detail: Record<string, unknown>): Record<string, unknown> {
  const identities = z
    .array(z.object({ appid: z.string(), openid: z.string(), unionid: z.string().nullable() }).loose())
    .parse(detail.identities ?? []);
  return {
    status: detail.status,
    phoneNumber: detail.phoneNumber,
    phoneNumberVerified: detail.phoneNumberVerified,
    identities: identities.map((i) => `${i.appid}/${i.openid}/${i.unionid}`).sort(),
    identifiers: detail.identifiers,
  };
}

/** Field differences between two views (updatedAt aside: an undo is a change). */
function diff(side: string, before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (key === 'updatedAt') continue;
    const a = JSON.stringify(normalise(before[key]));
    const b = JSON.stringify(normalise(after[key]));
    if (a !== b) out.push(`${side}.${key}: ${a} → ${b}`);
  }
  return out;
}

/** Lists compared as sets (order is presentation). */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => JSON.stringify(v)).sort();
  return value;
}

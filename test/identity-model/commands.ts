/**
 * The steps of a random sequence, as fast-check commands over one Runner (which is both the model
 * and the handle on the real service: its expectations are computed from the rules and what is
 * stored before each step). Each command's `toString` is the step as a person would say it, so a
 * shrunk counterexample reads as a story.
 */
import fc from 'fast-check';
import type { Runner } from './model.ts';
import { SCENARIOS } from './scenarios.ts';

type Command = fc.AsyncCommand<Runner, Runner>;

/** One step: a name, when it can run, and what it does. */
class Step implements Command {
  readonly #label: string;
  readonly #when: (m: Readonly<Runner>) => boolean;
  readonly #act: (r: Runner) => Promise<void>;

  constructor(label: string, when: (m: Readonly<Runner>) => boolean, act: (r: Runner) => Promise<void>) {
    this.#label = label;
    this.#when = when;
    this.#act = act;
  }

  check(m: Readonly<Runner>): boolean {
    return this.#when(m);
  }

  async run(_m: Runner, r: Runner): Promise<void> {
    await this.#act(r);
  }

  toString(): string {
    return this.#label;
  }
}

const always = () => true;
const hasPeople = (m: Readonly<Runner>) => m.persons.length > 0;
const who = fc.nat({ max: 2 });

const newPerson = fc.boolean().map(
  (phone) =>
    new Step(
      `newPerson(${phone ? 'phone' : 'no phone'})`,
      (m) => m.persons.length < 3,
      (r) => r.addPerson(phone),
    ),
);

/** Every kind of step, weighted towards logins (where the rules act). */
export function commandArbitraries(): fc.Arbitrary<Command>[] {
  const login = fc.tuple(who, fc.constantFrom(...SCENARIOS), fc.boolean(), fc.nat({ max: 1 })).map(
    ([w, s, phone, choice]) =>
      new Step(`login(person ${w}, ${s}${phone ? ', phone' : ''}, choice ${choice})`, hasPeople, async (r) => {
        await r.login(w, s, phone, choice);
      }),
  );
  return [
    newPerson,
    fc
      .tuple(who, fc.nat({ max: 1 }))
      .map(
        ([w, choice]) => new Step(`probeEveryScenario(person ${w}, choice ${choice})`, hasPeople, (r) => r.probeEveryScenario(w, choice)),
      ),
    login,
    login,
    login,
    login,
    fc
      .tuple(who, fc.integer({ min: 2, max: 3 }))
      .map(([w, n]) => new Step(`concurrentS5(person ${w}, ×${n})`, hasPeople, (r) => r.concurrentFirstLogins(w, n))),
    fc.constant(
      new Step(
        'bindLateInWechat',
        (m) => !m.lateBoundInWechat,
        (r) => r.bindLateInWechat(),
      ),
    ),
    fc.constant(
      new Step(
        'bindLateConnection',
        (m) => m.lateBoundInWechat && !m.lateBoundConnection,
        (r) => r.bindLateConnection(),
      ),
    ),
    fc.tuple(who, who, fc.boolean()).map(
      ([from, to, fresh]) =>
        new Step(
          `recyclePhone(person ${from} → person ${to}${fresh ? ', old holder gets a new number' : ''})`,
          (m) => m.persons.length > 1,
          (r) => r.recyclePhone(from, to, fresh),
        ),
    ),
    fc.tuple(who, who, fc.boolean()).map(
      ([from, to, fresh]) =>
        new Step(
          `recyclePhone(person ${from} → person ${to}${fresh ? ', old holder gets a new number' : ''})`,
          (m) => m.persons.length > 1,
          (r) => r.recyclePhone(from, to, fresh),
        ),
    ),
    who.map((w) => new Step(`adminAccountWithPhoneOf(person ${w})`, hasPeople, (r) => r.adminAccount(w))),
    who.map((w) => new Step(`adminAccountWithPhoneOf(person ${w})`, hasPeople, (r) => r.adminAccount(w))),
    fc
      .tuple(who, fc.nat({ max: 1 }))
      .map(([w, target]) => new Step(`adminMergesAccountsOf(person ${w}, target ${target})`, hasPeople, (r) => r.merge(w, target))),
    fc
      .tuple(who, fc.nat({ max: 1 }))
      .map(([w, target]) => new Step(`adminMergesAccountsOf(person ${w}, target ${target})`, hasPeople, (r) => r.merge(w, target))),
    fc.constant(new Step('adminUndoesLastMerge', always, (r) => r.undoLastMerge())),
    fc
      .tuple(who, fc.nat({ max: 1 }))
      .map(([w, target]) => new Step(`adminMergesThenUndoes(person ${w}, target ${target})`, hasPeople, (r) => r.mergeAndUndo(w, target))),
    fc
      .tuple(fc.nat({ max: 5 }), fc.boolean())
      .map(
        ([index, blocked]) => new Step(`admin${blocked ? 'Blocks' : 'Unblocks'}(account ${index})`, always, (r) => r.block(index, blocked)),
      ),
  ];
}

/** Sequences start with people so that logins have someone to act. */
export function sequence(maxCommands: number): fc.Arbitrary<Iterable<Command>> {
  return fc
    .tuple(fc.array(newPerson, { minLength: 1, maxLength: 2 }), fc.commands(commandArbitraries(), { maxCommands, size: 'max' }))
    .map(([people, rest]) => {
      const all: Command[] = [...people, ...rest];
      return { [Symbol.iterator]: () => all[Symbol.iterator](), toString: () => all.map(String).join(', ') };
    });
}

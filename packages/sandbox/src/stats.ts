/**
 * Call counts per WeChat endpoint per appid, so tests can prove what a client did not do
 * ("exactly one cgi-bin/token request", "the phone number was paid for once").
 */
export type CountTable = Record<string, Record<string, number>>;

/** Calls that cannot be tied to an app (unknown appid or token) are counted under this key. */
export const UNKNOWN_APP = '-';

export class CallStats {
  readonly #calls = new Map<string, Map<string, number>>();
  readonly #billable = new Map<string, Map<string, number>>();
  readonly #billableByPerson = new Map<string, Map<string, number>>();

  count(endpoint: string, appid: string | undefined): void {
    bump(this.#calls, endpoint, appid ?? UNKNOWN_APP);
  }

  /**
   * A successful call WeChat charges the app's owner for (getuserphonenumber), also counted per
   * person whose number it revealed, so a test can prove one person's number was bought once
   * across every app.
   */
  bill(endpoint: string, appid: string, personId: string): void {
    bump(this.#billable, endpoint, appid);
    bump(this.#billableByPerson, endpoint, personId);
  }

  snapshot(): { calls: CountTable; billable: CountTable; billableByPerson: CountTable } {
    return { calls: toTable(this.#calls), billable: toTable(this.#billable), billableByPerson: toTable(this.#billableByPerson) };
  }

  clear(): void {
    this.#calls.clear();
    this.#billable.clear();
    this.#billableByPerson.clear();
  }
}

function bump(table: Map<string, Map<string, number>>, endpoint: string, key: string): void {
  let row = table.get(endpoint);
  if (row === undefined) {
    row = new Map();
    table.set(endpoint, row);
  }
  row.set(key, (row.get(key) ?? 0) + 1);
}

function toTable(table: Map<string, Map<string, number>>): CountTable {
  const result: CountTable = {};
  for (const [endpoint, row] of table) result[endpoint] = Object.fromEntries(row);
  return result;
}

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

  count(endpoint: string, appid: string | undefined): void {
    bump(this.#calls, endpoint, appid ?? UNKNOWN_APP);
  }

  /** A successful call WeChat charges the app's owner for (getuserphonenumber). */
  bill(endpoint: string, appid: string): void {
    bump(this.#billable, endpoint, appid);
  }

  snapshot(): { calls: CountTable; billable: CountTable } {
    return { calls: toTable(this.#calls), billable: toTable(this.#billable) };
  }

  clear(): void {
    this.#calls.clear();
    this.#billable.clear();
  }
}

function bump(table: Map<string, Map<string, number>>, endpoint: string, appid: string): void {
  let row = table.get(endpoint);
  if (row === undefined) {
    row = new Map();
    table.set(endpoint, row);
  }
  row.set(appid, (row.get(appid) ?? 0) + 1);
}

function toTable(table: Map<string, Map<string, number>>): CountTable {
  const result: CountTable = {};
  for (const [endpoint, row] of table) result[endpoint] = Object.fromEntries(row);
  return result;
}

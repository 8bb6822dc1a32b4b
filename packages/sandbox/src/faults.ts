/**
 * Fault injection: make WeChat misbehave on purpose, for one app or for all.
 *
 * Error rates are deterministic rather than random: with `rate: 0.2`, exactly one call in five
 * fails (the 5th, 10th, …), so a test that injects faults gets the same run every time.
 */
import { WechatApiError } from './wechat-error.ts';

export interface FaultSettings {
  /** The errcode injected calls answer with (e.g. -1). */
  errcode?: number | undefined;
  /** Share of calls that fail with `errcode`, 0..1 (default 1 when `errcode` is set). */
  rate?: number | undefined;
  /** Fail only this many calls, then stop injecting `errcode`. */
  times?: number | undefined;
  /** Added before every answer. */
  latencyMs?: number | undefined;
  /** Every call answers 45009 (daily) or 45011 (per minute) while set. */
  quota?: 'daily' | 'minute' | undefined;
  /** jscode2session refuses these people with 40226. */
  highRiskPersonIds?: string[] | undefined;
}

interface ActiveFault {
  settings: FaultSettings;
  accumulated: number;
  injected: number;
}

const GLOBAL = '*';
const ACCESS_TOKEN_ERRCODES: ReadonlySet<number> = new Set([40001, 40014, 42001]);

export class FaultBook {
  readonly #faults = new Map<string, ActiveFault>();

  set(appid: string | undefined, settings: FaultSettings): void {
    this.#faults.set(appid ?? GLOBAL, { settings, accumulated: 0, injected: 0 });
  }

  /**
   * `appid`: that app's fault; `null`: only the every-app fault (named `appid: null` by `list()`),
   * leaving per-app faults and their counters alone; nothing: every fault.
   */
  clear(appid?: string | null): void {
    if (appid === undefined) this.#faults.clear();
    else this.#faults.delete(appid ?? GLOBAL);
  }

  list(): { appid: string | null; settings: FaultSettings; injected: number }[] {
    return [...this.#faults].map(([key, fault]) => ({
      appid: key === GLOBAL ? null : key,
      settings: fault.settings,
      injected: fault.injected,
    }));
  }

  #applicable(appid: string | undefined): ActiveFault[] {
    const found: ActiveFault[] = [];
    if (appid !== undefined) {
      const own = this.#faults.get(appid);
      if (own !== undefined) found.push(own);
    }
    const global = this.#faults.get(GLOBAL);
    if (global !== undefined) found.push(global);
    return found;
  }

  latencyFor(appid: string | undefined): number {
    return Math.max(0, ...this.#applicable(appid).map((fault) => fault.settings.latencyMs ?? 0));
  }

  /**
   * Throws the injected WeChat error for this call, if one is due. Access-token errcodes
   * (40001, 40014, 42001) are only injected into calls that carry an access_token: on
   * `cgi-bin/token` they would mean "wrong secret", which is not what a test injecting them wants.
   */
  injectFor(appid: string | undefined, takesAccessToken: boolean): void {
    for (const fault of this.#applicable(appid)) {
      const { quota, errcode, rate, times } = fault.settings;
      if (quota === 'daily') throw new WechatApiError('dailyQuota');
      if (quota === 'minute') throw new WechatApiError('minuteQuota');
      if (errcode === undefined || errcode === 0) continue;
      if (!takesAccessToken && ACCESS_TOKEN_ERRCODES.has(errcode)) continue;
      if (times !== undefined && fault.injected >= times) continue;
      fault.accumulated += rate ?? 1;
      if (fault.accumulated >= 1 - 1e-9) {
        fault.accumulated -= 1;
        fault.injected += 1;
        throw new WechatApiError([errcode, errmsgOrInjected(errcode)]);
      }
    }
  }

  isHighRisk(appid: string, personId: string): boolean {
    return this.#applicable(appid).some((fault) => fault.settings.highRiskPersonIds?.includes(personId) ?? false);
  }
}

function errmsgOrInjected(errcode: number): string {
  return errcode === -1 ? 'system error' : `sandbox injected errcode ${errcode}`;
}

/**
 * Where a browser may be sent after a login: the one check every entry point uses (the S1–S4
 * starts, the hosted login page, the error and pending pages' "start again" links, the redeem
 * answer). Rule: the value is parsed as a browser would, against the service's origin; the result
 * must be on that origin (or on one of `allowedOrigins`, none by default); what is returned is
 * the serialisation of what was parsed — never the raw string — and that serialisation is parsed
 * once more and must come back unchanged and on an allowed origin.
 *
 * Why parse rather than look at the string: browsers rewrite before they navigate. `/.//evil`,
 * `/..//evil`, `/%2e%2e//evil` and `/a/..//evil` all resolve to the path `//evil`, which a
 * browser reads as the host `evil`; `\` is `/` and tabs and newlines vanish. Looking at the raw
 * string and returning the normalised path is how such a value once slipped through.
 */
import { AppError } from '@weunion/errors';
import type { AppContext } from './context.ts';

export const MAX_RETURN_TO_LENGTH = 2000;

// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it finds
const REWRITTEN_BY_BROWSERS = /[\u0000-\u001f\u007f\\]/;

export interface ReturnToOptions {
  /** Other origins (`https://app.example`) a return-to may name in full; none by default. */
  allowedOrigins?: readonly string[];
}

function invalid(): AppError {
  return new AppError('validation_failed', 'returnTo: must be a path on this service (/…)');
}

function parse(value: string, base: URL): URL | null {
  try {
    return new URL(value, base);
  } catch {
    return null;
  }
}

/**
 * The form of `url` to hand a browser: a path (`/a?b#c`) when it is on the service's origin, the
 * full URL when it is on another allowed origin; null when it is neither.
 */
function serialise(url: URL, service: URL, allowedOrigins: ReadonlySet<string>): string | null {
  if (url.origin === service.origin) return `${url.pathname}${url.search}${url.hash}`;
  if (allowedOrigins.has(url.origin) && (url.protocol === 'https:' || url.protocol === 'http:')) return url.href;
  return null;
}

/**
 * The checked return-to: `/` when absent; throws a `validation_failed` AppError when `value` would
 * leave the service (or the allowed origins) in any browser.
 */
export function checkReturnTo(value: string | undefined, serviceUrl: string, options: ReturnToOptions = {}): string {
  if (value === undefined || value === '') return '/';
  // No honest link has these, and browsers rewrite them (`\` is `/`, tabs and newlines vanish):
  // refused outright rather than silently repaired.
  if (value.length > MAX_RETURN_TO_LENGTH || REWRITTEN_BY_BROWSERS.test(value)) throw invalid();
  const service = new URL(serviceUrl);
  const allowed = new Set((options.allowedOrigins ?? []).map((origin) => new URL(origin).origin));
  const parsed = parse(value, service);
  if (parsed === null || parsed.username !== '' || parsed.password !== '') throw invalid();
  const result = serialise(parsed, service, allowed);
  if (result === null) throw invalid();
  // The re-check: a browser given `result` must land exactly where we parsed. A path serialised
  // as `//evil` (from `/.//evil`) fails here, because read again it names another host.
  const again = parse(result, service);
  if (again === null || serialise(again, service, allowed) !== result) throw invalid();
  if (again.origin === service.origin && (!result.startsWith('/') || result.startsWith('//'))) throw invalid();
  return result;
}

/** `checkReturnTo` for places that fall back instead of refusing (links on error pages). */
export function returnToOrNull(value: string | undefined, serviceUrl: string, options: ReturnToOptions = {}): string | null {
  try {
    return checkReturnTo(value, serviceUrl, options);
  } catch {
    return null;
  }
}

/** `checkReturnTo` against the service's PUBLIC_URL: what every login entry point calls. */
export function safeReturnTo(ctx: Pick<AppContext, 'config'>, value: string | undefined, options: ReturnToOptions = {}): string {
  return checkReturnTo(value, ctx.config.publicUrl, options);
}

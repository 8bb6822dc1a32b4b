/**
 * Drives the WeChat sandbox (`@weunion/sandbox`) over its control API, as a test would a real
 * phone: create apps and people, consent, log in, inject faults, read call counts.
 */
import { randomUUID } from 'node:crypto';
import { startSandbox } from '@weunion/sandbox';
import type { SharedState } from '@weunion/state';
import { MemorySharedState } from '@weunion/state';
import { z } from 'zod';
import {
  createWechatClient,
  sandboxEndpoints,
  type WechatAppCredentials,
  type WechatClient,
  type WechatClientOptions,
} from '../src/index.ts';

const createdApp = z.looseObject({ appid: z.string(), secret: z.string() });
const createdThing = z.looseObject({ id: z.string() });
const redirectAnswer = z.looseObject({ redirect: z.string() });
const codeAnswer = z.looseObject({ code: z.string() });
const statsAnswer = z.looseObject({ calls: z.record(z.string(), z.record(z.string(), z.number())) });

export type SandboxAppType = 'official_account' | 'mini_program' | 'website' | 'mobile_app';

export interface Faults {
  appid?: string;
  errcode?: number;
  rate?: number;
  times?: number;
  latencyMs?: number;
  forceTokenExpiry?: boolean | 'expired' | 'invalid';
  quota?: 'daily' | 'minute';
  highRiskPersonIds?: string[];
}

export class SandboxHarness {
  readonly url: string;
  readonly #close: () => Promise<void>;

  private constructor(url: string, close: () => Promise<void>) {
    this.url = url.replace(/\/+$/, '');
    this.#close = close;
  }

  static async start(): Promise<SandboxHarness> {
    const sandbox = await startSandbox({ port: 0 });
    return new SandboxHarness(sandbox.url, () => sandbox.close());
  }

  close(): Promise<void> {
    return this.#close();
  }

  /** A client pointed at this sandbox, with its own in-process store unless one is given. */
  client(options: Partial<WechatClientOptions> & { state?: SharedState } = {}): WechatClient {
    return createWechatClient({
      timeoutMs: 5_000,
      retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
      ...options,
      state: options.state ?? new MemorySharedState(),
      endpoints: sandboxEndpoints(this.url),
    });
  }

  async control<S extends z.ZodType>(method: string, path: string, body: unknown, schema: S): Promise<z.output<S>> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`sandbox ${method} ${path} answered ${response.status}: ${text}`);
    return schema.parse(text === '' ? {} : JSON.parse(text));
  }

  async openPlatform(): Promise<string> {
    const created = await this.control('POST', '/_sandbox/open-platforms', { name: `op ${randomUUID()}` }, createdThing);
    return created.id;
  }

  async app(type: SandboxAppType, options: { openPlatformId?: string | null; pages?: string[] } = {}): Promise<WechatAppCredentials> {
    // Apps that redirect people may do so to the test's relying party only (WeChat's 授权回调域).
    const redirects = type === 'website' || type === 'official_account' ? { redirectDomains: ['id.example.com'] } : {};
    const created = await this.control('POST', '/_sandbox/apps', { type, ...redirects, ...options }, createdApp);
    return { appid: created.appid, secret: created.secret };
  }

  async person(options: { snapshot?: boolean; phone?: string } = {}): Promise<string> {
    const created = await this.control('POST', '/_sandbox/people', { name: `p${randomUUID().slice(0, 8)}`, ...options }, createdThing);
    return created.id;
  }

  /** The person opens `url` (a qrconnect/authorize URL) and decides; returns code and state from the redirect. */
  async authorize(
    personId: string,
    url: string,
    decision: 'allow' | 'deny' = 'allow',
  ): Promise<{ code: string | null; state: string | null }> {
    const answer = await this.control('POST', '/_sandbox/actions/authorize', { personId, url, decision }, redirectAnswer);
    const redirect = new URL(answer.redirect);
    return { code: redirect.searchParams.get('code'), state: redirect.searchParams.get('state') };
  }

  async authorizedCode(personId: string, url: string): Promise<string> {
    const { code } = await this.authorize(personId, url);
    if (code === null) throw new Error('the sandbox redirect carried no code');
    return code;
  }

  async jsLogin(personId: string, appid: string): Promise<string> {
    return (await this.control('POST', '/_sandbox/actions/js-login', { personId, appid }, codeAnswer)).code;
  }

  async phoneCode(personId: string, appid: string): Promise<string> {
    return (await this.control('POST', '/_sandbox/actions/phone-code', { personId, appid }, codeAnswer)).code;
  }

  async appLogin(personId: string, appid: string): Promise<string> {
    return (await this.control('POST', '/_sandbox/actions/app-login', { personId, appid }, codeAnswer)).code;
  }

  async faults(faults: Faults): Promise<void> {
    await this.control('PUT', '/_sandbox/faults', faults, z.unknown());
  }

  async clearFaults(): Promise<void> {
    await this.control('DELETE', '/_sandbox/faults', undefined, z.unknown());
  }

  /** How many times `endpoint` (e.g. `cgi-bin/token`) was called for `appid`. */
  async calls(endpoint: string, appid: string): Promise<number> {
    const stats = await this.control('GET', '/_sandbox/stats', undefined, statsAnswer);
    const row = stats.calls[endpoint] ?? stats.calls[`/${endpoint}`] ?? {};
    return row[appid] ?? 0;
  }
}

/** Catches the AppError a promise rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string; details: unknown }> {
  try {
    await promise;
  } catch (error) {
    const parsed = z.looseObject({ code: z.string(), message: z.string(), details: z.unknown() }).safeParse(error);
    if (parsed.success) return parsed.data;
    throw error;
  }
  throw new Error('expected the call to fail');
}

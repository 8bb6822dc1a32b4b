/**
 * Links that open a mini program from outside WeChat or from another page: URL Scheme
 * (`wxa/generatescheme` → `weixin://dl/business/?t=…`) and URL Link (`wxa/generate_urllink` →
 * `https://wxaurl.cn/…`).
 *
 * Quirks handled here:
 * - `generatescheme` nests the target in `jump_wxa`; `generate_urllink` takes the same fields flat.
 * - `path` is a released page without query (a leading `/`, which WeChat tolerates, is dropped); `query` (at most 1024 characters of
 *   `[0-9A-Za-z!#$&'()*+,/:;=?@-._~%]`, so values must be percent-encoded) reaches the page as
 *   `options.query`. Both are checked here before WeChat says 40165 / 40212.
 * - No link is permanent any more: each expires within 30 days; here always by `expire_interval`
 *   days (`expire_type: 1`), which cannot fail on clock skew the way an absolute `expire_time` can
 *   (85401 "time limit between 1min and …").
 * - Success is `{errcode: 0, errmsg: "ok", openlink | url_link}`.
 */
import { AppError } from '@weunion/errors';
import { z } from 'zod';
import { type AccessTokenCache, type WechatAppCredentials, withAccessToken } from './tokens.ts';
import type { CallOptions, WechatTransport } from './transport.ts';

const SCHEME_PATH = 'wxa/generatescheme';
const URL_LINK_PATH = 'wxa/generate_urllink';

const QUERY_PATTERN = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~%]{0,1024}$/;

const schemeAnswer = z.looseObject({ openlink: z.string().startsWith('weixin://') });
const urlLinkAnswer = z.looseObject({ url_link: z.url({ protocol: /^https?$/ }) });

export interface MiniProgramLinkInput {
  /** A released page, e.g. `pages/login/login`, without query. Default: the home page. */
  path?: string;
  /** Reaches the page as `options.query`; at most 1024 characters, values percent-encoded. */
  query?: string;
  /** Which version opens (only outside WeChat). Default release. */
  envVersion?: 'release' | 'trial' | 'develop';
  /** Days until the link stops working, 1–30. Default 30. */
  expireIntervalDays?: number;
}

export interface MiniProgramLinks {
  /** A URL Scheme (`weixin://dl/business/?t=…`) opening `path` with `query`. */
  generateScheme(app: WechatAppCredentials, input: MiniProgramLinkInput, options?: CallOptions): Promise<string>;
  /** A URL Link (`https://wxaurl.cn/…`) opening `path` with `query`. */
  generateUrlLink(app: WechatAppCredentials, input: MiniProgramLinkInput, options?: CallOptions): Promise<string>;
}

function linkFields(input: MiniProgramLinkInput): { target: Record<string, unknown>; expiry: Record<string, unknown> } {
  const invalid = (field: string, message: string) => new AppError('validation_failed', message, { details: { field } });
  if (input.path?.includes('?')) throw invalid('path', 'path must be a page such as pages/login/login, without a query (put it in query)');
  if (input.query !== undefined && !QUERY_PATTERN.test(input.query))
    throw invalid('query', "query must be at most 1024 characters of [0-9A-Za-z!#$&'()*+,/:;=?@-._~%] (percent-encode the values)");
  const days = input.expireIntervalDays ?? 30;
  if (!Number.isInteger(days) || days < 1 || days > 30) throw invalid('expireIntervalDays', 'expireIntervalDays must be 1 to 30');
  const target: Record<string, unknown> = {};
  if (input.path !== undefined) target.path = input.path.replace(/^\/+/, '');
  if (input.query !== undefined) target.query = input.query;
  if (input.envVersion !== undefined) target.env_version = input.envVersion;
  return { target, expiry: { expire_type: 1, expire_interval: days } };
}

export function createMiniProgramLinks(context: { transport: WechatTransport; tokens: AccessTokenCache }): MiniProgramLinks {
  const { transport, tokens } = context;
  return {
    async generateScheme(app, input, options = {}) {
      const { target, expiry } = linkFields(input);
      const answer = await withAccessToken(
        tokens,
        app,
        (accessToken) =>
          transport.json(
            {
              endpoint: SCHEME_PATH,
              query: [['access_token', accessToken]],
              body: { jump_wxa: target, ...expiry },
              secrets: [accessToken],
              signal: options.signal,
            },
            schemeAnswer,
          ),
        options.signal,
      );
      return answer.openlink;
    },

    async generateUrlLink(app, input, options = {}) {
      const { target, expiry } = linkFields(input);
      const answer = await withAccessToken(
        tokens,
        app,
        (accessToken) =>
          transport.json(
            {
              endpoint: URL_LINK_PATH,
              query: [['access_token', accessToken]],
              body: { ...target, ...expiry },
              secrets: [accessToken],
              signal: options.signal,
            },
            urlLinkAnswer,
          ),
        options.signal,
      );
      return answer.url_link;
    },
  };
}

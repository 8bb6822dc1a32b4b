/**
 * Where WeChat lives. Each base URL comes from configuration so the client can point at the
 * sandbox, which serves all three hosts' paths on one URL.
 */
export interface WechatEndpoints {
  /** Server APIs (`api.weixin.qq.com`). */
  api: string;
  /** Browser authorize pages (`open.weixin.qq.com`). */
  open: string;
  /** QR images (`mp.weixin.qq.com`). */
  mp: string;
}

export const WECHAT_ENDPOINTS: Readonly<WechatEndpoints> = Object.freeze({
  api: 'https://api.weixin.qq.com',
  open: 'https://open.weixin.qq.com',
  mp: 'https://mp.weixin.qq.com',
});

/** Real WeChat for every host not given; trailing slashes removed. */
export function resolveEndpoints(overrides: Partial<WechatEndpoints> = {}): WechatEndpoints {
  const base = (value: string | undefined, fallback: string): string => {
    const url = new URL(value ?? fallback);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`not an http(s) URL: ${url.protocol}`);
    return url.href.replace(/\/+$/, '');
  };
  return {
    api: base(overrides.api, WECHAT_ENDPOINTS.api),
    open: base(overrides.open, WECHAT_ENDPOINTS.open),
    mp: base(overrides.mp, WECHAT_ENDPOINTS.mp),
  };
}

/** The same base URL for all three hosts, as the sandbox serves them. */
export function sandboxEndpoints(url: string): WechatEndpoints {
  return resolveEndpoints({ api: url, open: url, mp: url });
}

/** `base` + `/path` + query, with values percent-encoded in the order given. */
export function endpointUrl(base: string, path: string, query: ReadonlyArray<readonly [string, string]> = []): string {
  const search = query.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&');
  return `${base}/${path}${search === '' ? '' : `?${search}`}`;
}

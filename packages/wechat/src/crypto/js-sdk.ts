/**
 * The JS-SDK `wx.config` signature (JS-SDK 说明文档, 附录1 "JS-SDK使用权限签名算法").
 *
 * `signature = sha1("jsapi_ticket=T&noncestr=N&timestamp=TS&url=URL")`: the four fields sorted by
 * name (which is this fixed order), raw values, no URL-encoding. `url` is the page's full URL
 * without the `#` fragment, exactly as the browser shows it (query included).
 */
import { createHash } from 'node:crypto';

export interface JsSdkSignatureInput {
  /** The jsapi_ticket (cgi-bin/ticket/getticket?type=jsapi). */
  ticket: string;
  nonceStr: string;
  /** Unix seconds, as a number or its decimal text. */
  timestamp: number | string;
  /** The page URL; anything from `#` on is dropped, as WeChat does. */
  url: string;
}

/** The URL a signature covers: the page URL without its fragment. */
export function jsSdkSignedUrl(url: string): string {
  const hash = url.indexOf('#');
  return hash === -1 ? url : url.slice(0, hash);
}

/** The `signature` of `wx.config`, lowercase hex. */
export function jsSdkSignature(input: JsSdkSignatureInput): string {
  const text = `jsapi_ticket=${input.ticket}&noncestr=${input.nonceStr}&timestamp=${input.timestamp}&url=${jsSdkSignedUrl(input.url)}`;
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

/**
 * Alibaba Cloud RPC signature, version 1.0 with HMAC-SHA1 (the "POP" signature of dysmsapi and the
 * other RPC products): sort every parameter but `Signature` by name, percent-encode names and values
 * per RFC 3986 (space `%20`, `*` `%2A`, `~` kept), join as a query, then
 * `StringToSign = METHOD & %2F & percentEncode(query)` and
 * `Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))`.
 */
import { createHmac } from 'node:crypto';

export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function canonicalQuery(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((name) => name !== 'Signature')
    .sort()
    .map((name) => `${percentEncode(name)}=${percentEncode(params[name] ?? '')}`)
    .join('&');
}

export function aliyunStringToSign(method: 'GET' | 'POST', params: Record<string, string>): string {
  return `${method}&${percentEncode('/')}&${percentEncode(canonicalQuery(params))}`;
}

export function aliyunSign(method: 'GET' | 'POST', params: Record<string, string>, accessKeySecret: string): string {
  return createHmac('sha1', `${accessKeySecret}&`).update(aliyunStringToSign(method, params), 'utf8').digest('base64');
}

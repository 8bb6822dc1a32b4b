/**
 * TRUST_PROXY as Fastify takes it. A list of proxy addresses goes to proxy-addr unchanged: an
 * X-Forwarded-For entry is believed only when the hop that added it is one of them. A hop count
 * becomes "the nearest N hops are proxies" — Fastify 5 deliberately treats a bare number as
 * "trust nothing", since a client that reaches the instance directly can then pose as the last
 * proxy; the README says so and prefers addresses.
 */
import type { Config } from '../config/index.ts';

export type FastifyTrustProxy = false | string[] | ((address: string, hop: number) => boolean);

export function fastifyTrustProxy(setting: Config['trustProxy']): FastifyTrustProxy {
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return setting;
}

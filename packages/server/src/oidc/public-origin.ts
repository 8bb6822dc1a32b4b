/**
 * oidc-provider makes every absolute URL it answers with (discovery's endpoints, `jwks_uri`, the
 * resume and logout-form targets) from the request's host and scheme, read from X-Forwarded-*
 * (its `proxy` setting is on). Before a request reaches it, those headers are set to PUBLIC_URL's
 * host and scheme, whatever the request said: a forged `Host` or `X-Forwarded-Host` must not put
 * another server's token endpoint into the discovery document (where a client sends its secret
 * and codes), and a proxy that does not pass the host on must not leak an internal address. The
 * client address becomes the one weunion settled on (TRUST_PROXY-aware).
 */
import type { FastifyRequest } from 'fastify';

export function publicOrigin(publicUrl: string): (request: FastifyRequest) => void {
  const { host, protocol } = new URL(publicUrl);
  const scheme = protocol.replace(/:$/, '');
  return (request) => {
    const headers = request.raw.headers;
    headers.host = host;
    headers['x-forwarded-host'] = host;
    headers['x-forwarded-proto'] = scheme;
    headers['x-forwarded-for'] = request.ip;
  };
}

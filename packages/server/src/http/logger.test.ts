import Fastify from 'fastify';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyChildLogger, loggerOptions, redactedUrl } from './logger.ts';

function capture(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const parent = pino(loggerOptions(level), { write: (line: string) => lines.push(JSON.parse(line)) });
  return { parent, lines };
}

describe('request loggers made on first use', () => {
  it('writes nothing and makes no child while the request logs below the level', () => {
    const { parent, lines } = capture('warn');
    let children = 0;
    const counting = Object.assign(Object.create(parent), {
      child: (...args: Parameters<typeof parent.child>) => {
        children++;
        return parent.child(...args);
      },
    });
    const log = lazyChildLogger(counting, { reqId: 'r-1' }, {});
    log.info({ req: { url: '/auth' } }, 'incoming request');
    log.debug('details');
    expect(lines).toEqual([]);
    expect(children).toBe(0);
    log.warn({ user: { secret: 'hunter2' } }, 'slow');
    log.error('again');
    expect(children).toBe(1);
    expect(lines).toMatchObject([
      { level: 40, reqId: 'r-1', msg: 'slow', user: { secret: '[redacted]' } },
      { level: 50, reqId: 'r-1', msg: 'again' },
    ]);
  });

  it('follows the level, keeps child bindings and honours per-route options', () => {
    const { parent, lines } = capture('info');
    const log = lazyChildLogger(parent, { reqId: 'r-2' }, {});
    expect(log.level).toBe('info');
    log.info('hello');
    log.child({ scope: 'inner' }).info('nested');
    log.level = 'error';
    log.warn('dropped');
    const quiet = lazyChildLogger(parent, { reqId: 'r-3' }, { level: 'fatal' });
    quiet.error('dropped too');
    expect(lines).toMatchObject([
      { reqId: 'r-2', msg: 'hello' },
      { reqId: 'r-2', scope: 'inner', msg: 'nested' },
    ]);
    expect(lines).toHaveLength(2);
  });
});

describe('request URLs in the log', () => {
  it('keep the path and the query names, never the values (OAuth codes, AppSecrets, tokens)', async () => {
    const lines: string[] = [];
    const app = Fastify({ loggerInstance: pino(loggerOptions('info'), { write: (line: string) => lines.push(line) }) });
    app.get('/sns/oauth2/access_token', async () => ({ ok: true }));
    const url = '/sns/oauth2/access_token?appid=wx1&secret=s3cr3t-value&code=c0de-value&grant_type=authorization_code';
    expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
    await app.close();
    const incoming = lines.map((line) => JSON.parse(line)).find((line) => line.msg === 'incoming request');
    expect(incoming?.req).toMatchObject({
      method: 'GET',
      url: '/sns/oauth2/access_token?appid=[redacted]&secret=[redacted]&code=[redacted]&grant_type=[redacted]',
    });
    expect(lines.join('\n')).not.toMatch(/s3cr3t-value|c0de-value/);
  });

  it('leave a URL without a query as it is', () => {
    expect(redactedUrl('/login/s2')).toBe('/login/s2');
    expect(redactedUrl('/a?b')).toBe('/a?b=[redacted]');
  });
});

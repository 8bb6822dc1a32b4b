/**
 * Floor for the S5 benchmark: a minimal Fastify handler with the same outputs as weunion's
 * `POST /api/mp/login` — jscode2session at the WeChat sandbox, one indexed SQLite upsert of the
 * person (openid, unionid, the sealed session_key, the refresh token's hash), two ES256 JWTs (access
 * and ID token) and an opaque refresh token. No policy, no identity rules, no audit: what is left
 * when everything weunion decides is taken away. bench/run.ts starts it and reads its CPU time.
 *
 *   node bench/floor-s5.ts --port 4200 --sandbox http://127.0.0.1:4000 --appid wx… --secret … --db /tmp/floor.db
 */
import { createCipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import Fastify from 'fastify';
import { generateKeyPair, SignJWT } from 'jose';
import { z } from 'zod';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    sandbox: { type: 'string' },
    appid: { type: 'string' },
    secret: { type: 'string' },
    db: { type: 'string' },
  },
});
const issuer = `http://127.0.0.1:${values.port}`;
const { privateKey } = await generateKeyPair('ES256');
const masterKey = randomBytes(32);

const db = new SQLite(values.db ?? ':memory:');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`create table if not exists people (
  id text primary key, appid text not null, openid text not null, unionid text,
  session_key_sealed text not null, refresh_token_hash text not null, last_login_at integer not null,
  unique (appid, openid))`);
const upsert = db.prepare(`insert into people (id, appid, openid, unionid, session_key_sealed, refresh_token_hash, last_login_at)
  values (?, ?, ?, ?, ?, ?, ?)
  on conflict (appid, openid) do update set unionid = excluded.unionid, session_key_sealed = excluded.session_key_sealed,
    refresh_token_hash = excluded.refresh_token_hash, last_login_at = excluded.last_login_at
  returning id`);

function seal(plaintext: string, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

const bodySchema = z.object({ appid: z.string(), code: z.string() });
const sessionSchema = z.object({ openid: z.string(), session_key: z.string(), unionid: z.string().optional() });

const app = Fastify();
app.post('/api/mp/login', async (request, reply) => {
  const body = bodySchema.parse(request.body);
  const url = new URL('/sns/jscode2session', values.sandbox);
  url.search = new URLSearchParams({
    appid: body.appid,
    secret: values.secret ?? '',
    js_code: body.code,
    grant_type: 'authorization_code',
  }).toString();
  const session = sessionSchema.parse(await (await fetch(url)).json());
  const refreshToken = randomBytes(32).toString('base64url');
  const { id: userId } = z
    .object({ id: z.string() })
    .parse(
      upsert.get(
        `u_${randomUUID()}`,
        body.appid,
        session.openid,
        session.unionid ?? null,
        seal(session.session_key, `${body.appid}:${session.openid}`),
        createHash('sha256').update(refreshToken).digest('base64url'),
        Date.now(),
      ),
    );
  const now = Math.floor(Date.now() / 1000);
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'floor' })
      .setIssuer(issuer)
      .setSubject(userId)
      .setAudience(body.appid)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(privateKey);
  const [accessToken, idToken] = await Promise.all([
    sign({ scope: 'openid', client_id: body.appid }),
    sign({ amr: ['s5'], auth_time: now }),
  ]);
  reply.header('cache-control', 'no-store');
  return {
    outcome: 'signed_in',
    userId,
    tokens: {
      token_type: 'Bearer',
      access_token: accessToken,
      id_token: idToken,
      refresh_token: refreshToken,
      expires_in: 3600,
      scope: 'openid',
    },
    phoneSource: 'none',
  };
});
await app.listen({ port: Number(values.port), host: '127.0.0.1' });

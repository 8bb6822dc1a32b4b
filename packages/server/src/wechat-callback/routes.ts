/**
 * The URL WeChat pushes an app's messages and events to: `/wechat/callback/:appid` (WeChat docs:
 * 接入概述 developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html,
 * 消息加解密 …/Message_Management/Message_encryption_and_decryption_instructions.html).
 *
 * Quirks handled here:
 * - `GET` is WeChat's URL check: answer `echostr` as is when the signature matches.
 * - Plain mode signs only `token, timestamp, nonce`, not the body. So a signed query is accepted
 *   once per body (its nonce is remembered with the body's hash: the same request again is a retry,
 *   the same signature with another body a forgery), and only while its timestamp is recent.
 * - Safe mode (`encrypt_type=aes`) adds `msg_signature` over the `Encrypt` payload, which is
 *   decrypted with the connection's EncodingAESKey and must name this appid. A connection with an
 *   EncodingAESKey takes safe-mode pushes only (WeChat's safe and compatible modes both encrypt):
 *   otherwise a man in the middle could strip the encryption and sign in anyone by openid.
 * - The URL check's signed query is remembered like a push's (and must be as recent), so it
 *   cannot be replayed as a push.
 * - WeChat waits 5 seconds and then retries (3 tries in all, same `CreateTime`): answer `success`
 *   at once and do the slow work (WeChat calls, sign-in) after answering; a retry of an event already
 *   taken (`FromUserName + CreateTime` plus the event, messages `MsgId`, kept in shared state so
 *   any instance knows) is answered `success` and dropped.
 * - Anything not a login event (messages, plain follows, menu clicks) is answered `success` and
 *   ignored: an empty answer tells WeChat there is no reply to show the person.
 * - Forged or unsigned pushes are refused (401) and logged; a flood of them from one address is
 *   cut off by a rate limit before the signature work.
 */
import { createHash } from 'node:crypto';
import { AppError } from '@weunion/errors';
import { decryptMessage, parseXml, verifyCallbackSignature, verifyMessageSignature } from '@weunion/wechat';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Connection, findConnectionByAppid } from '../connections/store.ts';
import { parseInput } from '../http/problem.ts';
import { RateLimiter } from '../http/rate-limit.ts';
import { clientIp } from '../login/browser.ts';
import { CALLBACK_FORGED_PER_IP, CALLBACK_PER_APPID } from '../login/rate-rules.ts';
import { loginSceneOf, signInFromFollowEvent } from '../scenarios/s1-follow-official-account.ts';

/** How far a push's timestamp may be from our clock; also how long retries are recognised. */
const FRESHNESS_MS = 5 * 60_000;
const REMEMBER_MS = 2 * FRESHNESS_MS;

const paramsSchema = z.object({ appid: z.string().regex(/^wx[0-9a-zA-Z]{6,30}$/) });
const signedQuery = {
  signature: z.string().regex(/^[0-9a-fA-F]{40}$/),
  timestamp: z.string().regex(/^\d{1,12}$/),
  nonce: z.string().min(1).max(64),
};
const checkQuerySchema = z.object({ ...signedQuery, echostr: z.string().min(1).max(512) });
const pushQuerySchema = z.object({
  ...signedQuery,
  openid: z.string().max(128).optional(),
  encrypt_type: z.enum(['aes', 'raw']).optional(),
  msg_signature: z
    .string()
    .regex(/^[0-9a-fA-F]{40}$/)
    .optional(),
});
const envelopeSchema = z.looseObject({ Encrypt: z.string().min(1) });
const pushSchema = z.looseObject({
  ToUserName: z.string(),
  FromUserName: z.string().min(1).max(128),
  CreateTime: z.string().regex(/^\d{1,12}$/),
  MsgType: z.string(),
  Event: z.string().optional(),
  EventKey: z.string().optional(),
  MsgId: z.string().optional(),
});
type Push = z.output<typeof pushSchema>;

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

export function registerWechatCallback(app: FastifyInstance): void {
  const ctx = app.ctx;
  const limiter = new RateLimiter(ctx.state);
  const background = new Set<Promise<void>>();
  // Work started after answering WeChat finishes before the instance closes.
  app.addHook('onClose', async () => {
    await Promise.allSettled([...background]);
  });

  // Pushes are read as the text that was signed: XML, or JSON for a mini program set to that format.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    ['text/xml', 'application/xml', 'text/plain', 'application/json'],
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_request, body, done) => done(null, body),
  );

  /** Refuses (and logs) a push that fails its checks; repeated failures from one address hit a limit. */
  const refuse = async (request: FastifyRequest, appid: string, reason: string): Promise<never> => {
    request.log.warn({ appid, ip: clientIp(request), reason }, 'WeChat callback refused');
    await limiter.consume(CALLBACK_FORGED_PER_IP, clientIp(request));
    throw new AppError('wechat_signature_invalid', `WeChat callback refused: ${reason}`);
  };

  const connectionFor = async (request: FastifyRequest): Promise<Connection> => {
    const { appid } = parseInput(paramsSchema, request.params);
    const connection = await findConnectionByAppid(ctx.database.db, ctx.secrets, appid);
    if (connection === null || connection.token === null) {
      request.log.warn({ appid, ip: clientIp(request) }, 'WeChat callback for an app without a connection or token');
      throw new AppError('not_found', 'No app with a message token here');
    }
    return connection;
  };

  /**
   * Takes a signed query once: the first use records it with `what` it signed (a push's body, or
   * the URL check's echostr). The same request again is a `retry`; the same signature for
   * anything else is refused, so the signature of a URL check cannot carry a forged push either.
   */
  const takeSignedQuery = async (
    request: FastifyRequest,
    appid: string,
    query: { signature: string; timestamp: string; nonce: string },
    what: string,
  ): Promise<'new' | 'retry'> => {
    if (Math.abs(Number(query.timestamp) * 1000 - Date.now()) > FRESHNESS_MS) return refuse(request, appid, 'stale timestamp');
    const nonceKey = `wechat:callback-nonce:${appid}:${query.timestamp}:${query.nonce}:${query.signature.toLowerCase()}`;
    if (await ctx.state.set(nonceKey, sha256(what), { ttlMs: REMEMBER_MS, ifAbsent: true })) return 'new';
    if ((await ctx.state.get(nonceKey)) !== sha256(what)) return refuse(request, appid, 'signature replayed with another body');
    return 'retry';
  };

  app.get('/wechat/callback/:appid', async (request, reply) => {
    const connection = await connectionFor(request);
    const query = parseInput(checkQuerySchema, request.query);
    if (!verifyCallbackSignature({ token: connection.token ?? '', ...query })) await refuse(request, connection.appid, 'bad signature');
    await takeSignedQuery(request, connection.appid, query, `GET ${query.echostr}`);
    return reply.type('text/plain; charset=utf-8').send(query.echostr);
  });

  app.post('/wechat/callback/:appid', async (request, reply) => {
    const connection = await connectionFor(request);
    const query = parseInput(pushQuerySchema, request.query);
    const body = typeof request.body === 'string' ? request.body : '';
    const token = connection.token ?? '';
    if (!verifyCallbackSignature({ token, ...query })) return refuse(request, connection.appid, 'bad signature');
    // The signature does not cover a plain body: one signed query, one body.
    if ((await takeSignedQuery(request, connection.appid, query, body)) === 'retry') return answerSuccess(reply);

    let push: Push;
    try {
      push = pushSchema.parse(readPush(connection, query, body));
    } catch (error) {
      return refuse(request, connection.appid, error instanceof AppError ? error.message : 'the push is not readable');
    }
    // WeChat's key is FromUserName + CreateTime; the event and its key are added so that two
    // different events of one person within a second (a follow, then a scan) are not one.
    const eventId = push.MsgId ?? `${push.FromUserName}:${push.CreateTime}:${push.Event ?? ''}:${push.EventKey ?? ''}`;
    const dedupeKey = `wechat:callback-seen:${connection.appid}:${sha256(eventId)}`;
    if (!(await ctx.state.set(dedupeKey, '1', { ttlMs: REMEMBER_MS, ifAbsent: true }))) {
      request.log.info({ appid: connection.appid }, 'WeChat retry of a push already taken');
      return answerSuccess(reply);
    }
    answerSuccess(reply);
    const work = handlePush(app, limiter, connection, push).catch((error: unknown) => {
      request.log.error({ err: error, appid: connection.appid }, 'handling a WeChat push failed');
    });
    background.add(work);
    void work.finally(() => background.delete(work));
    return reply;
  });
}

function answerSuccess(reply: FastifyReply): FastifyReply {
  return reply.type('text/plain; charset=utf-8').send('success');
}

/** The push's fields: from the body in plain mode, from the checked and decrypted `Encrypt` in safe mode. */
/**
 * A push's fields, from XML — or from JSON, the data format a mini program can choose instead
 * (消息推送: 数据格式 JSON; the same fields, `Encrypt` in safe mode). Values are kept as text.
 */
function parsePushText(text: string): Record<string, string> {
  if (!/^\s*\{/.test(text)) return parseXml(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError('bad_request', 'The WeChat JSON is not valid');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new AppError('bad_request', 'The WeChat JSON is not an object');
  const fields: Record<string, string> = {};
  for (const [name, field] of Object.entries(value)) {
    if (typeof field === 'string' || typeof field === 'number')
      Object.defineProperty(fields, name, { value: String(field), enumerable: true });
  }
  return fields;
}

function readPush(connection: Connection, query: z.output<typeof pushQuerySchema>, body: string): Record<string, string> {
  const outer = parsePushText(body);
  if (query.encrypt_type !== 'aes') {
    // A connection given an EncodingAESKey is in safe (or compatible) mode, where WeChat encrypts
    // and signs every push: a plain one, whose signature does not cover its body, is a downgrade.
    if (connection.encodingAesKey !== null) {
      throw new AppError(
        'wechat_signature_invalid',
        'WeChat callback refused: a plain push for an app in safe mode (it has an EncodingAESKey)',
      );
    }
    return outer;
  }
  const envelope = envelopeSchema.safeParse(outer);
  if (!envelope.success || query.msg_signature === undefined || connection.encodingAesKey === null) {
    throw new AppError('wechat_signature_invalid', 'WeChat callback refused: a safe-mode push without Encrypt, msg_signature or key');
  }
  const signed = verifyMessageSignature({
    token: connection.token ?? '',
    timestamp: query.timestamp,
    nonce: query.nonce,
    encrypt: envelope.data.Encrypt,
    msgSignature: query.msg_signature,
  });
  if (!signed) throw new AppError('wechat_signature_invalid', 'WeChat callback refused: bad msg_signature');
  return parsePushText(
    decryptMessage({ encodingAesKey: connection.encodingAesKey, appid: connection.appid, encrypted: envelope.data.Encrypt }),
  );
}

/** After answering: the login QR events of official accounts; everything else is ignored. */
async function handlePush(app: FastifyInstance, limiter: RateLimiter, connection: Connection, push: Push): Promise<void> {
  if (connection.appType !== 'official_account' || push.MsgType !== 'event') return;
  const scene = loginSceneOf(push.Event ?? '', push.EventKey ?? '');
  if (scene === null) return;
  await limiter.consume(CALLBACK_PER_APPID, connection.appid);
  const taken = await signInFromFollowEvent(app, connection, { scene, openid: push.FromUserName });
  if (!taken) app.log.info({ appid: connection.appid, event: push.Event }, 'login QR event for no live ticket of this account');
}

/**
 * The control API (`/_sandbox/…`): build the virtual world and act as a person on a phone.
 * JSON in, JSON out; errors are RFC 9457 problem documents. Documented in the package README.
 */
import { AppError } from '@weunion/errors';
import { WECHAT_APP_TYPES } from '@weunion/wechat';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { revokeAppTokens } from '../app-tokens.ts';
import type { SandboxContext } from '../context.ts';
import { checkWxConfig } from '../js-sdk.ts';
import { encryptedPhone, jsLogin, phoneCode } from '../mini-program.ts';
import { linkCodeOf, openMiniProgramLink } from '../mini-program-links.ts';
import { pushMiniProgramMessage } from '../mini-program-push.ts';
import { scanParametricQr, setFollowing } from '../official-account.ts';
import { decodeQrPng } from '../qr-image.ts';
import { appLogin, decideOAuth2, decideQrconnect, decideWebsiteLogin, parseAuthorizeUrl, scanQrconnect } from '../web-authorize.ts';
import type { Person, SandboxApp } from '../world.ts';
import { parseControl } from './input.ts';

const appTypeSchema = z.enum(WECHAT_APP_TYPES);
const encodingAesKeySchema = z.string().regex(/^[A-Za-z0-9+/]{43}$/, 'must be 43 characters of base64');
const urlSchema = z.url({ protocol: /^https?$/ });

const newAppSchema = z.strictObject({
  type: appTypeSchema,
  name: z.string().min(1).max(100).optional(),
  appid: z
    .string()
    .regex(/^wx[0-9a-f]{16}$/, 'must look like wx + 16 hex digits')
    .optional(),
  secret: z
    .string()
    .regex(/^[0-9a-zA-Z]{32}$/, 'must be 32 letters or digits')
    .optional(),
  openPlatformId: z.string().nullable().optional(),
  callbackUrl: urlSchema.nullable().optional(),
  token: z
    .string()
    .regex(/^[A-Za-z0-9]{3,32}$/, 'must be 3–32 letters or digits')
    .optional(),
  encodingAesKey: encodingAesKeySchema.optional(),
  safeMode: z.boolean().optional(),
  dataFormat: z.enum(['xml', 'json']).optional(),
  originalId: z
    .string()
    .regex(/^gh_[0-9a-f]{12}$/, 'must look like gh_ + 12 hex digits')
    .optional(),
  pages: z.array(z.string().min(1)).optional(),
  redirectDomains: z.array(z.string().min(1)).optional(),
});

const patchAppSchema = z.strictObject({
  name: z.string().min(1).max(100).optional(),
  callbackUrl: urlSchema.nullable().optional(),
  token: z
    .string()
    .regex(/^[A-Za-z0-9]{3,32}$/)
    .optional(),
  encodingAesKey: encodingAesKeySchema.optional(),
  safeMode: z.boolean().optional(),
  dataFormat: z.enum(['xml', 'json']).optional(),
  pages: z.array(z.string().min(1)).optional(),
  redirectDomains: z.array(z.string().min(1)).optional(),
});

const phoneSchema = z.string().regex(/^\+[1-9][0-9]{6,14}$/, 'must be E.164, e.g. +8613800000001');

const newPersonSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  name: z.string().min(1).max(64).optional(),
  nickname: z.string().min(1).max(64).optional(),
  phone: phoneSchema.nullable().optional(),
  avatarUrl: urlSchema.nullable().optional(),
  snapshot: z.boolean().optional(),
});

const patchPersonSchema = newPersonSchema.omit({ id: true });

const personApp = z.object({ personId: z.string(), appid: z.string() });

const faultSchema = z.strictObject({
  appid: z.string().optional(),
  errcode: z.number().int().optional(),
  rate: z.number().min(0).max(1).optional(),
  times: z.number().int().min(1).optional(),
  latencyMs: z.number().int().min(0).max(60_000).optional(),
  forceTokenExpiry: z.union([z.boolean(), z.enum(['expired', 'invalid'])]).optional(),
  quota: z.enum(['daily', 'minute']).optional(),
  highRiskPersonIds: z.array(z.string()).optional(),
});

const idParam = z.object({ id: z.string() });
const appidParam = z.object({ appid: z.string() });

function publicApp(app: SandboxApp): SandboxApp {
  return { ...app, pages: [...app.pages], redirectDomains: [...app.redirectDomains] };
}

function publicPerson(person: Person): Person {
  return { ...person };
}

/** Classifies what a QR code means to WeChat, by the path of its content (any host). */
function classifyQrContent(
  content: string,
): { kind: 'oa'; code: string } | { kind: 'mp'; url: URL } | { kind: 'login'; uuid: string } | null {
  let url: URL;
  try {
    url = new URL(content);
  } catch {
    return null;
  }
  const oa = /\/q\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
  if (oa?.[1] !== undefined) return { kind: 'oa', code: oa[1] };
  if (url.pathname.endsWith('/phone/open') && url.searchParams.has('appid')) return { kind: 'mp', url };
  const uuid = url.searchParams.get('uuid');
  if (url.pathname.endsWith('/connect/confirm') && uuid !== null) return { kind: 'login', uuid };
  return null;
}

/** Only mini programs may choose JSON pushes (公众号 messages are always XML). */
function refuseJsonPushUnlessMiniProgram(type: string, dataFormat: 'xml' | 'json' | undefined): void {
  if (dataFormat === 'json' && type !== 'mini_program') {
    throw new AppError('validation_failed', 'dataFormat json is for mini programs only', { details: { field: 'dataFormat' } });
  }
}

export function registerControlApi(app: FastifyInstance, ctx: SandboxContext): void {
  const { world } = ctx;

  app.get('/_sandbox', async () => ({
    name: 'weunion WeChat sandbox',
    publicUrl: ctx.publicUrl(),
    phone: `${ctx.publicUrl()}/phone`,
    docs: 'packages/sandbox/README.md',
  }));

  // ── World ────────────────────────────────────────────────────────────────────────────────────
  app.post('/_sandbox/open-platforms', async (request, reply) => {
    const body = parseControl(
      z.strictObject({
        name: z.string().min(1).max(100),
        id: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/)
          .optional(),
      }),
      request.body,
    );
    return reply.status(201).send(world.createOpenPlatform(body.name, body.id));
  });
  app.get('/_sandbox/open-platforms', async () => [...world.openPlatforms.values()]);

  app.post('/_sandbox/apps', async (request, reply) => {
    const body = parseControl(newAppSchema, request.body);
    refuseJsonPushUnlessMiniProgram(body.type, body.dataFormat);
    return reply.status(201).send(publicApp(world.createApp(body)));
  });
  app.get('/_sandbox/apps', async () => [...world.apps.values()].map(publicApp));
  app.get('/_sandbox/apps/:appid', async (request) => publicApp(world.requireApp(parseControl(appidParam, request.params).appid)));
  app.patch('/_sandbox/apps/:appid', async (request) => {
    const target = world.requireApp(parseControl(appidParam, request.params).appid);
    const patch = parseControl(patchAppSchema, request.body);
    refuseJsonPushUnlessMiniProgram(target.type, patch.dataFormat);
    for (const [key, value] of Object.entries(patch)) if (value !== undefined) Object.assign(target, { [key]: value });
    return publicApp(target);
  });
  app.post('/_sandbox/apps/:appid/bind', async (request) => {
    const target = world.requireApp(parseControl(appidParam, request.params).appid);
    const { openPlatformId } = parseControl(z.strictObject({ openPlatformId: z.string().nullable() }), request.body);
    if (openPlatformId !== null) world.requireOpenPlatform(openPlatformId);
    target.openPlatformId = openPlatformId;
    return publicApp(target);
  });

  app.post('/_sandbox/people', async (request, reply) => {
    const body = parseControl(newPersonSchema, request.body);
    return reply.status(201).send(publicPerson(world.createPerson(body)));
  });
  app.get('/_sandbox/people', async () => [...world.people.values()].map(publicPerson));
  app.get('/_sandbox/people/:id', async (request) => publicPerson(world.requirePerson(parseControl(idParam, request.params).id)));
  app.patch('/_sandbox/people/:id', async (request) => {
    const person = world.requirePerson(parseControl(idParam, request.params).id);
    const patch = parseControl(patchPersonSchema, request.body);
    for (const [key, value] of Object.entries(patch)) if (value !== undefined) Object.assign(person, { [key]: value });
    return publicPerson(person);
  });
  app.get('/_sandbox/people/:id/identities', async (request) => {
    const person = world.requirePerson(parseControl(idParam, request.params).id);
    return world.identitiesOf(person.id);
  });
  app.get('/_sandbox/people/:id/follows', async (request) => {
    const person = world.requirePerson(parseControl(idParam, request.params).id);
    return [...world.follows]
      .filter(([, followers]) => followers.has(person.id))
      .map(([appid, followers]) => ({ appid, ...followers.get(person.id) }));
  });

  // ── Phone actions ────────────────────────────────────────────────────────────────────────────
  app.post('/_sandbox/actions/authorize', async (request) => {
    const body = parseControl(z.object({ personId: z.string(), url: z.string(), decision: z.enum(['allow', 'deny']) }), request.body);
    world.requirePerson(body.personId);
    const allow = body.decision === 'allow';
    const target = parseAuthorizeUrl(world, body.url);
    if (target.kind === 'qrconnect_qr') return { redirect: decideQrconnect(world, body.personId, target.uuid, allow) };
    if (target.kind === 'oauth2') return { redirect: decideOAuth2(world, body.personId, target.request, allow) };
    return { redirect: decideWebsiteLogin(world, body.personId, target.request, allow) };
  });
  app.post('/_sandbox/actions/js-login', async (request) => {
    const body = parseControl(personApp, request.body);
    return { code: jsLogin(world, body.personId, body.appid) };
  });
  app.post('/_sandbox/actions/phone-code', async (request) => {
    const body = parseControl(personApp, request.body);
    return { code: phoneCode(world, body.personId, body.appid) };
  });
  app.post('/_sandbox/actions/encrypted-phone', async (request) => {
    const body = parseControl(personApp, request.body);
    return encryptedPhone(world, body.personId, body.appid);
  });
  app.post('/_sandbox/actions/app-login', async (request) => {
    const body = parseControl(personApp.extend({ state: z.string().max(1024).optional() }), request.body);
    return appLogin(world, body.personId, body.appid, body.state ?? '');
  });
  app.post('/_sandbox/actions/follow', async (request) => {
    const body = parseControl(personApp, request.body);
    return setFollowing(world, body.personId, body.appid, true);
  });
  app.post('/_sandbox/actions/unfollow', async (request) => {
    const body = parseControl(personApp, request.body);
    return setFollowing(world, body.personId, body.appid, false);
  });
  app.post('/_sandbox/actions/return-to-app', async (request) => {
    const body = parseControl(personApp.extend({ extMsg: z.string().max(1024) }), request.body);
    world.requirePerson(body.personId);
    world.requireApp(body.appid);
    return { extMsg: body.extMsg };
  });
  app.post('/_sandbox/actions/open-mini-program', async (request) => {
    const body = parseControl(personApp.extend({ page: z.string().optional(), scene: z.string().max(32).optional() }), request.body);
    world.requirePerson(body.personId);
    const mp = world.requireApp(body.appid);
    if (mp.type !== 'mini_program') throw new AppError('bad_request', `${body.appid} is not a mini program`);
    return {
      kind: 'mini_program_code',
      appid: mp.appid,
      appName: mp.name,
      page: body.page ?? mp.pages[0] ?? '',
      scene: body.scene ?? '',
      envVersion: 'release',
    };
  });
  app.post('/_sandbox/actions/mp-message', async (request) => {
    const body = parseControl(
      personApp.extend({
        message: z.discriminatedUnion('type', [
          z.strictObject({ type: z.literal('text'), content: z.string().min(1).max(2048) }),
          z.strictObject({ type: z.literal('user_enter_tempsession'), sessionFrom: z.string().max(1024).default('') }),
        ]),
      }),
      request.body,
    );
    return pushMiniProgramMessage(world, body.personId, body.appid, body.message);
  });
  app.post('/_sandbox/actions/wx-config', async (request) => {
    const body = parseControl(
      z.object({
        appid: z.string(),
        url: z.string().min(1),
        timestamp: z.union([z.number().int(), z.string().regex(/^\d+$/)]),
        nonceStr: z.string().min(1),
        signature: z.string().min(1),
      }),
      request.body,
    );
    return checkWxConfig(world, body);
  });
  app.post('/_sandbox/actions/scan', async (request) => {
    const body = parseControl(
      z.object({ personId: z.string(), content: z.string().min(1).optional(), imageBase64: z.string().min(1).optional() }),
      request.body,
    );
    world.requirePerson(body.personId);
    let content = body.content;
    if (content === undefined) {
      if (body.imageBase64 === undefined) throw new AppError('validation_failed', 'Give content or imageBase64');
      content = decodeQrPng(Buffer.from(body.imageBase64.replace(/^data:[^,]*,/, ''), 'base64'));
    }
    const linkCode = linkCodeOf(content);
    if (linkCode !== null) return { ...openMiniProgramLink(world, body.personId, linkCode), content };
    const meaning = classifyQrContent(content);
    if (meaning === null) return { kind: 'unknown', content };
    if (meaning.kind === 'oa') return { ...(await scanParametricQr(world, body.personId, meaning.code)), content };
    if (meaning.kind === 'login') return { ...scanQrconnect(world, body.personId, meaning.uuid), content };
    const appid = meaning.url.searchParams.get('appid') ?? '';
    const mp = world.requireApp(appid);
    return {
      kind: 'mini_program_code',
      appid: mp.appid,
      appName: mp.name,
      page: meaning.url.searchParams.get('page') ?? '',
      scene: meaning.url.searchParams.get('scene') ?? '',
      envVersion: meaning.url.searchParams.get('env_version') ?? 'release',
      content,
    };
  });

  // ── Faults, stats, events, clock, reset ──────────────────────────────────────────────────────
  app.put('/_sandbox/faults', async (request) => {
    const { appid, forceTokenExpiry, ...settings } = parseControl(faultSchema, request.body);
    if (appid !== undefined) world.requireApp(appid);
    let revokedTokens = 0;
    if (forceTokenExpiry !== undefined && forceTokenExpiry !== false) {
      revokedTokens = revokeAppTokens(world, appid, forceTokenExpiry === 'invalid' ? 'invalid' : 'expired');
    }
    if (Object.values(settings).some((value) => value !== undefined)) world.faults.set(appid, settings);
    return { faults: world.faults.list(), revokedTokens };
  });
  app.get('/_sandbox/faults', async () => ({ faults: world.faults.list() }));
  // `?appid=` clears one app's fault, `?scope=global` only the every-app one (per-app faults keep
  // their injected counts), neither clears everything.
  const clearFaultsQuery = z
    .object({ appid: z.string().optional(), scope: z.enum(['global']).optional() })
    .refine((query) => query.appid === undefined || query.scope === undefined, {
      message: 'give appid (one app) or scope=global (the every-app fault), not both',
      path: ['scope'],
    });
  app.delete('/_sandbox/faults', async (request) => {
    const { appid, scope } = parseControl(clearFaultsQuery, request.query);
    world.faults.clear(scope === 'global' ? null : appid);
    return { faults: world.faults.list() };
  });

  app.get('/_sandbox/stats', async () => world.stats.snapshot());
  app.delete('/_sandbox/stats', async () => {
    world.stats.clear();
    return world.stats.snapshot();
  });

  app.get('/_sandbox/events', async (request) => {
    const { appid } = parseControl(z.object({ appid: z.string().optional() }), request.query);
    return world.pushLog.filter((entry) => appid === undefined || entry.appid === appid);
  });
  app.delete('/_sandbox/events', async () => {
    world.pushLog.length = 0;
    return [];
  });

  app.get('/_sandbox/clock', async () => ({ now: new Date(world.clock.now()).toISOString(), offsetSeconds: world.clock.offsetSeconds }));
  app.post('/_sandbox/clock', async (request) => {
    const { advanceSeconds } = parseControl(z.strictObject({ advanceSeconds: z.number().min(0) }), request.body);
    world.clock.advance(advanceSeconds);
    return { now: new Date(world.clock.now()).toISOString(), offsetSeconds: world.clock.offsetSeconds };
  });

  app.post('/_sandbox/reset', async () => {
    world.reset();
    return { reset: true, apps: world.apps.size, people: world.people.size };
  });
}

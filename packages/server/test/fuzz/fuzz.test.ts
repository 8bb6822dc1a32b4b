/**
 * A seeded, bounded fuzzer over every route of the management API (read from its OpenAPI
 * document) and the login, mini program, app, ticket, console and WeChat callback routes, over
 * real HTTP, on each storage mode. It asserts what must hold whatever a client sends: no answer
 * ≥ 500, no body showing a stack trace, SQL or a secret, and the process still serving.
 *
 * Its world is its own: a fresh SQLite file or PostgreSQL schema and a Redis key prefix (see
 * LoginWorld), a sandbox of its own, and requests only to that world's instance — so whatever it
 * deletes through the admin API is its own test data.
 *
 * FUZZ_SEED and FUZZ_REQUESTS change the run; a failure prints the seed that reproduces it.
 * FUZZ_TIMINGS=1 also prints the routes that took longest.
 */
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdminKey } from '../../src/admin-keys/store.ts';
import { SYSTEM_ACTOR } from '../../src/identity/audit.ts';
import { Browser, createS1Ticket, demo, LoginWorld, storageModes } from '../../src/login/test-harness.ts';
import {
  CONTENT_TYPES,
  garbageBody,
  headerSafe,
  nastyValue,
  nestedJson,
  oddAuthorization,
  oddCookie,
  oddSegment,
  Random,
  randomString,
} from './inputs.ts';
import { type FuzzRoute, NOT_FUZZED, ROUTES, type Sample } from './routes.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 14_2026);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 5000);
const CONCURRENCY = 8;
const REQUEST_TIMEOUT_MS = 5000;

const DEMO_SECRETS = (['officialAccount', 'miniProgram', 'website', 'mobileApp'] as const).map((key) => demo(key).secret);
const DEMO_APPS_IDS = (['officialAccount', 'miniProgram', 'website', 'mobileApp'] as const).map((key) => demo(key).appid);
const STACK_TRACE = /\n\s+at .+:\d+:\d+|node_modules\/|\.ts:\d+:\d+/;
const SQL =
  /\b(select|insert into|update|delete from)\b[^\n]{0,160}\b(from|where|values|set)\b|SQLITE_|syntax error at or near|violates [a-z ]*constraint|duplicate key value|invalid byte sequence/gi;

interface Planned {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  note: string;
}

interface Answer {
  status: number;
  type: string;
  text: string;
}

type Pools = Record<string, string[]>;

/** Replaces `$pool` values with a member of that pool (or leaves the name when the pool is empty). */
function resolve(value: unknown, pools: Pools, random: Random): unknown {
  if (typeof value === 'string' && value.startsWith('$')) {
    const pool = pools[value.slice(1)] ?? [];
    return pool.length === 0 ? value.slice(1) : random.pick(pool);
  }
  return value;
}

function resolveSample(sample: Sample | undefined, pools: Pools, random: Random): Sample | undefined {
  if (sample === undefined) return undefined;
  return Object.fromEntries(Object.entries(sample).map(([key, value]) => [key, resolve(value, pools, random)]));
}

const jsonSchema: z.ZodType<Record<string, unknown>> = z.record(z.string(), z.unknown());

/** A plausible value for a JSON Schema (what the management API's OpenAPI document describes). */
function sampleFor(schema: unknown, name: string, pools: Pools, random: Random, depth = 0): unknown {
  const parsed = jsonSchema.safeParse(schema);
  if (!parsed.success || depth > 4) return 'x';
  const s = parsed.data;
  if (pools[name] !== undefined && pools[name].length > 0) return random.pick(pools[name]);
  if (Array.isArray(s.enum) && s.enum.length > 0) return random.pick(s.enum);
  if (s.const !== undefined) return s.const;
  const anyOf = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined;
  if (anyOf !== undefined && anyOf.length > 0) return sampleFor(random.pick(anyOf), name, pools, random, depth + 1);
  const type = Array.isArray(s.type) ? random.pick(s.type) : s.type;
  switch (type) {
    case 'string':
      return name.toLowerCase().includes('uri') || name.toLowerCase().includes('url')
        ? 'https://app.example/cb'
        : `fuzz-${random.int(1000)}`;
    case 'integer':
    case 'number':
      return random.int(100);
    case 'boolean':
      return random.chance(0.5);
    case 'array':
      return [sampleFor(s.items, name, pools, random, depth + 1)];
    case 'object': {
      const properties = jsonSchema.catch({}).parse(s.properties);
      const required = z.array(z.string()).catch([]).parse(s.required);
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(properties)) {
        if (required.includes(key) || random.chance(0.5)) out[key] = sampleFor(child, key, pools, random, depth + 1);
      }
      return out;
    }
    default:
      return 'x';
  }
}

/** The management routes, from the OpenAPI document the service serves. */
function routesFromOpenApi(document: unknown, pools: Pools, random: Random): FuzzRoute[] {
  const paths = z.record(z.string(), z.record(z.string(), z.unknown())).parse(jsonSchema.parse(document).paths);
  const routes: FuzzRoute[] = [];
  const operation = z.looseObject({
    parameters: z.array(z.looseObject({ name: z.string(), in: z.string(), schema: z.unknown() })).default([]),
    requestBody: z.looseObject({ content: z.record(z.string(), z.looseObject({ schema: z.unknown() })) }).optional(),
  });
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, raw] of Object.entries(methods)) {
      const op = operation.parse(raw);
      const query: Sample = {};
      for (const parameter of op.parameters) {
        if (parameter.in === 'query' && random.chance(0.7))
          query[parameter.name] = sampleFor(parameter.schema, parameter.name, pools, random);
      }
      const bodySchema = op.requestBody?.content['application/json']?.schema;
      const body = bodySchema === undefined ? undefined : sampleFor(bodySchema, 'body', pools, random);
      routes.push({
        method: z.enum(['GET', 'POST', 'PATCH', 'DELETE']).parse(method.toUpperCase()),
        path: path.replace(/\{([A-Za-z]+)\}/g, ':$1'),
        query,
        ...(body === undefined ? {} : { body: jsonSchema.catch({ value: body }).parse(body) }),
        admin: path !== '/api/v1/openapi.json',
      });
    }
  }
  return routes;
}

/** `METHOD /path` of every route in Fastify's route tree printout (HEAD and OPTIONS left out). */
function registeredRoutes(tree: string): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[└├]── (\S+)(?: \(([^)]+)\))?/.exec(line);
    if (match === null) continue;
    const depth = (match[1] ?? '').length / 4;
    const path = `${stack[depth - 1] ?? ''}${match[2] ?? ''}`;
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of (match[3] ?? '').split(', ')) {
      if (method !== '' && method !== 'HEAD' && method !== 'OPTIONS') routes.push(`${method} ${path}`);
    }
  }
  return routes;
}

function encodeQuery(query: Record<string, unknown>, random: Random): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) {
      const text = typeof item === 'string' ? item : (JSON.stringify(item) ?? '');
      // Sometimes bytes no encoder makes: a bare %, an encoded lone surrogate, a bad sequence.
      const encoded = random.chance(0.08)
        ? random.pick(['%', '%zz', '%ED%A0%80', '%00', '%C0%AF'])
        : encodeURIComponent(text.toWellFormed());
      parts.push(`${encodeURIComponent(key.toWellFormed())}=${encoded}`);
    }
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

function randomIp(random: Random): string {
  return `10.${random.int(256)}.${random.int(256)}.${random.int(256)}`;
}

/** One request: a route's plausible request, then (mostly) one or two mutations of it. */
function plan(route: FuzzRoute, pools: Pools, random: Random, adminKey: string): Planned {
  let method: string = route.method;
  const notes: string[] = [];
  const params: Record<string, string> = {};
  for (const name of route.path.match(/:([A-Za-z]+)/g) ?? []) {
    const key = name.slice(1);
    const pool = pools[key] ?? pools.anyId ?? [];
    params[key] = encodeURIComponent(pool.length > 0 && random.chance(0.7) ? random.pick(pool) : randomString(random).toWellFormed());
  }
  const query: Record<string, unknown> = { ...(resolveSample(route.query, pools, random) ?? {}) };
  let body: unknown = resolveSample(route.body, pools, random);
  let rawBody: string | undefined = route.rawBody === undefined ? undefined : String(resolve(route.rawBody.text, pools, random));
  let contentType: string | undefined = route.rawBody?.contentType ?? (body === undefined ? undefined : 'application/json');
  const headers: Record<string, string> = {
    'x-forwarded-for': randomIp(random),
    ...Object.fromEntries(Object.entries(route.headers ?? {}).map(([k, v]) => [k, String(resolve(v, pools, random))])),
  };
  if (route.admin === true && random.chance(0.85)) headers.authorization = `Bearer ${adminKey}`;
  if (route.path.includes('/wechat/callback/') && random.chance(0.7)) params.appid = demo('officialAccount').appid;

  const mutations = random.chance(0.15) ? 0 : 1 + random.int(2);
  for (let m = 0; m < mutations; m++) {
    const kind = random.pick([
      'field-type',
      'field-nasty',
      'field-nasty',
      'drop',
      'extra',
      'long',
      'garbage',
      'content-type',
      'nested',
      'huge',
      'path',
      'path',
      'query',
      'query',
      'headers',
      'headers',
      'method',
    ] as const);
    notes.push(kind);
    const fields = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
    const fieldNames = Object.keys(fields ?? {});
    switch (kind) {
      case 'field-type':
      case 'field-nasty':
      case 'long': {
        const value = kind === 'long' ? 'x'.repeat(random.pick([1000, 10_000, 200_000])) : nastyValue(random);
        if (fields !== undefined && fieldNames.length > 0 && random.chance(0.7)) fields[random.pick(fieldNames)] = value;
        else if (Object.keys(query).length > 0) query[random.pick(Object.keys(query))] = value;
        else body = { ...(fields ?? {}), [random.pick(['code', 'appid', 'id', 'returnTo'])]: value };
        contentType ??= 'application/json';
        break;
      }
      case 'drop':
        if (fields !== undefined && fieldNames.length > 0) delete fields[random.pick(fieldNames)];
        else if (Object.keys(query).length > 0) delete query[random.pick(Object.keys(query))];
        break;
      case 'extra':
        body = {
          ...(fields ?? {}),
          [random.pick(['extra', '__proto__', 'constructor', 'a\u0000', '\ud800', 'x'.repeat(300)])]: nastyValue(random),
        };
        contentType ??= 'application/json';
        break;
      case 'garbage':
        rawBody = garbageBody(random);
        contentType = random.pick(['application/json', 'text/xml', 'application/x-www-form-urlencoded', contentType ?? 'text/plain']);
        break;
      case 'content-type':
        contentType = random.pick(CONTENT_TYPES);
        if (body === undefined && rawBody === undefined) rawBody = '{}';
        break;
      case 'nested':
        rawBody = nestedJson(random.pick([40, 1000, 100_000]), random);
        contentType = 'application/json';
        break;
      case 'huge':
        rawBody = random.chance(0.5) ? `{"a":"${'x'.repeat(1_100_000)}"}` : `[${'1,'.repeat(300_000)}1]`;
        contentType = 'application/json';
        break;
      case 'path': {
        const names = Object.keys(params);
        if (names.length > 0) params[random.pick(names)] = oddSegment(random);
        break;
      }
      case 'query':
        query[
          random.pick(['returnTo', 'connection', 'client', 'since', 'wait', 'q', 'limit', 'cursor', 'code', 'state', randomString(random)])
        ] = random.chance(0.3) ? [nastyValue(random), nastyValue(random)] : nastyValue(random);
        break;
      case 'headers': {
        const header = random.pick([
          'cookie',
          'authorization',
          'accept-language',
          'x-request-id',
          'x-forwarded-for',
          'x-ticket-secret',
          'origin',
          'host',
          'accept',
        ] as const);
        const values: Record<typeof header, () => string> = {
          cookie: () => oddCookie(random),
          authorization: () => oddAuthorization(random, adminKey),
          'accept-language': () => random.pick(['*;q=abc', 'zh-CN,zh;q=0.9,en;q=0.8', 'x'.repeat(4000), ';;;', 'zh-TW']),
          'x-request-id': () => random.pick(['', 'x'.repeat(500), '../../', 'a b', '\u00e9']),
          'x-forwarded-for': () => random.pick(['unknown', '999.1.1.1', ',,,', '::ffff:1.2.3.4', 'a, b, c', '1.2.3.4, 5.6.7.8, 127.0.0.1']),
          'x-ticket-secret': () => headerSafe(String(nastyValue(random))),
          origin: () => random.pick(['null', 'https://evil.example', '']),
          host: () => random.pick(['evil.example', 'a:b:c', 'localhost:99999']),
          accept: () => random.pick(['text/event-stream', '*/*', 'application/xml', 'x']),
        };
        headers[header] = headerSafe(values[header]());
        break;
      }
      case 'method':
        method = random.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
        break;
    }
  }

  const fields = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  const path = route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => params[name] ?? 'x') + encodeQuery(query, random);
  let payload: Buffer | undefined;
  if (rawBody === undefined && route.form === true && fields !== undefined) {
    rawBody = encodeQuery(fields, random).slice(1);
    if (contentType === 'application/json') contentType = 'application/x-www-form-urlencoded';
  }
  if (rawBody !== undefined) payload = Buffer.from(rawBody, 'utf8');
  else if (body !== undefined && method !== 'GET') payload = Buffer.from(JSON.stringify(body) ?? 'null', 'utf8');
  if (method === 'GET' && random.chance(0.9)) payload = undefined;
  if (payload !== undefined && contentType !== undefined) headers['content-type'] = contentType;
  return { method, path, headers, ...(payload === undefined ? {} : { body: payload }), note: notes.join('+') || 'plausible' };
}

function send(base: URL, agent: http.Agent, request: Planned): Promise<Answer | 'timeout' | 'reset'> {
  return new Promise((done) => {
    let settled = false;
    const finish = (value: Answer | 'timeout' | 'reset') => {
      if (!settled) {
        settled = true;
        done(value);
      }
    };
    const outgoing = http.request(
      {
        host: base.hostname,
        port: base.port,
        method: request.method,
        path: request.path,
        headers: { ...request.headers, ...(request.body === undefined ? {} : { 'content-length': String(request.body.length) }) },
        agent,
        timeout: REQUEST_TIMEOUT_MS,
      },
      (response) => {
        const type = String(response.headers['content-type'] ?? '');
        const status = response.statusCode ?? 0;
        // A live event stream is a success that does not end: its status is what matters.
        if (type.startsWith('text/event-stream')) {
          response.destroy();
          finish({ status, type, text: '' });
          return;
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => finish({ status, type, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', () => finish('reset'));
        response.on('close', () => finish('reset'));
      },
    );
    outgoing.on('timeout', () => {
      outgoing.destroy();
      finish('timeout');
    });
    // The server may answer (413) and close before a huge body is sent: the answer counts.
    outgoing.on('error', () => finish('reset'));
    outgoing.end(request.body);
  });
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** What in `text` matches `pattern` and was not simply echoed from the request (`sent`). */
function leaked(pattern: RegExp, text: string, sent: string): boolean {
  return [...text.matchAll(pattern)].some((match) => !sent.includes(match[0].replaceAll('\\"', '"')));
}

function problems(answer: Answer, secrets: string[], request: Planned): string[] {
  const sent = `${safeDecode(request.path)} ${request.body?.toString('utf8') ?? ''}`;
  const found: string[] = [];
  // A 5xx is a defect, except WeChat's own refusal passed on as a problem (`wechat_*`, 502–504): the
  // fuzzer can change a demo app's secret (PATCH /connections/…), after which the sandbox rightly refuses it.
  if (answer.status >= 500 && !(answer.status >= 502 && answer.status <= 504 && /"code":"wechat_[a-z_]+"/.test(answer.text))) {
    found.push(`status ${answer.status}`);
  }
  if (answer.type.includes('javascript') || answer.type.startsWith('image/')) return found;
  if (STACK_TRACE.test(answer.text)) found.push('stack trace in body');
  if (leaked(SQL, answer.text, sent)) found.push('SQL in body');
  for (const secret of secrets) if (answer.text.includes(secret)) found.push(`secret ${secret.slice(0, 6)}… in body`);
  if (/session_key/.test(answer.text)) found.push('session_key in body');
  if (/scrypt\$\d+\$/.test(answer.text)) found.push('password hash in body');
  return found;
}

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`fuzzer: ${mode.name}`, () => {
    let world: LoginWorld;
    let adminKey: string;
    let webhookSecret = '';
    const pools: Pools = {};

    beforeAll(async () => {
      // Each fuzz request claims a made-up client address (X-Forwarded-For, trusted from loopback
      // only), so per-IP limits do not stop the run after the first minute's worth.
      world = await LoginWorld.start(mode, { TRUST_PROXY: 'loopback' });
      adminKey = (await createAdminKey(world.database.db, 'fuzzer', SYSTEM_ACTOR)).key;
      const spare = await Promise.all([1, 2].map((i) => createAdminKey(world.database.db, `spare-${i}`, SYSTEM_ACTOR)));
      const users = await Promise.all([1, 2, 3].map((i) => world.existingUser(`+861390000${String(1000 + i)}`, `password-${i}`)));
      const connections = await world.database.db.selectFrom('connections').select('id').execute();
      const browser = new Browser();
      const tickets = await Promise.all([1, 2].map(() => createS1Ticket(browser, world.first)));
      const s3 = z
        .object({ ticketId: z.string(), secret: z.string() })
        .parse((await browser.json('POST', `${world.first.url}/api/login/s3`, {})).body);
      const application = await fetch(`${world.first.url}/api/v1/applications`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          id: 'fuzz-web',
          name: 'Fuzz',
          type: 'web',
          redirectUris: ['https://app.example/cb'],
          scenarios: ['s2', 's3'],
        }),
      });
      expect(application.status, await application.text()).toBe(201);
      // A webhook endpoint with one event and its delivery (nothing sends it: no deliverer runs here).
      const admin = (method: string, path: string, body: unknown) =>
        fetch(`${world.first.url}/api/v1${path}`, {
          method,
          headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const hook = z
        .object({ endpoint: z.object({ id: z.string() }), secret: z.string() })
        .parse(await (await admin('POST', '/webhooks/endpoints', { url: 'https://hooks.example/weunion' })).json());
      expect((await admin('POST', '/users', { nickname: 'Fuzz' })).status).toBe(201);
      const delivery = await world.database.db.selectFrom('webhook_deliveries').select(['id', 'event_id']).executeTakeFirstOrThrow();
      webhookSecret = hook.secret;
      Object.assign(pools, {
        endpointId: [hook.endpoint.id],
        eventId: [delivery.event_id],
        deliveryId: [delivery.id],
        application: ['fuzz-web'],
        applicationId: ['fuzz-web'],
        userId: users,
        connectionId: connections.map((c) => c.id),
        connection: connections.map((c) => c.id),
        keyId: spare.map((k) => k.adminKey.id),
        id: [...tickets.map((t) => t.ticketId), s3.ticketId],
        ticketId: [...tickets.map((t) => t.ticketId), s3.ticketId],
        ticketSecret: [...tickets.map((t) => t.secret), s3.secret],
        miniProgram: [demo('miniProgram').appid],
        mobileApp: [demo('mobileApp').appid],
        appid: DEMO_APPS_IDS,
        anyId: ['x', 'usr_000000000000', '0'],
      });
    });
    afterAll(async () => {
      await world?.close();
    });

    it(`${REQUESTS} hostile requests: nothing ≥ 500, no stack, SQL or secret in a body, the process alive (seed ${SEED})`, async () => {
      const base = new URL(world.first.url);
      // Only ever this world's own instance, on loopback.
      expect(base.hostname).toBe('127.0.0.1');
      const random = new Random(SEED);
      const openapi = await fetch(`${world.first.url}/api/v1/openapi.json`);
      const managementRoutes = routesFromOpenApi(await openapi.json(), pools, random);
      const routes = [...ROUTES, ...managementRoutes];

      // Every route the server has is fuzzed, or deliberately left out.
      const covered = new Set(routes.map((r) => `${r.method} ${r.path}`));
      const uncovered = registeredRoutes(world.first.app.printRoutes({ commonPrefix: false })).filter(
        (route) => !covered.has(route) && !NOT_FUZZED.some((pattern) => pattern.test(route)),
      );
      expect(uncovered, 'routes the fuzzer does not know (add them to test/fuzz/routes.ts)').toEqual([]);

      const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
      const secrets = [adminKey, webhookSecret, ...DEMO_SECRETS];
      const failures: string[] = [];
      const statuses = new Map<number | string, number>();
      let next = 0;
      const cpuBefore = process.cpuUsage();
      const wallBefore = performance.now();
      const timings = new Map<string, [number, number]>();
      const worker = async () => {
        while (next < REQUESTS) {
          const index = next++;
          const route = random.pick(routes);
          const request = plan(route, pools, random, adminKey);
          const started = performance.now();
          if (process.env.FUZZ_TRACE !== undefined)
            appendFileSync(
              process.env.FUZZ_TRACE,
              `#${index} ${request.method} ${request.path.slice(0, 150)} [${request.note}] ${request.body?.length ?? 0}\n`,
            );
          const answer = await send(base, agent, request);
          if (process.env.FUZZ_TRACE !== undefined)
            appendFileSync(process.env.FUZZ_TRACE, `done #${index} ${typeof answer === 'string' ? answer : answer.status}\n`);
          const took = performance.now() - started;
          const timing = timings.get(`${route.method} ${route.path}`) ?? [0, 0];
          timings.set(`${route.method} ${route.path}`, [timing[0] + took, timing[1] + 1]);
          const key = typeof answer === 'string' ? answer : answer.status;
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
          if (typeof answer === 'string') continue;
          const found = problems(answer, secrets, request);
          if (found.length > 0 && failures.length < 20) {
            failures.push(
              `#${index} ${request.method} ${request.path.slice(0, 200)} [${request.note}] ${JSON.stringify(request.headers).slice(0, 200)} body=${JSON.stringify(request.body?.toString('utf8').slice(0, 200) ?? null)} → ${found.join(', ')}: ${answer.text.slice(0, 300)}`,
            );
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      agent.destroy();
      const cpu = process.cpuUsage(cpuBefore);
      console.log(
        `fuzzer (${mode.name}): ${REQUESTS} requests in ${Math.round(performance.now() - wallBefore)} ms, CPU ${Math.round((cpu.user + cpu.system) / 1000)} ms`,
      );
      if (process.env.FUZZ_TIMINGS !== undefined)
        console.log(
          [...timings.entries()]
            .sort((a, b) => b[1][0] - a[1][0])
            .slice(0, 15)
            .map(([k, [t, n]]) => `${k}: ${n} req, ${Math.round(t)} ms total`)
            .join('\n'),
        );

      const summary = [...statuses.entries()].sort(([a], [b]) => String(a).localeCompare(String(b)));
      if (failures.length > 0) console.error(`fuzzer (${mode.name}) failed with FUZZ_SEED=${SEED}:\n${failures.join('\n')}`);
      expect(failures, `FUZZ_SEED=${SEED} reproduces this; statuses ${JSON.stringify(summary)}`).toEqual([]);
      // The requests reached the service: most were answered, not dropped.
      expect(statuses.get('timeout') ?? 0).toBeLessThan(REQUESTS / 100);
      const health = await fetch(`${world.first.url}/healthz`);
      expect(health.status).toBe(200);
    }, 600_000);
  });
}

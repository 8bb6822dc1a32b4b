/**
 * The mini program's side of a login ticket (S3: a PC page shows a mini program code; S7: an app
 * opened the mini program). The mini program proves it is itself by a fresh `wx.login` code for
 * the ticket's appid on every call; the openid of the scan must be the openid of the confirm.
 *
 * - `POST /api/mp/tickets/:id/scan {appid, code}` → `{ticket, state: 'scanned', scenario, phoneNumber}`
 *   (`phoneNumber`: `not_needed` | `optional` | `required`: whether to show the phone button).
 * - `POST /api/mp/tickets/:id/confirm {appid, code, phoneCode? | encryptedData?+iv?}` →
 *   `{ticket, state: 'confirmed', outcome, reason?, message?, resultCode? (S7 only)}`; the ticket's
 *   holder redeems the full result (`ticket-result.ts`). Confirmed once.
 * - `POST /api/mp/tickets/:id/cancel {appid, code}` → `{ticket, state: 'cancelled'}`.
 *
 * The ticket's `context.connectionId` and `context.appid` (fixed by whoever created it) must name
 * the mini program calling; a ticket of another kind (S1) is not found here.
 */
import { AppError } from '@weunion/errors';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { signInThroughConnection } from '../connections/sign-in.ts';
import { type Connection, findConnection } from '../connections/store.ts';
import type { AppContext } from '../http/context.ts';
import { parseInput } from '../http/problem.ts';
import type { RateLimiter } from '../http/rate-limit.ts';
import { lookupWechatIdentity } from '../identity/facts.ts';
import { policyForLogin } from '../oidc/application-policy.ts';
import { miniProgramConnection, phoneRequestFor, verifyLoginCode, verifyMiniProgramLogin } from '../scenarios/mini-program-login.ts';
import { createResultCode } from '../scenarios/s7-result-codes.ts';
import type { TicketRecord } from '../tickets/qr-ticket.ts';
import { limitAppLogin } from './limits.ts';
import { ticketLoginResult } from './ticket-result.ts';

const MINI_PROGRAM_TICKET_KINDS = ['s3', 's7'] as const;
type MiniProgramTicketKind = (typeof MINI_PROGRAM_TICKET_KINDS)[number];

const paramsSchema = z.object({ id: z.string().min(1).max(64) });
const appidField = z.string().regex(/^wx[0-9a-zA-Z]{6,30}$/, { error: 'must be a WeChat appid (wx…)' });
const codeField = z.string().min(1).max(256);
const scanSchema = z.object({ appid: appidField, code: codeField }).strict();
const confirmSchema = z
  .object({
    appid: appidField,
    code: codeField,
    phoneCode: z.string().min(1).max(256).optional(),
    encryptedData: z.string().min(1).max(8192).optional(),
    iv: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine((body) => (body.encryptedData === undefined) === (body.iv === undefined), {
    error: 'encryptedData and iv go together',
    path: ['iv'],
  });

const contextSchema = z.looseObject({
  connectionId: z.string(),
  appid: z.string(),
  /** S3 from the hosted page: the application the login is for. */
  applicationId: z.string().optional(),
  /** S7: the mobile app's connection that opened the mini program (its tokens' client). */
  clientId: z.string().optional(),
});

/**
 * The identity policy a confirmed ticket applies. The app the person is logging in to governs:
 * for S7 that is the mobile app that opened the mini program (it gets the tokens), so its
 * registration, binding and matching rules apply, not the mini program's; for an S3 login started
 * for an application, the application's override over the mini program connection's policy.
 */
async function governingPolicy(ctx: AppContext, connection: Connection, record: TicketRecord & { kind: MiniProgramTicketKind }) {
  const context = contextSchema.parse(record.context);
  if (record.kind === 's3') return policyForLogin(ctx, connection.policy, context.applicationId, 's3');
  const mobile = context.clientId === undefined ? null : await findConnection(ctx.database.db, ctx.secrets, context.clientId);
  if (mobile === null || mobile.appType !== 'mobile_app' || !mobile.scenarios.includes('s7')) {
    throw new AppError('forbidden', 'The app that started this login no longer offers it');
  }
  return mobile.policy;
}

const scannerKey = (id: string) => `mp:ticket-scanner:${id}`;
const confirmingKey = (id: string) => `mp:ticket-confirming:${id}`;

/** The ticket, if it is a mini program ticket of this connection; otherwise "not found". */
async function ticketFor(
  app: FastifyInstance,
  id: string,
  connection: Connection,
): Promise<TicketRecord & { kind: MiniProgramTicketKind }> {
  const record = await app.tickets.get(id);
  const kind = MINI_PROGRAM_TICKET_KINDS.find((k) => k === record?.kind);
  const context = contextSchema.safeParse(record?.context);
  if (
    record === null ||
    kind === undefined ||
    !context.success ||
    context.data.connectionId !== connection.id ||
    context.data.appid !== connection.appid
  ) {
    throw new AppError('not_found', 'No such login ticket for this mini program (it may have expired)');
  }
  if (!connection.scenarios.includes(kind)) throw new AppError('forbidden', `Connection ${connection.id} does not serve scenario ${kind}`);
  return { ...record, kind };
}

/** The same answers the ticket itself gives for a state that cannot move on (before calling WeChat). */
function refuseUnlessOpen(record: TicketRecord): void {
  if (record.state === 'waiting' || record.state === 'scanned') return;
  if (record.state === 'expired')
    throw new AppError('gone', 'This QR code has expired; refresh it to try again', { details: { state: 'expired' } });
  throw new AppError('conflict', `This ticket is already ${record.state}`, { details: { state: record.state } });
}

function remainingMs(record: TicketRecord): number {
  return Math.max(1_000, record.expiresAt - Date.now());
}

export function registerMiniProgramTicketRoutes(app: FastifyInstance, limiter: RateLimiter): void {
  const ctx = app.ctx;

  app.post('/api/mp/tickets/:id/scan', async (request) => {
    const { id } = parseInput(paramsSchema, request.params);
    const body = parseInput(scanSchema, request.body);
    await limitAppLogin(limiter, request.ip, body.appid);
    const connection = await miniProgramConnection(ctx, body.appid);
    const record = await ticketFor(app, id, connection);
    refuseUnlessOpen(record);
    const { openid } = await verifyLoginCode(ctx, connection, body.code, limiter);
    const recorded = await ctx.state.set(scannerKey(id), openid, { ttlMs: remainingMs(record), ifAbsent: true });
    if (!recorded && (await ctx.state.get(scannerKey(id))) !== openid) {
      throw new AppError('conflict', 'Someone else already scanned this code');
    }
    await app.tickets.markScanned(id);
    const known = await lookupWechatIdentity(ctx.database.db, { appid: connection.appid, openid });
    return { ticket: id, state: 'scanned', scenario: record.kind, phoneNumber: phoneRequestFor(connection, known) };
  });

  app.post('/api/mp/tickets/:id/confirm', async (request) => {
    const { id } = parseInput(paramsSchema, request.params);
    const body = parseInput(confirmSchema, request.body);
    await limitAppLogin(limiter, request.ip, body.appid);
    const connection = await miniProgramConnection(ctx, body.appid);
    const record = await ticketFor(app, id, connection);
    if (record.state === 'waiting')
      throw new AppError('conflict', 'Scan the ticket before confirming it', { details: { state: 'waiting' } });
    refuseUnlessOpen(record);
    // One confirmation at a time: a second one arriving meanwhile is refused, not signed in twice.
    if (!(await ctx.state.set(confirmingKey(id), '1', { ttlMs: 30_000, ifAbsent: true }))) {
      throw new AppError('conflict', 'This ticket is being confirmed');
    }
    let confirmed = false;
    try {
      const login = await verifyMiniProgramLogin(ctx, connection, body, limiter);
      const scanner = await ctx.state.get(scannerKey(id));
      if (scanner !== login.facts.openid) throw new AppError('forbidden', 'Only the person who scanned this code can confirm it');
      const policy = await governingPolicy(ctx, connection, record);
      const outcome = await signInThroughConnection(ctx, connection, record.kind, login.facts, policy);
      const result = ticketLoginResult(outcome, {
        scenario: record.kind,
        connectionId: connection.id,
        appid: connection.appid,
        authTime: Date.now(),
      });
      const done = await app.tickets.confirm(id, result);
      confirmed = true;
      const resultCode = record.kind === 's7' ? await createResultCode(ctx.state, id, remainingMs(done)) : undefined;
      return {
        ticket: id,
        state: 'confirmed',
        outcome: result.outcome,
        ...(result.outcome === 'refused' ? { reason: result.reason, message: result.message } : {}),
        ...(resultCode === undefined ? {} : { resultCode }),
      };
    } finally {
      // A failed attempt (expired code, phone required…) may be tried again.
      if (!confirmed) await ctx.state.delete(confirmingKey(id));
    }
  });

  app.post('/api/mp/tickets/:id/cancel', async (request) => {
    const { id } = parseInput(paramsSchema, request.params);
    const body = parseInput(scanSchema, request.body);
    await limitAppLogin(limiter, request.ip, body.appid);
    const connection = await miniProgramConnection(ctx, body.appid);
    await ticketFor(app, id, connection);
    const { openid } = await verifyLoginCode(ctx, connection, body.code, limiter);
    const scanner = await ctx.state.get(scannerKey(id));
    if (scanner !== null && scanner !== openid) throw new AppError('forbidden', 'Only the person who scanned this code can cancel it');
    await app.tickets.cancel(id);
    return { ticket: id, state: 'cancelled' };
  });
}

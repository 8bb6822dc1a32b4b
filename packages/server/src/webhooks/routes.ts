/**
 * The management API of identity events (`/api/v1/webhooks/…`): endpoints (create, change, delete,
 * rotate the secret), the delivery log per endpoint and per event, replay and a test ping. The
 * rules live in endpoints.ts and deliveries.ts; routes parse and delegate.
 */
import {
  WEBHOOK_EVENT_TYPES,
  webhookAttemptView,
  webhookDeliveryPage,
  webhookEndpointView,
  webhookEndpointWithSecret,
  webhookEventPage,
  webhookEventView,
} from '@weunion/management-api';
import { z } from 'zod';
import { defineRoute, type ManagementRoute } from '../management/route.ts';
import { getEvent, listAttempts, listEndpointDeliveries, listEvents, replay, sendTestPing } from './deliveries.ts';
import {
  createEndpoint,
  DEFAULT_EVENTS,
  deleteEndpoint,
  getEndpoint,
  listEndpoints,
  rotateEndpointSecret,
  updateEndpoint,
} from './endpoints.ts';

const id = (description: string) => z.string().min(1).max(100).describe(description);
const endpointParams = z.object({ endpointId: id('The endpoint id (whe_…).') }).strict();
const limit = z.coerce.number().int().min(1).max(200).default(50).describe('Page size (1–200).');
const cursor = z.string().min(1).max(100).optional().describe('`nextCursor` from the previous page.');
const time = (what: string) => z.number().int().min(0).max(8.64e15).describe(what);

const endpointFields = {
  url: z.string().min(1).max(2000).describe('Where events are POSTed: https (http only on loopback, or with WEBHOOK_ALLOW_HTTP=true).'),
  description: z.string().max(500).optional(),
  events: z
    .array(z.enum(WEBHOOK_EVENT_TYPES))
    .min(1)
    .max(WEBHOOK_EVENT_TYPES.length)
    .optional()
    .describe('Event types to send (default: all but the opt-in `login.succeeded` and `login.failed`).'),
  enabled: z.boolean().optional().describe('Enabling again clears a failure alert.'),
};

const allowHttp = (ctx: { config: { webhookAllowHttp: boolean } }) => ctx.config.webhookAllowHttp;

export const webhookRoutes: ManagementRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/webhooks/endpoints',
    tag: 'webhooks',
    summary: 'Webhook endpoints, with their delivery counts and any failure alert (never the secrets).',
    response: z.object({ endpoints: z.array(webhookEndpointView) }),
    handler: async ({ ctx }) => ({ endpoints: await listEndpoints(ctx.database.db) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/webhooks/endpoints',
    tag: 'webhooks',
    status: 201,
    summary: 'Add a webhook endpoint; its signing secret is in this response only.',
    response: webhookEndpointWithSecret,
    body: z.object(endpointFields).strict(),
    handler: ({ body, actor, ctx }) =>
      createEndpoint(
        ctx.database.db,
        ctx.secrets,
        { ...body, events: body.events ?? DEFAULT_EVENTS(WEBHOOK_EVENT_TYPES) },
        { allowHttp: allowHttp(ctx), actor },
      ),
  }),
  defineRoute({
    method: 'GET',
    path: '/webhooks/endpoints/:endpointId',
    tag: 'webhooks',
    summary: 'One webhook endpoint.',
    response: webhookEndpointView,
    params: endpointParams,
    handler: ({ params, ctx }) => getEndpoint(ctx.database.db, params.endpointId),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/webhooks/endpoints/:endpointId',
    tag: 'webhooks',
    summary: 'Change a webhook endpoint (only the fields named). `enabled: true` after an automatic disable clears the alert.',
    response: webhookEndpointView,
    params: endpointParams,
    body: z.object({ ...endpointFields, url: endpointFields.url.optional() }).strict(),
    handler: ({ params, body, actor, ctx }) =>
      updateEndpoint(ctx.database.db, params.endpointId, body, { allowHttp: allowHttp(ctx), actor }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/webhooks/endpoints/:endpointId',
    tag: 'webhooks',
    status: 204,
    summary: 'Delete a webhook endpoint with its deliveries and their log.',
    response: z.void(),
    params: endpointParams,
    handler: ({ params, actor, ctx }) => deleteEndpoint(ctx.database.db, params.endpointId, actor),
  }),
  defineRoute({
    method: 'POST',
    path: '/webhooks/endpoints/:endpointId/secret',
    tag: 'webhooks',
    summary:
      'A new signing secret, shown only in this response. The previous one keeps signing too (a second signature) for `overlapSeconds`.',
    response: webhookEndpointWithSecret,
    params: endpointParams,
    body: z
      .object({
        overlapSeconds: z
          .number()
          .int()
          .min(0)
          .max(7 * 86_400)
          .default(86_400)
          .describe('How long the previous secret also signs (default a day; 0: it stops at once).'),
      })
      .strict()
      .default({ overlapSeconds: 86_400 }),
    handler: ({ params, body, actor, ctx }) =>
      rotateEndpointSecret(ctx.database.db, ctx.secrets, params.endpointId, body.overlapSeconds, actor),
  }),
  defineRoute({
    method: 'POST',
    path: '/webhooks/endpoints/:endpointId/test',
    tag: 'webhooks',
    status: 201,
    summary: 'Send a `webhook.ping` event to this endpoint (see its delivery log for the outcome).',
    response: z.object({ eventId: z.string() }),
    params: endpointParams,
    handler: ({ params, ctx }) => sendTestPing(ctx.database.db, params.endpointId),
  }),
  defineRoute({
    method: 'POST',
    path: '/webhooks/endpoints/:endpointId/replay',
    tag: 'webhooks',
    summary:
      'Send stored events to this endpoint again (same `webhook-id`): one (`eventId`), or every event of `[from, to)` it subscribes to (at most 10,000 a call).',
    response: z.object({ queued: z.number().int(), eventIds: z.array(z.string()) }),
    params: endpointParams,
    body: z.union([
      z.object({ eventId: id('The event id (msg_…).') }).strict(),
      z.object({ from: time('Start, ms since the epoch.'), to: time('End (exclusive), ms since the epoch.') }).strict(),
    ]),
    handler: ({ params, body, ctx }) => replay(ctx.database.db, params.endpointId, body),
  }),
  defineRoute({
    method: 'GET',
    path: '/webhooks/endpoints/:endpointId/deliveries',
    tag: 'webhooks',
    summary: "An endpoint's deliveries, newest first, each with its last attempt.",
    response: webhookDeliveryPage,
    params: endpointParams,
    query: z
      .object({
        status: z.enum(['pending', 'delivered', 'failed']).optional(),
        subjectId: z.string().max(100).optional().describe('Only events about this person.'),
        cursor,
        limit,
      })
      .strict(),
    handler: ({ params, query, ctx }) => listEndpointDeliveries(ctx.database.db, params.endpointId, query),
  }),
  defineRoute({
    method: 'GET',
    path: '/webhooks/deliveries/:deliveryId/attempts',
    tag: 'webhooks',
    summary: 'Every attempt of one delivery: time, HTTP status, error, the start of the response.',
    response: z.object({ attempts: z.array(webhookAttemptView) }),
    params: z.object({ deliveryId: id('The delivery id (dlv_…).') }).strict(),
    handler: ({ params, ctx }) => listAttempts(ctx.database.db, params.deliveryId),
  }),
  defineRoute({
    method: 'GET',
    path: '/webhooks/events',
    tag: 'webhooks',
    summary: 'Stored identity events, newest first (written only while some endpoint wants them).',
    response: webhookEventPage,
    query: z.object({ type: z.string().max(100).optional(), subjectId: z.string().max(100).optional(), cursor, limit }).strict(),
    handler: ({ query, ctx }) => listEvents(ctx.database.db, query),
  }),
  defineRoute({
    method: 'GET',
    path: '/webhooks/events/:eventId',
    tag: 'webhooks',
    summary: 'One event as sent, with its delivery to each endpoint and every attempt.',
    response: webhookEventView,
    params: z.object({ eventId: id('The event id (msg_…).') }).strict(),
    handler: ({ params, ctx }) => getEvent(ctx.database.db, params.eventId),
  }),
];

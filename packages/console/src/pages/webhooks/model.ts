/** Webhook endpoints and their delivery log, as the server describes them (@weunion/management-api). */
import {
  WEBHOOK_EVENT_TYPES,
  webhookAttemptView,
  webhookDeliveryPage,
  webhookEndpointView,
  webhookEndpointWithSecret,
} from '@weunion/management-api';
import { z } from 'zod';

export { OPT_IN_WEBHOOK_EVENTS, WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@weunion/management-api';

export const endpointSchema = webhookEndpointView;
export type Endpoint = z.infer<typeof endpointSchema>;
export const endpointListSchema = z.object({ endpoints: z.array(endpointSchema) });
export const endpointWithSecretSchema = webhookEndpointWithSecret;

export const deliveryPageSchema = webhookDeliveryPage;
export type Delivery = z.infer<typeof webhookDeliveryPage>['deliveries'][number];
export const attemptListSchema = z.object({ attempts: z.array(webhookAttemptView) });
export type Attempt = z.infer<typeof webhookAttemptView>;
export const replaySchema = z.object({ queued: z.number(), eventIds: z.array(z.string()) });
export const pingSchema = z.object({ eventId: z.string() });

/** Every event but the opt-in ones: what a new endpoint starts with. */
export const defaultEvents = () => WEBHOOK_EVENT_TYPES.filter((e) => e !== 'login.succeeded' && e !== 'login.failed');

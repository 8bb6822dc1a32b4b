/**
 * The sandbox control API (packages/sandbox/src/routes/control.ts), mounted by weunion at
 * `/sandbox/_sandbox` while the sandbox is on, and what it answers.
 */
import { z } from 'zod';

export const CONTROL = '/sandbox/_sandbox';

export const sandboxInfoSchema = z.looseObject({ phone: z.string() });

export const sandboxAppSchema = z.looseObject({
  appid: z.string(),
  secret: z.string(),
  type: z.enum(['official_account', 'mini_program', 'website', 'mobile_app']),
  name: z.string(),
  openPlatformId: z.string().nullable(),
});
export type SandboxApp = z.infer<typeof sandboxAppSchema>;

export const personSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  nickname: z.string(),
  phone: z.string().nullable(),
  snapshot: z.boolean(),
});
export type Person = z.infer<typeof personSchema>;

export const identitySchema = z.object({ appid: z.string(), type: z.string(), openid: z.string(), unionid: z.string().nullable() });

/** The fault settings the control API accepts (packages/sandbox/src/faults.ts). */
export const faultSettingsSchema = z.object({
  errcode: z.number().optional(),
  rate: z.number().optional(),
  times: z.number().optional(),
  latencyMs: z.number().optional(),
  quota: z.enum(['daily', 'minute']).optional(),
  highRiskPersonIds: z.array(z.string()).optional(),
});
export type FaultSettings = z.infer<typeof faultSettingsSchema>;

export const faultsSchema = z.object({
  faults: z.array(z.object({ appid: z.string().nullable(), settings: faultSettingsSchema, injected: z.number() })),
});
export type ActiveFault = z.infer<typeof faultsSchema>['faults'][number];

export const pushLogSchema = z.array(
  z.object({
    id: z.string(),
    eventId: z.string(),
    appid: z.string(),
    attempt: z.number(),
    at: z.string(),
    request: z.object({ url: z.string(), body: z.string(), event: z.record(z.string(), z.union([z.string(), z.number()])) }),
    response: z.object({ status: z.number(), body: z.string() }).nullable(),
    error: z.string().nullable(),
    delivered: z.boolean(),
  }),
);
export type PushLogEntry = z.infer<typeof pushLogSchema>[number];

/** Error codes worth injecting, each with its meaning in the dictionary (`sandbox.faults.errcode.<n>`). */
export const INJECTABLE_ERRCODES = [-1, 40001, 42001, 40125, 40029, 40164, 45009] as const;
export const RATES = [1, 0.5, 0.2, 0.1] as const;

export function isEmpty(settings: FaultSettings): boolean {
  return Object.values(settings).every((value) => value === undefined || (Array.isArray(value) && value.length === 0));
}

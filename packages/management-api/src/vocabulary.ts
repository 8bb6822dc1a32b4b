/**
 * The names the management API shares with the rest of weunion. They live here, in the package the
 * browser console can import, and the server re-exports them, so there is one list of each. The
 * app types belong to the WeChat protocol package; its pure `app-type` entry keeps the browser
 * bundle free of the protocol client.
 */
import type { WechatAppType } from '@weunion/wechat/app-type';

export { WECHAT_APP_TYPES, type WechatAppType } from '@weunion/wechat/app-type';

/**
 * The seven login scenarios, by the ids sessions and docs use:
 * s1 follow the official account by QR (PC) · s2 website-app QR (PC) · s3 scan a mini program code
 * (PC) · s4 web authorization inside the WeChat browser · s5 inside a mini program · s6 mobile app
 * OpenSDK login · s7 mobile app opens a mini program to log in.
 */
export const SCENARIO_IDS = ['s1', 's2', 's3', 's4', 's5', 's6', 's7'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

/** Which kind of WeChat app can serve each scenario (s7 involves both the mobile app and the mini program). */
export const SCENARIO_APP_TYPES: Record<ScenarioId, readonly WechatAppType[]> = {
  s1: ['official_account'],
  s2: ['website'],
  s3: ['mini_program'],
  s4: ['official_account'],
  s5: ['mini_program'],
  s6: ['mobile_app'],
  s7: ['mobile_app', 'mini_program'],
};

/** Only official accounts and mini programs receive pushed messages, so only they have a token and key. */
export const PUSH_APP_TYPES: readonly WechatAppType[] = ['official_account', 'mini_program'];

export const USER_STATUSES = ['active', 'blocked', 'merged', 'deleted'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/**
 * Identity events a webhook endpoint can receive. `login.succeeded` and `login.failed` are opt-in:
 * an endpoint gets them only when it names them (they are as frequent as logins).
 */
export const WEBHOOK_EVENT_TYPES = [
  'user.created',
  'user.updated',
  'identity.linked',
  'identity.unlinked',
  'user.merged',
  'user.unmerged',
  'user.blocked',
  'user.unblocked',
  'user.deleted',
  'merge_suggestion.created',
  'login.succeeded',
  'login.failed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
export const OPT_IN_WEBHOOK_EVENTS: readonly WebhookEventType[] = ['login.succeeded', 'login.failed'];

/**
 * The names the management API shares with the rest of weunion. They live here, in the package the
 * browser console can import, and the server re-exports them, so there is one list of each. The
 * app types belong to the WeChat protocol package; its pure `app-type` entry keeps the browser
 * bundle free of the protocol client.
 */
export { WECHAT_APP_TYPES, type WechatAppType } from '@weunion/wechat/app-type';

/**
 * The seven login scenarios, by the ids sessions and docs use:
 * s1 follow the official account by QR (PC) · s2 website-app QR (PC) · s3 scan a mini program code
 * (PC) · s4 web authorization inside the WeChat browser · s5 inside a mini program · s6 mobile app
 * OpenSDK login · s7 mobile app opens a mini program to log in.
 */
export const SCENARIO_IDS = ['s1', 's2', 's3', 's4', 's5', 's6', 's7'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export const USER_STATUSES = ['active', 'blocked', 'merged', 'deleted'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/**
 * The four kinds of WeChat app weunion works with; every package uses these names. Pure data with
 * no imports, exported on its own (`@weunion/wechat/app-type`) so browser code can use the list
 * without pulling in the protocol client.
 */
export const WECHAT_APP_TYPES = ['official_account', 'mini_program', 'website', 'mobile_app'] as const;
export type WechatAppType = (typeof WECHAT_APP_TYPES)[number];

/** The four kinds of WeChat app weunion works with; every package uses these names. */
export const WECHAT_APP_TYPES = ['official_account', 'mini_program', 'website', 'mobile_app'] as const;
export type WechatAppType = (typeof WECHAT_APP_TYPES)[number];

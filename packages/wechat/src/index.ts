export { WECHAT_APP_TYPES, type WechatAppType } from './app-type.ts';

export { WECHAT_APP_TYPES, type WechatAppType } from './app-type.ts';
export * from './crypto/index.ts';
export { buildXml, parseXml } from './xml.ts';

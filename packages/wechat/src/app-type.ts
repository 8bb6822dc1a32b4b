// The app types are part of the management API the browser console reads, so the list lives in that
// (browser-safe) package; this package keeps exporting it under the same names.
export { WECHAT_APP_TYPES, type WechatAppType } from '@weunion/management-api';

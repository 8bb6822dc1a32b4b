/**
 * appid + secret checks shared by every endpoint that takes them, with WeChat's errcodes:
 * missing appid 41002, unknown appid 40013, missing secret 41004, wrong secret 40125.
 */
import type { WechatAppType } from '@weunion/wechat';
import { WechatApiError } from './wechat-error.ts';
import type { SandboxApp, World } from './world.ts';

export function authenticateApp(
  world: World,
  appid: string | undefined,
  secret: string | undefined,
  types: readonly WechatAppType[],
): SandboxApp {
  if (appid === undefined || appid === '') throw new WechatApiError('appidMissing');
  const app = world.apps.get(appid);
  if (app === undefined || !types.includes(app.type)) throw new WechatApiError('invalidAppid');
  if (secret === undefined || secret === '') throw new WechatApiError('secretMissing');
  if (secret !== app.secret) throw new WechatApiError('invalidAppsecret');
  return app;
}

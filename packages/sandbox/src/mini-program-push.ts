/**
 * Mini program message push (消息推送): what a person does in the mini program's customer-service
 * session reaches the mini program's server, signed (and in safe mode encrypted) exactly like an
 * official account's pushes, in the data format the mini program chose (XML or JSON).
 *
 * Rules emulated (developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html,
 * and the customer-service message formats of …/customer-message/receive.html):
 * - entering the session (`<button open-type="contact" session-from="…">`) pushes the event
 *   `user_enter_tempsession` with `SessionFrom`;
 * - a text sent there pushes `MsgType: text` with `Content` and a `MsgId`;
 * - signature, safe mode, retries and the push log as for official accounts (event-push.ts).
 */
import { AppError } from '@weunion/errors';
import { type PushResult, pushEvent } from './event-push.ts';
import type { World } from './world.ts';

export type MiniProgramMessage = { type: 'text'; content: string } | { type: 'user_enter_tempsession'; sessionFrom: string };

export interface MiniProgramPushOutcome {
  appid: string;
  openid: string;
  msgId: number | null;
  pushed: PushResult | null;
}

/** MsgIds are 64-bit in WeChat; kept below 2^53 so JSON readers see them exactly. */
function newMsgId(world: World): number {
  return world.clock.now() * 1000 + Math.floor(Math.random() * 1000);
}

/** The person did `message` in the mini program's customer-service session. */
export async function pushMiniProgramMessage(
  world: World,
  personId: string,
  appid: string,
  message: MiniProgramMessage,
): Promise<MiniProgramPushOutcome> {
  world.requirePerson(personId);
  const app = world.requireApp(appid);
  if (app.type !== 'mini_program') throw new AppError('bad_request', `${appid} is not a mini program`);
  const openid = world.openidOf(appid, personId);
  const base = { ToUserName: app.originalId ?? app.appid, FromUserName: openid, CreateTime: world.clock.nowSeconds() };
  if (message.type === 'text') {
    const msgId = newMsgId(world);
    const pushed = await pushEvent(world, app, openid, { ...base, MsgType: 'text', Content: message.content, MsgId: msgId });
    return { appid, openid, msgId, pushed };
  }
  const pushed = await pushEvent(world, app, openid, {
    ...base,
    MsgType: 'event',
    Event: 'user_enter_tempsession',
    SessionFrom: message.sessionFrom,
  });
  return { appid, openid, msgId: null, pushed };
}

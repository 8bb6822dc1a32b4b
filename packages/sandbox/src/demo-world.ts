/**
 * The demo world the sandbox seeds on start and weunion's sandbox mode connects to, so every
 * scenario works on first start. The values are fixed (not secret: they only ever open the
 * sandbox), which lets the server seed matching connections without asking the sandbox.
 */
import type { WechatAppType } from '@weunion/wechat';

export interface DemoApp {
  /** Stable handle used in docs and seeds. */
  key: 'officialAccount' | 'miniProgram' | 'website' | 'mobileApp';
  type: WechatAppType;
  name: string;
  appid: string;
  secret: string;
  /** Official accounts and mini programs: message-push token and EncodingAESKey (43 chars). */
  token?: string;
  encodingAesKey?: string;
  /** Official accounts and mini programs: original id ("gh_…"). */
  originalId?: string;
  /** The Open Platform account the app is bound to (null: unbound, no unionid). */
  openPlatformId: string | null;
}

export interface DemoPerson {
  id: string;
  name: string;
  nickname: string;
  /** E.164 with +86 for mainland numbers. */
  phone: string;
}

export const DEMO_OPEN_PLATFORM = { id: 'op_demo', name: 'Demo Open Platform account' } as const;

export const DEMO_APPS: readonly DemoApp[] = [
  {
    key: 'officialAccount',
    type: 'official_account',
    name: 'Demo Official Account',
    appid: 'wxd00000000000a001',
    secret: 'sandbox0officialaccount0secret01',
    token: 'weuniondemotoken',
    encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
    originalId: 'gh_d0000000a001',
    openPlatformId: DEMO_OPEN_PLATFORM.id,
  },
  {
    key: 'miniProgram',
    type: 'mini_program',
    name: 'Demo Mini Program',
    appid: 'wxd00000000000b002',
    secret: 'sandbox0miniprogram00000secret02',
    token: 'weuniondemotoken',
    encodingAesKey: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq',
    originalId: 'gh_d0000000b002',
    openPlatformId: DEMO_OPEN_PLATFORM.id,
  },
  {
    key: 'website',
    type: 'website',
    name: 'Demo Website App',
    appid: 'wxd00000000000c003',
    secret: 'sandbox0websiteapp000000secret03',
    openPlatformId: DEMO_OPEN_PLATFORM.id,
  },
  {
    key: 'mobileApp',
    type: 'mobile_app',
    name: 'Demo Mobile App',
    appid: 'wxd00000000000d004',
    secret: 'sandbox0mobileapp0000000secret04',
    openPlatformId: DEMO_OPEN_PLATFORM.id,
  },
];

export const DEMO_PEOPLE: readonly DemoPerson[] = [
  { id: 'p_alice', name: 'Alice', nickname: 'Alice 爱丽丝', phone: '+8613800000001' },
  { id: 'p_bob', name: 'Bob', nickname: 'Bob 鲍勃', phone: '+8613800000002' },
  { id: 'p_carol', name: 'Carol', nickname: 'Carol 卡罗尔', phone: '+8613800000003' },
];

export function demoApp(key: DemoApp['key']): DemoApp {
  const app = DEMO_APPS.find((a) => a.key === key);
  if (app === undefined) throw new Error(`no demo app ${key}`);
  return app;
}
